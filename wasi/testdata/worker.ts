// Test support: a worker thread running testdata/runner.ts, so a test can block a guest in one
// thread and interrupt, feed or drain it from the main thread.

import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import type { WasiOptions } from "../index.js";
import { compileC } from "./build.js";

/** What the runner answers: the exit code, or the name and message of what was thrown. */
export interface RunResult {
  code?: number;
  error?: string;
  message?: string;
}

/** Runs one program in the worker. */
export type RunInWorker = (module: WebAssembly.Module, options: WasiOptions) => Promise<RunResult>;

/** Starts a worker, warmed up by one run so that later timings exclude its start-up. */
export async function startWorker(t: { after: (fn: () => void) => void }): Promise<RunInWorker> {
  // Workers do not inherit tsx's loader in Node 20: register it, then load the TypeScript runner.
  const script = new URL("./runner.ts", import.meta.url).href;
  const boot = `import("tsx/esm/api").then((api) => { api.register(); return import(${JSON.stringify(script)}); });`;
  const worker = new Worker(boot, { eval: true });
  t.after(() => void worker.terminate());
  const run: RunInWorker = (module, options) =>
    new Promise((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
      worker.postMessage({ module, options });
    });
  assert.deepEqual(await run(compileC("testdata/hello.c"), {}), { code: 0 });
  return run;
}
