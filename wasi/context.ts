// What every group of WASI calls shares during a run.

import type { FdTable } from "./fd-table.js";
import type { GuestMemory } from "./memory.js";

/** The state of one Wasi: its memory views, its fd table (fresh each run) and interrupt word. */
export interface WasiContext {
  readonly mem: GuestMemory;
  fds: FdTable;
  /** Word 0: 0 = run, anything else = interrupt every blocking call. */
  readonly interrupt: Int32Array;
  /**
   * Undefined in "park" mode (a call that must wait blocks the thread). In "suspend" mode such a
   * call returns a Promise, and this holds a canceller for each wait in progress (wait.ts).
   */
  readonly pending: Set<() => void> | undefined;
}

/**
 * A group of WASI imports (preview1 names), all returning an errno — or, in "suspend" mode, a
 * Promise of it from the calls that had to wait (SUSPENDING_FUNCTIONS).
 */
export type Calls = Record<string, (...args: never[]) => number | Promise<number>>;
