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

export function createUsage(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(Slot.Count * 4));
}

/** In the worker, at the start of a run: remember which thread this is and its CPU so far. */
export function beginRun(usage: Int32Array): void {
  const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
  const [user, system] = cpuTicks(`/proc/self/task/${tid}/stat`);
  Atomics.store(usage, Slot.ThreadId, tid);
  Atomics.store(usage, Slot.UserTicksAtStart, user);
  Atomics.store(usage, Slot.SystemTicksAtStart, system);
  Atomics.store(usage, Slot.MemoryPages, 0);
}

/**
 * Wraps WASI imports so each call first records the module's memory size. A fixed-arity wrapper
 * (no rest parameters) allocates nothing per call; no preview1 function takes more than nine
 * arguments, and extra undefined ones are ignored.
 */
export function recordMemoryOnHostCalls<T extends Record<string, unknown>>(
  imports: T,
  usage: Int32Array,
  memory: () => WebAssembly.Memory | undefined,
): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(imports)) {
    if (typeof fn !== "function") {
      wrapped[name] = fn;
      continue;
    }
    const call = fn as (...args: unknown[]) => unknown;
    wrapped[name] = (
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
  return wrapped as T;
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

/** utime and stime (fields 14 and 15 of proc(5)'s stat), counted after the parenthesised name. */
function cpuTicks(statFile: string): [number, number] {
  const stat = readFileSync(statFile, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return [Number(fields[11]), Number(fields[12])];
}
