import type { Worker } from "node:worker_threads";
import { WorkerPool } from "./worker-pool.js";

/** Options of a {@link WarmWorkerPool}. */
export interface WarmWorkerPoolOptions {
  /** Idle workers kept ready, and the most kept once a burst is over; default 4. */
  readonly warm?: number;
  /** The worker entry point (default: beside the bundle, or the TypeScript source). */
  readonly script?: URL;
}

/**
 * A worker pool for a long-lived process that runs many containers (the shared-mode daemon): it
 * keeps `warm` idle workers at all times, topping the pool up right after each `take`, so that a
 * container never waits for a thread to boot (~40 ms; an instance in a warm worker starts in
 * well under a millisecond, architecture doc decision 3). Workers beyond `warm` that come back
 * after a burst are terminated, so the process's memory returns to its resting size.
 */
export class WarmWorkerPool extends WorkerPool {
  readonly #warm: number;
  #refill: NodeJS.Immediate | undefined;
  #closed = false;

  constructor(options: WarmWorkerPoolOptions = {}) {
    const warm = options.warm ?? 4;
    super({ ...(options.script ? { script: options.script } : {}), maxIdle: warm });
    this.#warm = warm;
  }

  /** Starts the warm workers now (at least `warm`, whatever `count` asks for). */
  override prewarm(count = this.#warm): void {
    if (!this.#closed) super.prewarm(Math.max(count, this.#warm));
  }

  override take(): Worker {
    const worker = super.take();
    // After this turn of the event loop: spawning costs the caller's thread a little, and the
    // container that took a worker should not pay for the next one.
    this.#refill ??= setImmediate(() => {
      this.#refill = undefined;
      this.prewarm();
    }).unref();
    return worker;
  }

  override close(): Promise<void> {
    this.#closed = true;
    if (this.#refill) clearImmediate(this.#refill);
    this.#refill = undefined;
    return super.close();
  }
}
