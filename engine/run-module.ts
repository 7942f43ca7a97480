// One run of a module on the current thread: what a worker does with each RunRequest. Apart from
// worker-main.ts so that the benchmark of instance cost (bench row e1) runs exactly this.
import { Wasi, WasiInterrupted, type Blocking } from "../wasi/index.js";
import { memoryImport } from "./memory-import.js";
import { oomGlobalName } from "./memory-limit.js";
import { MemoryPool } from "./memory-pool.js";
import type { RunRequest, RunResult } from "./protocol.js";
import { RunClock, recordMemoryOnHostCalls } from "./usage.js";

/** Runs modules one after another on this thread, reusing their memories (memory-pool.ts). */
export class ModuleRunner {
  readonly #memories = new MemoryPool();
  readonly #clock = new RunClock();

  /**
   * Runs the request to its end and hands the result to `reply` before the run's memory is
   * zeroed for the next one, so the zeroing is off the container's exit path.
   */
  run(req: RunRequest, reply: (result: RunResult) => void): void {
    const memory = req.memory && this.#memories.take(req.memory);
    this.#clock.begin(req.usage);
    reply(runModule(req, memory));
    this.#clock.end();
    if (memory && req.memory) this.#memories.give(memory, req.memory);
  }
}

/** The WASI host of one run: a thread of its own parks when a call must wait; a shared one suspends. */
export function wasiFor(req: RunRequest, blocking: Blocking): Wasi {
  return new Wasi({
    args: req.args,
    env: req.env,
    cwd: req.cwd,
    preopens: req.preopens,
    stdin: req.stdin,
    stdout: req.stdout,
    stderr: req.stderr,
    interrupt: req.interrupt,
    blocking,
  });
}

/** How a run that threw ended: interrupted, out of memory, trapped, or failed in the host. */
export function outcomeOf(err: unknown, instance: WebAssembly.Instance): RunResult {
  if (err instanceof WasiInterrupted) return { kind: "interrupted" };
  // The grow hook of memory-limit.ts set this flag and trapped.
  const oom = instance.exports[oomGlobalName];
  if (oom instanceof WebAssembly.Global && oom.value === 1) return { kind: "oom" };
  // RangeError: the wasm stack overflowed, which V8 reports as a JS error, not a RuntimeError.
  if (err instanceof WebAssembly.RuntimeError || err instanceof RangeError) {
    return { kind: "trap", message: err.message };
  }
  return { kind: "error", message: String(err) };
}

/** The instance, or how the run ended when it cannot be made (a missing import, a bad signature). */
export function instantiate(
  module: WebAssembly.Module,
  imports: WebAssembly.Imports,
): WebAssembly.Instance | RunResult {
  try {
    return new WebAssembly.Instance(module, imports);
  } catch (err) {
    return {
      kind: "error",
      message: `the module cannot be instantiated: ${(err as Error).message}`,
    };
  }
}

/** The memory an instance exports as `memory`, which Stats reads its size from. */
export function exportedMemory(instance: WebAssembly.Instance): WebAssembly.Memory | undefined {
  const exported = instance.exports["memory"];
  return exported instanceof WebAssembly.Memory ? exported : undefined;
}

function runModule(req: RunRequest, pooled: WebAssembly.Memory | undefined): RunResult {
  const wasi = wasiFor(req, "park");
  let memory: WebAssembly.Memory | undefined = pooled;
  const imports = recordMemoryOnHostCalls(
    wasi.imports,
    WebAssembly.Module.imports(req.module),
    req.usage,
    () => memory,
  );
  if (pooled) imports[memoryImport.module] = { [memoryImport.name]: pooled };
  const instance = instantiate(req.module, imports);
  if (!(instance instanceof WebAssembly.Instance)) return instance;
  memory = exportedMemory(instance) ?? memory;
  try {
    return { kind: "exit", code: wasi.start(instance, req.exportName) };
  } catch (err) {
    return outcomeOf(err, instance);
  }
}
