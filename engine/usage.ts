import { readFileSync, readlinkSync } from "node:fs";

/**
 * A run's resource usage, shared between the worker thread that runs a module and the shim's
 * thread that answers Stats, which cannot ask a thread that is busy running wasm. Slots of an
 * Int32Array over a SharedArrayBuffer:
 */
const enum Slot {
  /** The module's memory in 64 KiB pages, refreshed on every host call. */
  MemoryPages,
  /** The worker thread's Linux thread id, whose CPU times /proc/self/task/<tid>/stat has. */
  ThreadId,
  /** The thread's user and system CPU (clock ticks) when the run began; the thread is reused. */
  UserTicksAtStart,
  SystemTicksAtStart,
  Count,
}

/** ThreadId of a run that shares its thread: its CPU is counted slice by slice instead. */
const coHosted = -1;

/** After the Int32 slots: a co-hosted run's CPU so far in ns, as a Float64 (8-byte aligned). */
const cpuNsOffset = Math.ceil((Slot.Count * 4) / 8) * 8;

export function createUsage(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(cpuNsOffset + 8));
}

/**
 * In a co-hosting worker (co-host-runner.ts): one run's share of a thread it shares with others,
 * counted as the wall time of the slices in which it had the thread. Close to its CPU time as
 * long as the kernel does not take the thread away mid-slice; /proc has no finer account.
 */
export class CoHostedClock {
  readonly #cpuNs: Float64Array;

  constructor(usage: Int32Array) {
    this.#cpuNs = new Float64Array(usage.buffer, cpuNsOffset, 1);
    this.#cpuNs[0] = 0;
    Atomics.store(usage, Slot.MemoryPages, 0);
    Atomics.store(usage, Slot.ThreadId, coHosted);
  }

  add(ms: number): void {
    this.#cpuNs[0] = (this.#cpuNs[0] ?? 0) + ms * 1e6;
  }
}

/**
 * In the worker: this thread's CPU clock, read between runs rather than on a run's start path.
 * An idle worker burns no CPU, so the ticks read after one run ended are the next one's start.
 */
export class RunClock {
  readonly #tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
  #ticks = cpuTicks(`/proc/self/task/${this.#tid}/stat`);
  #readAt = performance.now();

  /** At the start of a run: which thread this is, its CPU so far; no system call. */
  begin(usage: Int32Array): void {
    Atomics.store(usage, Slot.ThreadId, this.#tid);
    Atomics.store(usage, Slot.UserTicksAtStart, this.#ticks[0]);
    Atomics.store(usage, Slot.SystemTicksAtStart, this.#ticks[1]);
    Atomics.store(usage, Slot.MemoryPages, 0);
  }

  /**
   * After a run has answered: the thread's CPU so far, the next run's start. Read at most once
   * per clock tick (10 ms): the figure has no finer grain, and a worker running short modules
   * back to back would otherwise spend a tenth of its time here.
   */
  end(): void {
    const now = performance.now();
    if (now - this.#readAt < tickMs) return;
    this.#readAt = now;
    this.#ticks = cpuTicks(`/proc/self/task/${this.#tid}/stat`);
  }
}

/**
 * Wraps the WASI imports a module uses so each call first records the module's memory size. Only
 * the functions the module imports are wrapped (a wasi-libc hello imports five of the ninety), as
 * building the wrappers is per run. A fixed-arity wrapper (no rest parameters) allocates nothing
 * per call; no preview1 function takes more than nine arguments, and extra undefined ones are
 * ignored.
 */
export function recordMemoryOnHostCalls(
  imports: Readonly<Record<string, Record<string, unknown>>>,
  used: readonly WebAssembly.ModuleImportDescriptor[],
  usage: Int32Array,
  memory: () => WebAssembly.Memory | undefined,
): WebAssembly.Imports {
  const wrapped: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  for (const { module, name, kind } of used) {
    const fn = kind === "function" ? imports[module]?.[name] : undefined;
    if (typeof fn !== "function") continue;
    const call = fn as (...args: unknown[]) => unknown;
    (wrapped[module] ??= {})[name] = (
      a: unknown,
      b: unknown,
      c: unknown,
      d: unknown,
      e: unknown,
      f: unknown,
      g: unknown,
      h: unknown,
      i: unknown,
    ) => {
      const m = memory();
      if (m) usage[Slot.MemoryPages] = m.buffer.byteLength >>> 16;
      return call(a, b, c, d, e, f, g, h, i);
    };
  }
  return wrapped;
}

/** On the shim's thread: memory and CPU of the run so far. */
export function readUsage(usage: Int32Array): {
  memoryBytes: number;
  userNs: number;
  systemNs: number;
} {
  const memoryBytes = Atomics.load(usage, Slot.MemoryPages) * 65536;
  const tid = Atomics.load(usage, Slot.ThreadId);
  if (tid === 0) return { memoryBytes, userNs: 0, systemNs: 0 };
  if (tid === coHosted) {
    const cpuNs = new Float64Array(usage.buffer, cpuNsOffset, 1)[0] ?? 0;
    return { memoryBytes, userNs: Math.round(cpuNs), systemNs: 0 };
  }
  let user = 0;
  let system = 0;
  try {
    [user, system] = cpuTicks(`/proc/self/task/${tid}/stat`);
  } catch {
    // The thread is gone (terminated); its time is no longer known.
  }
  const ns = 1e9 / clockTicksPerSecond;
  return {
    memoryBytes,
    userNs: Math.max(0, user - Atomics.load(usage, Slot.UserTicksAtStart)) * ns,
    systemNs: Math.max(0, system - Atomics.load(usage, Slot.SystemTicksAtStart)) * ns,
  };
}

// sysconf(_SC_CLK_TCK) is 100 on every Linux architecture Node runs on.
const clockTicksPerSecond = 100;
const tickMs = 1000 / clockTicksPerSecond;

/** utime and stime (fields 14 and 15 of proc(5)'s stat), counted after the parenthesised name. */
function cpuTicks(statFile: string): [number, number] {
  const stat = readFileSync(statFile, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return [Number(fields[11]), Number(fields[12])];
}
