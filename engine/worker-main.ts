// Entry point of a worker thread that runs wasm modules, one at a time, for as long as the shim
// keeps it: a warm thread starts the next module in well under a millisecond, a new one costs
// ~38 ms (architecture doc, decision 3).
import { parentPort } from "node:worker_threads";
import { Wasi, WasiInterrupted } from "../wasi/index.js";
import type { RunRequest, RunResult } from "./protocol.js";

parentPort!.on("message", (request: RunRequest) => {
  parentPort!.postMessage(run(request));
});

function run(req: RunRequest): RunResult {
  const wasi = new Wasi({
    args: req.args,
    env: req.env,
    cwd: req.cwd,
    preopens: req.preopens,
    stdin: req.stdin,
    stdout: req.stdout,
    stderr: req.stderr,
    interrupt: req.interrupt,
  });
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(req.module, wasi.imports);
  } catch (err) {
    return {
      kind: "error",
      message: `the module cannot be instantiated: ${(err as Error).message}`,
    };
  }
  try {
    return { kind: "exit", code: wasi.start(instance, req.exportName) };
  } catch (err) {
    if (err instanceof WasiInterrupted) return { kind: "interrupted" };
    // RangeError: the wasm stack overflowed, which V8 reports as a JS error, not a RuntimeError.
    if (err instanceof WebAssembly.RuntimeError || err instanceof RangeError) {
      return { kind: "trap", message: err.message };
    }
    return { kind: "error", message: String(err) };
  }
}
