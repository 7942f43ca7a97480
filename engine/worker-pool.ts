import { Worker } from "node:worker_threads";

/**
 * Where the worker entry point lives: beside the bundle when shipped (scripts/build.js emits
 * `v8-worker.cjs` next to each program), or the TypeScript source when run from the repository.
 */
export function defaultWorkerScript(): URL {
  const here = import.meta.url;
  return here.endsWith(".ts")
    ? new URL("./worker-main.ts", here)
    : new URL("./v8-worker.cjs", here);
}

/**
 * The JavaScript heap a worker may use: the WASI host allocates little (paths, directory
 * listings), so a module cannot make it balloon the shim. Wasm memory is not JS heap; the
 * container's memory limit caps that (memory-limit.ts).
 */
const workerHeapLimits = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 };

/**
 * Warm worker threads for running modules. A worker that finished a run cleanly goes back to the
 * pool; one that was terminated (a kill that had to stop spinning wasm) is discarded. Idle workers
 * are unref'd so they never keep the process alive.
 */
export class WorkerPool {
  readonly #script: URL;
  /** Most recently released last: `take` reuses the warmest, `trimIdle` ends the coldest. */
  readonly #idle: Worker[] = [];
  readonly #maxIdle: number;
  #closed = false;

  constructor(options: { script?: URL; maxIdle?: number } = {}) {
    this.#script = options.script ?? defaultWorkerScript();
    this.#maxIdle = options.maxIdle ?? 4;
  }

  /**
   * Starts `count` workers now, so that booting them (~80 ms after process start, architecture
   * doc decision 6) overlaps whatever the process does next.
   */
  prewarm(count = 1): void {
    while (this.#idle.length < count) this.#idle.push(this.#spawn());
  }

  /** A worker to run one module on; ref'd until it is released. */
  take(): Worker {
    if (this.#closed) throw new Error("the worker pool is closed");
    const worker = this.#idle.pop() ?? this.#spawn();
    worker.ref();
    return worker;
  }

  /** Returns a worker whose run ended normally. */
  release(worker: Worker): void {
    if (this.#closed || this.#idle.length >= this.#maxIdle) {
      void worker.terminate();
      return;
    }
    worker.unref();
    this.#idle.push(worker);
  }

  /** How many workers are idle now. */
  get idle(): number {
    return this.#idle.length;
  }

  /** Terminates the `count` idle workers that have been idle longest. */
  protected trimIdle(count: number): void {
    for (const worker of this.#idle.splice(0, count)) void worker.terminate();
  }

  /** Terminates the idle workers; workers in use end with their runs. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#idle.splice(0).map((w) => w.terminate()));
  }

  #spawn(): Worker {
    const worker = new Worker(this.#script, { resourceLimits: workerHeapLimits });
    worker.unref();
    // An idle worker that dies (it should not) is simply dropped from the pool.
    worker.once("exit", () => {
      const i = this.#idle.indexOf(worker);
      if (i >= 0) this.#idle.splice(i, 1);
    });
    worker.on("error", () => {});
    return worker;
  }
}
