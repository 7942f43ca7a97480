import type { RunRequest, RunResult } from "./protocol.js";

/**
 * Where a container's module runs: a worker thread of its own (own-thread.ts), or a thread it
 * shares with other containers (co-host.ts). An instance (v8-instance.ts) sees only this.
 */
export type RunHost = (request: RunRequest) => Run;

/** A run under way. */
export interface Run {
  /** Settles when the run has ended, however it ended; never rejects. */
  readonly ended: Promise<RunResult>;
  /**
   * Ends the run soon: sets the request's interrupt word, which wakes any blocked WASI call,
   * and whatever the host needs to end a run that does not look at it.
   */
  stop(): void;
}

/** Sets a run's interrupt word and wakes a WASI call waiting on it (wasi/host-io.ts). */
export function interrupt(request: RunRequest): void {
  Atomics.store(request.interrupt, 0, 1);
  Atomics.notify(request.interrupt, 0);
}
