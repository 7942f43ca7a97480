// The worker side of co-hosting (co-host.ts): many runs at once on this one thread, each on its
// own JSPI stack. A run gives the thread up when a WASI call must wait (the call returns a
// Promise: wasi/'s "suspend" mode) and, when it computes, every few milliseconds at a loop head
// (the fuel yield of suspension.ts), so its siblings keep running and a kill lands either way.
import { WasiInterrupted } from "../wasi/index.js";
import { memoryImport } from "./memory-import.js";
import { MemoryPool } from "./memory-pool.js";
import type { RunRequest, RunResult } from "./protocol.js";
import { suspendingStartExport, yieldImport } from "./suspension.js";
import { WasmFunction, type JspiFunction } from "./jspi.js";
import { exportedMemory, instantiate, outcomeOf, wasiFor } from "./run-module.js";
import { CoHostedClock, recordMemoryOnHostCalls } from "./usage.js";
import { mayWait, waitingCallParams } from "./waiting-calls.js";

/** How long a run computes before it lets its siblings have the thread. */
const sliceMs = 5;

/** The thread's time, handed from run to run: which run computes now, since when. */
class Slices {
  #current: CoHostedClock | undefined;
  #since = 0;

  /** The run `clock` has the thread from now on. */
  enter(clock: CoHostedClock): void {
    this.#current = clock;
    this.#since = performance.now();
  }

  /** The run `clock` gives the thread up (waits, yields, ends): its time is counted. */
  leave(clock: CoHostedClock): void {
    if (this.#current !== clock) return;
    clock.add(performance.now() - this.#since);
    this.#current = undefined;
  }

  /** Whether the run that has the thread has had it long enough. */
  get spent(): boolean {
    return performance.now() - this.#since >= sliceMs;
  }
}

export class CoHostRunner {
  readonly #memories = new MemoryPool();
  readonly #slices = new Slices();

  /** Starts a run; `reply` gets how it ended. Runs interleave; none blocks the thread. */
  start(req: RunRequest, reply: (result: RunResult) => void): void {
    if (!WasmFunction) {
      reply({
        kind: "error",
        message: "this thread has no JSPI (--experimental-wasm-stack-switching)",
      });
      return;
    }
    const memory = req.memory && this.#memories.take(req.memory);
    const clock = new CoHostedClock(req.usage);
    void this.#run(WasmFunction, req, memory, clock).then((result) => {
      reply(result);
      if (memory && req.memory) this.#memories.give(memory, req.memory);
    });
  }

  async #run(
    Fn: JspiFunction,
    req: RunRequest,
    pooled: WebAssembly.Memory | undefined,
    clock: CoHostedClock,
  ): Promise<RunResult> {
    const slices = this.#slices;
    const wasi = wasiFor(req, "suspend");
    let memory: WebAssembly.Memory | undefined = pooled;
    const resume = <T>(value: T): T => {
      slices.enter(clock);
      if (Atomics.load(req.interrupt, 0) !== 0) throw new WasiInterrupted();
      return value;
    };
    // A wait gives the thread up until the Promise settles; a call that did not wait keeps it.
    // Six arguments: the most a call that may wait takes (sock_recv).
    const suspendable = (fn: (...args: unknown[]) => unknown) =>
      function (a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, f: unknown): unknown {
        const result = fn(a, b, c, d, e, f);
        if (!(result instanceof Promise)) return result;
        slices.leave(clock);
        return result.then(resume, (error: unknown) => {
          resume(undefined);
          throw error;
        });
      };
    const imports = recordMemoryOnHostCalls(
      wasi.imports,
      WebAssembly.Module.imports(req.module),
      req.usage,
      () => memory,
    );
    for (const [module, calls] of Object.entries(imports)) {
      for (const [name, call] of Object.entries(calls)) {
        if (!mayWait(module, name)) continue;
        const params = waitingCallParams[name] ?? [];
        calls[name] = new Fn(
          { parameters: ["externref", ...params], results: ["i32"] },
          suspendable(call as (...args: unknown[]) => unknown),
          { suspending: "first" },
        ) as WebAssembly.ImportValue;
      }
    }
    // Out of fuel at a loop head: go on, unless the run has had its slice (then let the others
    // have the thread for a turn of the event loop) or has been killed.
    const yieldNow = () => {
      if (Atomics.load(req.interrupt, 0) !== 0) throw new WasiInterrupted();
      if (!slices.spent) return undefined;
      slices.leave(clock);
      return new Promise<void>((resolve) => setImmediate(resolve)).then(resume);
    };
    imports[yieldImport.module] = {
      [yieldImport.name]: new Fn({ parameters: ["externref"], results: [] }, yieldNow, {
        suspending: "first",
      }) as WebAssembly.ImportValue,
    };
    if (pooled) (imports[memoryImport.module] ??= {})[memoryImport.name] = pooled;

    const instance = instantiate(req.module, imports);
    if (!(instance instanceof WebAssembly.Instance)) return instance;
    memory = exportedMemory(instance) ?? memory;
    const start = new Fn(
      { parameters: [], results: ["externref"] },
      instance.exports[suspendingStartExport] as (...args: never[]) => unknown,
      { promising: "first" },
    );
    slices.enter(clock);
    try {
      // The wrapper returns a Promise only if the run waited at least once.
      const code = await wasi.startAsync(instance, async () => start(), req.exportName);
      return { kind: "exit", code };
    } catch (err) {
      return outcomeOf(err, instance);
    } finally {
      slices.leave(clock);
    }
  }
}
