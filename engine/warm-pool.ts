import type { Worker } from "node:worker_threads";
import { WorkerPool } from "./worker-pool.js";

/** Options of a {@link WarmWorkerPool}. */
export interface WarmWorkerPoolOptions {
  /** Idle workers kept ready at all times; default 4. */
  readonly warm?: number;
  /**
   * How long more than `warm` workers must stay idle, all the time, before the surplus is
   * terminated; default 2 s. Shorter returns memory sooner after a burst; too short makes a
   * steady stream of containers pay a thread boot each (~40 ms of CPU) for a worker that the
   * next one would have reused.
   */
  readonly surplusIdleMs?: number;
  /** The worker entry point (default: beside the bundle, or the TypeScript source). */
  readonly script?: URL;
}

/**
 * A worker pool for a long-lived process that runs many containers (the shared-mode daemon): it
 * keeps `warm` idle workers at all times, topping the pool up right after each `take`, so that a
 * container never waits for a thread to boot (~40 ms; an instance in a warm worker starts in
 * well under a millisecond, architecture doc decision 3). Workers that come back while `warm`
 * are idle already stay: under a steady load they are what the next containers take, so a
 * container costs no thread boot at all. Only what was idle beyond `warm` for a whole
 * `surplusIdleMs` (the burst is over) is terminated, so the process's memory returns to its
 * resting size.
 */
export class WarmWorkerPool extends WorkerPool {
  readonly #warm: number;
  readonly #surplusIdleMs: number;
  #refill: NodeJS.Immediate | undefined;
  #trim: NodeJS.Timeout | undefined;
  /** The fewest idle workers since the last trim: more than `warm` all along is surplus. */
  #fewestIdle = 0;
  #closed = false;

  constructor(options: WarmWorkerPoolOptions = {}) {
    const warm = options.warm ?? 4;
    super({ ...(options.script ? { script: options.script } : {}), maxIdle: Infinity });
    this.#warm = warm;
    this.#surplusIdleMs = options.surplusIdleMs ?? 2_000;
  }

  /** Starts the warm workers now (at least `warm`, whatever `count` asks for). */
  override prewarm(count = this.#warm): void {
    if (!this.#closed) super.prewarm(Math.max(count, this.#warm));
  }

  override take(): Worker {
    const worker = super.take();
    this.#fewestIdle = Math.min(this.#fewestIdle, this.idle);
    // After this turn of the event loop: spawning costs the caller's thread a little, and the
    // container that took a worker should not pay for the next one.
    this.#refill ??= setImmediate(() => {
      this.#refill = undefined;
      this.prewarm();
    }).unref();
    return worker;
  }

  override release(worker: Worker): void {
    super.release(worker);
    if (this.idle > this.#warm && this.#trim === undefined) {
      this.#fewestIdle = this.idle;
      this.#trim = setTimeout(() => this.#trimSurplus(), this.#surplusIdleMs).unref();
    }
  }

  override close(): Promise<void> {
    this.#closed = true;
    if (this.#refill) clearImmediate(this.#refill);
    clearTimeout(this.#trim);
    this.#refill = this.#trim = undefined;
    return super.close();
  }

  #trimSurplus(): void {
    this.#trim = undefined;
    this.trimIdle(Math.max(0, this.#fewestIdle - this.#warm));
    // Workers came back during the window: they get a whole window of their own.
    if (this.idle > this.#warm) {
      this.#fewestIdle = this.idle;
      this.#trim = setTimeout(() => this.#trimSurplus(), this.#surplusIdleMs).unref();
    }
  }
}
