// A worker that runs WASI programs on request, so tests can interrupt a blocked run from the main
// thread and then reuse the same isolate. Message in: { module, options }; out: { code } or
// { error: name, message }.

import { parentPort } from "node:worker_threads";
import { Wasi, type WasiOptions } from "../index.js";

interface Job {
  module: WebAssembly.Module;
  options: WasiOptions;
}

parentPort?.on("message", (job: Job) => {
  try {
    const wasi = new Wasi(job.options);
    const instance = new WebAssembly.Instance(job.module, wasi.imports);
    parentPort?.postMessage({ code: wasi.start(instance) });
  } catch (error) {
    const e = error as Error;
    parentPort?.postMessage({ error: e.name, message: e.message });
  }
});
