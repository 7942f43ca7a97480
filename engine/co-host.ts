import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { CoHostAnswer, CoHostRequest, RunRequest, RunResult } from "./protocol.js";
import { interrupt, type Run, type RunHost } from "./run-host.js";
import { defaultWorkerScript } from "./worker-pool.js";

/** Options of {@link CoHostThreads}. */
export interface CoHostOptions {
  /** Threads runs are spread over; default: one per CPU. */
  readonly threads?: number;
  /** The worker entry point (default: beside the bundle, or the TypeScript source). */
  readonly script?: URL;
  /**
   * A stopped run's thread is terminated, ending every run on it, when it has shown no sign of
   * life (an event-loop turn) for two checks this far apart; default 1 s.
   */
  readonly stuckMs?: number;
  /**
   * How long a thread must have had no run at all before it is replaced by a fresh one (or
   * ended, beyond those `prewarm` keeps); default 2 s. A thread's heap keeps what its runs left
   * (V8 collects lazily, glibc keeps freed arenas): a fresh thread gives the memory back after a
   * burst for one thread boot (~40 ms of CPU).
   */
  readonly recycleIdleMs?: number;
  /**
   * Called when a thread was replaced and no thread has a run (the engine is idle after a
   * burst): the daemon collects its own garbage then (bin/containerd-v8d.ts), so that what the
   * burst left on its main thread goes too, not at some later container's start.
   */
  readonly onIdle?: () => void;
  /** Called when a stuck thread is terminated (for a log): how many runs end with it. */
  readonly onStuck?: (runs: number) => void;
}

/** The JS heap of a co-hosting thread: the WASI hosts of all its runs (~10 KiB each). */
const heapLimits = { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 8 };

/**
 * Runs many containers on each of a few worker threads: the shared-mode daemon's way to a small
 * footprint, since a worker thread costs ~7.4 MiB whatever it runs and a co-hosted run ~0.1 MiB
 * (engine/README.md, "Memory per running container"). Each run has its own JSPI stack on the
 * thread (co-host-runner.ts); a run that waits or computes gives way to the others, and a
 * stopped run ends at its next wait or yield. Only a thread that no longer turns its event loop
 * (a run stuck where it cannot yield) is terminated, and that ends every run on it: the price of
 * sharing, paid only when a run defeats the fuel. (Terminating lands in wasm or JS, not inside
 * a system call: a thread blocked in read(2) ends when the read returns; the engine hands runs
 * only non-blocking fds.)
 *
 * Needs node's `--experimental-wasm-stack-switching` (check `hasJspi()`), and modules rewritten
 * by suspension.ts (the module loader's `coHostExport` option).
 */
export class CoHostThreads {
  readonly #threads: CoHostThread[] = [];
  readonly #max: number;
  readonly #script: URL;
  readonly #stuckMs: number;
  readonly #recycleIdleMs: number;
  readonly #onIdle: (() => void) | undefined;
  readonly #onStuck: ((runs: number) => void) | undefined;
  /** Threads kept ready when idle: as many as `prewarm` started. */
  #ready = 0;
  #closed = false;
  #nextId = 1;

  constructor(options: CoHostOptions = {}) {
    this.#max = Math.max(1, options.threads ?? availableParallelism());
    this.#script = options.script ?? defaultWorkerScript();
    this.#stuckMs = options.stuckMs ?? 1_000;
    this.#recycleIdleMs = options.recycleIdleMs ?? 2_000;
    this.#onIdle = options.onIdle;
    this.#onStuck = options.onStuck;
  }

  /** The runs' host, for createV8Engine. */
  readonly host: RunHost = (request) => this.#leastBusy().start(this.#nextId++, request);

  /** Runs on each thread now, for logs and tests. */
  get load(): readonly number[] {
    return this.#threads.map((t) => t.runs);
  }

  /** Starts the threads now, so that the first containers do not wait for them to boot. */
  prewarm(): void {
    this.#ready = this.#max;
    while (this.#threads.length < this.#max) this.#spawn();
  }

  /** Terminates every thread; their runs end as errors. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#threads.splice(0).map((t) => t.terminate()));
  }

  #leastBusy(): CoHostThread {
    let best: CoHostThread | undefined;
    for (const t of this.#threads) if (!best || t.runs < best.runs) best = t;
    if (best && (best.runs === 0 || this.#threads.length >= this.#max)) return best;
    return this.#spawn();
  }

  #spawn(): CoHostThread {
    const thread = new CoHostThread(this.#script, this.#stuckMs, {
      gone: () => {
        const i = this.#threads.indexOf(thread);
        if (i >= 0) this.#threads.splice(i, 1);
      },
      idle: () => this.#whenIdle(thread),
      stuck: (runs) => this.#onStuck?.(runs),
    });
    this.#threads.push(thread);
    return thread;
  }

  /** A thread has no run left: if it still has none after a while, it gives its memory back. */
  #whenIdle(thread: CoHostThread, delayMs = this.#recycleIdleMs): void {
    setTimeout(() => {
      if (thread.runs > 0 || this.#closed) return;
      // A timer may fire a little early, and a run may have come and gone meanwhile.
      const left = this.#recycleIdleMs - thread.idleFor();
      if (left > 0) return this.#whenIdle(thread, left);
      const i = this.#threads.indexOf(thread);
      if (i < 0) return;
      this.#threads.splice(i, 1);
      void thread.terminate();
      if (this.#threads.length < this.#ready) this.#spawn();
      if (this.#threads.every((t) => t.runs === 0)) this.#onIdle?.();
    }, delayMs).unref();
  }
}

/** One co-hosting worker thread and the runs on it. */
class CoHostThread {
  readonly #worker: Worker;
  readonly #heartbeat = new Int32Array(new SharedArrayBuffer(4));
  readonly #runs = new Map<number, (result: RunResult) => void>();
  readonly #stuckMs: number;
  readonly #on: { gone(): void; idle(): void; stuck(runs: number): void };
  /** When its last run ended (performance.now()). */
  #idleSince = performance.now();
  #gone = false;

  constructor(
    script: URL,
    stuckMs: number,
    on: { gone(): void; idle(): void; stuck(runs: number): void },
  ) {
    this.#stuckMs = stuckMs;
    this.#on = on;
    this.#worker = new Worker(script, {
      workerData: { coHost: true, heartbeat: this.#heartbeat },
      resourceLimits: heapLimits,
    });
    this.#worker.unref();
    this.#worker.on("message", ({ id, result }: CoHostAnswer) => this.#settle(id, result));
    const end = (why: string) => {
      if (this.#gone) return;
      this.#gone = true;
      this.#on.gone();
      for (const id of [...this.#runs.keys()]) this.#settle(id, { kind: "error", message: why });
    };
    this.#worker.on("error", (err) =>
      end(`the thread it shared with others failed: ${err.message}`),
    );
    this.#worker.on("exit", () => end("the thread it shared with others stopped"));
  }

  get runs(): number {
    return this.#runs.size;
  }

  /** How long it has had no run (0 while it has one), in ms. */
  idleFor(): number {
    return this.#runs.size > 0 ? 0 : performance.now() - this.#idleSince;
  }

  start(id: number, request: RunRequest): Run {
    const ended = new Promise<RunResult>((resolve) => this.#runs.set(id, resolve));
    if (this.#gone) this.#settle(id, { kind: "error", message: "the thread had stopped" });
    else {
      if (this.#runs.size === 1) this.#worker.ref();
      const message: CoHostRequest = { id, request };
      this.#worker.postMessage(message);
    }
    let stopping = false;
    return {
      ended,
      stop: () => {
        if (stopping) return;
        stopping = true;
        interrupt(request);
        this.#watch(id);
      },
    };
  }

  terminate(): Promise<number> {
    return this.#worker.terminate();
  }

  /**
   * After a stop: the run ends at its next wait or yield, which may take a while when its
   * siblings compute too (each has a slice in turn). Only a thread whose event loop has not
   * turned through two checks `stuckMs` apart is stuck, and is terminated: one quiet check may be
   * a loaded machine that did not schedule the thread.
   */
  #watch(id: number): void {
    let beat = Atomics.load(this.#heartbeat, 0);
    let quietChecks = 0;
    const check = () => {
      if (!this.#runs.has(id) || this.#gone) return;
      const now = Atomics.load(this.#heartbeat, 0);
      quietChecks = now === beat ? quietChecks + 1 : 0;
      beat = now;
      if (quietChecks >= 2) {
        void this.#worker.terminate();
        this.#on.stuck(this.#runs.size);
        return;
      }
      setTimeout(check, this.#stuckMs).unref();
    };
    setTimeout(check, this.#stuckMs).unref();
  }

  #settle(id: number, result: RunResult): void {
    const resolve = this.#runs.get(id);
    if (!resolve) return;
    this.#runs.delete(id);
    if (this.#runs.size === 0) {
      this.#worker.unref();
      this.#idleSince = performance.now();
      if (!this.#gone) this.#on.idle();
    }
    resolve(result);
  }
}
