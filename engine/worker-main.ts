// Entry point of a worker thread that runs wasm modules, one at a time, for as long as the shim
// keeps it: a warm thread starts the next module in well under a millisecond, a new one costs
// ~38 ms (architecture doc, decision 3).
import { parentPort } from "node:worker_threads";
import { Wasi, WasiInterrupted } from "../wasi/index.js";
import { oomGlobalName } from "./memory-limit.js";
import type { RunRequest, RunResult } from "./protocol.js";
import { beginRun, recordMemoryOnHostCalls } from "./usage.js";

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
  beginRun(req.usage);
  let memory: WebAssembly.Memory | undefined;
  const imports = {
    wasi_snapshot_preview1: recordMemoryOnHostCalls(
      wasi.imports.wasi_snapshot_preview1,
      req.usage,
      () => memory,
    ),
    wasi_unstable: recordMemoryOnHostCalls(wasi.imports.wasi_unstable, req.usage, () => memory),
  };
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(req.module, imports);
    const exported = instance.exports["memory"];
    if (exported instanceof WebAssembly.Memory) memory = exported;
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
    if (ranOutOfMemory(instance)) return { kind: "oom" };
    if (err instanceof WebAssembly.RuntimeError || err instanceof RangeError) {
      return { kind: "trap", message: err.message };
    }
    return { kind: "error", message: String(err) };
  }
}

/** Whether the module was stopped by its memory limit: the grow hook set this flag and trapped. */
function ranOutOfMemory(instance: WebAssembly.Instance): boolean {
  const flag = instance.exports[oomGlobalName];
  return flag instanceof WebAssembly.Global && flag.value === 1;
}
