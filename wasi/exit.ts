// The two exceptions that end a run: the guest's proc_exit, and the controller's interrupt.

/**
 * Thrown by `proc_exit` to unwind the guest's stack; `Wasi.start` catches it and returns the code.
 * Not an `Error`: it is control flow, thrown once per run, and needs no stack trace.
 */
export class WasiExit {
  constructor(
    /** The guest's exit code, as the u32 it passed to proc_exit. */
    readonly code: number,
  ) {}
}

/**
 * Thrown out of a blocking WASI call (and out of `Wasi.start`) when the controller sets the
 * interrupt word. The guest's stack is unwound; the isolate stays usable.
 */
export class WasiInterrupted extends Error {
  constructor() {
    super("wasi: interrupted");
    this.name = "WasiInterrupted";
  }
}
