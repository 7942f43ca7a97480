import { writeSync } from "node:fs";
import type { Worker } from "node:worker_threads";
import type { ExitStatus, Instance, InstanceStats } from "../shim/index.js";
import type { CompiledModule } from "./module-loader.js";
import type { Preopen, RunRequest, RunResult } from "./protocol.js";
import { signalAction, signalExitStatus } from "./signals.js";
import { createUsage, readUsage } from "./usage.js";
import { openStdio, type Stdio } from "./stdio.js";
import type { WorkerPool } from "./worker-pool.js";

/** Everything needed to run one container's module, resolved at Create. */
export interface V8Job {
  readonly module: CompiledModule;
  readonly exportName: string;
  readonly args: readonly string[];
  readonly env: readonly string[];
  readonly cwd: string;
  readonly preopens: readonly Preopen[];
  readonly io: { readonly stdin: string; readonly stdout: string; readonly stderr: string };
  /** The container's memory limit, for the out-of-memory message. */
  readonly memoryLimitBytes?: number | undefined;
  /** For a logging binary's environment. */
  readonly container: { readonly id: string; readonly namespace: string };
}

/** Exit status of a module that trapped: what a C program that aborts reports (128 + SIGABRT). */
export const trapExitStatus = 134;
/** Exit status when the run failed for a reason of the host's, not the module's. */
export const hostErrorExitStatus = 255;
/** How long an interrupted run may take to unwind before its thread is terminated. */
const unwindGraceMs = 20;

/**
 * One container's module, run on a worker thread so that the shim's thread stays free and a kill
 * can always stop it: blocked WASI calls wake on the interrupt flag; spinning wasm is stopped by
 * terminating the thread (architecture doc, decision 4).
 */
export class V8Instance implements Instance {
  readonly #job: V8Job;
  readonly #pool: WorkerPool;
  readonly #interrupt = new Int32Array(new SharedArrayBuffer(4));
  readonly #usage = createUsage();
  readonly #exit: Promise<ExitStatus>;
  #resolveExit!: (exit: ExitStatus) => void;
  #worker: Worker | undefined;
  #stdio: Stdio | undefined;
  #killedBy: number | undefined;

  constructor(job: V8Job, pool: WorkerPool) {
    this.#job = job;
    this.#pool = pool;
    this.#exit = new Promise((resolve) => (this.#resolveExit = resolve));
  }

  async start(): Promise<number> {
    const stdio = await openStdio(this.#job.io, this.#job.container);
    this.#stdio = stdio;
    if (this.#killedBy !== undefined) {
      // Killed while its stdio was being opened: it never runs.
      this.#finished(undefined, { kind: "interrupted" }, false);
      return process.pid;
    }
    const worker = this.#pool.take();
    this.#worker = worker;
    const request: RunRequest = {
      module: this.#job.module.module,
      memory: this.#job.module.memory,
      exportName: this.#job.exportName,
      args: this.#job.args,
      env: this.#job.env,
      cwd: this.#job.cwd,
      preopens: this.#job.preopens,
      stdin: stdio.stdin,
      stdout: stdio.stdout,
      stderr: stdio.stderr,
      interrupt: this.#interrupt,
      usage: this.#usage,
    };
    const onMessage = (result: RunResult) => finish(result, true);
    const onExit = () => finish({ kind: "interrupted" }, false);
    const onError = (err: Error) => finish({ kind: "error", message: err.message }, false);
    const finish = (result: RunResult, reusable: boolean) => {
      worker.off("message", onMessage).off("exit", onExit).off("error", onError);
      this.#finished(worker, result, reusable);
    };
    worker.on("message", onMessage).on("exit", onExit).on("error", onError);
    worker.postMessage(request);
    // The module runs inside this process: its pid is ours (and /proc/<pid> exists for containerd).
    return process.pid;
  }

  async kill(signal: number): Promise<void> {
    if (signalAction(signal) === "ignore") return;
    this.#killedBy ??= signal;
    const worker = this.#worker;
    if (!worker) return;
    Atomics.store(this.#interrupt, 0, 1);
    Atomics.notify(this.#interrupt, 0);
    // Blocked WASI calls return at once; spinning wasm never looks at the flag.
    setTimeout(() => {
      if (this.#worker === worker) void worker.terminate();
    }, unwindGraceMs).unref();
  }

  async stats(): Promise<InstanceStats> {
    const usage = readUsage(this.#usage);
    return {
      memoryBytes: usage.memoryBytes,
      memoryLimitBytes: this.#job.memoryLimitBytes,
      cpuUserNs: usage.userNs,
      cpuKernelNs: usage.systemNs,
    };
  }

  wait(): Promise<ExitStatus> {
    return this.#exit;
  }

  async delete(): Promise<void> {
    const worker = this.#worker;
    if (worker) {
      // Delete of a running task is refused by the shim, so this only happens on shutdown paths.
      Atomics.store(this.#interrupt, 0, 1);
      Atomics.notify(this.#interrupt, 0);
      await worker.terminate();
    }
  }

  #finished(worker: Worker | undefined, result: RunResult, reusable: boolean): void {
    this.#worker = undefined;
    let exitStatus: number;
    let oomKilled = false;
    if (this.#killedBy !== undefined) {
      exitStatus = signalExitStatus(this.#killedBy);
      reusable &&= result.kind === "interrupted" || result.kind === "exit";
    } else if (result.kind === "exit") {
      exitStatus = result.code;
    } else if (result.kind === "trap") {
      this.#reportToStderr(`wasm trap: ${result.message}\n`);
      exitStatus = trapExitStatus;
    } else if (result.kind === "oom") {
      const limit = this.#job.memoryLimitBytes ?? 0;
      this.#reportToStderr(
        `runwasi: out of memory: the module tried to grow its memory past the container's ` +
          `limit of ${(limit / 2 ** 20).toFixed(1)} MiB\n`,
      );
      // What the kernel's OOM killer leaves: death by SIGKILL.
      exitStatus = signalExitStatus(9);
      oomKilled = true;
    } else {
      this.#reportToStderr(
        `runwasi: ${result.kind === "error" ? result.message : "the run was interrupted"}\n`,
      );
      exitStatus = hostErrorExitStatus;
      reusable = false;
    }
    if (worker && reusable) this.#pool.release(worker);
    else void worker?.terminate();
    // Output is written synchronously by the worker, so everything is out once it has answered;
    // closing now lets the reader see EOF before Wait returns (shim-protocol.md §4.3).
    this.#stdio?.close();
    this.#stdio = undefined;
    this.#resolveExit({ exitStatus, exitedAt: new Date(), ...(oomKilled && { oomKilled }) });
  }

  /** Writes a host message to the container's stderr, as a runtime's crash report would appear. */
  #reportToStderr(text: string): void {
    const fd = this.#stdio?.stderr;
    if (fd === undefined) return;
    try {
      writeSync(fd, text);
    } catch {
      // A full or closed pipe: the exit status still tells.
    }
  }
}
