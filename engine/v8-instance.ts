import { writeSync } from "node:fs";
import type { ExitStatus, Instance, InstanceStats } from "../shim/index.js";
import type { CompiledModule } from "./module-loader.js";
import type { Preopen, RunResult } from "./protocol.js";
import { signalAction, signalExitStatus } from "./signals.js";
import { createUsage, readUsage } from "./usage.js";
import { openStdio, type Stdio } from "./stdio.js";
import type { Run, RunHost } from "./run-host.js";

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
/**
 * One container's module, run off the shim's thread (a worker thread, its own or shared: see
 * run-host.ts) so that the shim stays free to answer and a kill can always stop it.
 */
export class V8Instance implements Instance {
  readonly #job: V8Job;
  readonly #host: RunHost;
  readonly #interrupt = new Int32Array(new SharedArrayBuffer(4));
  readonly #usage = createUsage();
  readonly #exit: Promise<ExitStatus>;
  #resolveExit!: (exit: ExitStatus) => void;
  #run: Run | undefined;
  #stdio: Stdio | undefined;
  #killedBy: number | undefined;

  constructor(job: V8Job, host: RunHost) {
    this.#job = job;
    this.#host = host;
    this.#exit = new Promise((resolve) => (this.#resolveExit = resolve));
  }

  async start(): Promise<number> {
    const stdio = await openStdio(this.#job.io, this.#job.container);
    this.#stdio = stdio;
    if (this.#killedBy !== undefined) {
      // Killed while its stdio was being opened: it never runs.
      this.#finished({ kind: "interrupted" });
      return process.pid;
    }
    const run = this.#host({
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
    });
    this.#run = run;
    void run.ended.then((result) => this.#finished(result));
    // The module runs inside this process: its pid is ours (and /proc/<pid> exists for containerd).
    return process.pid;
  }

  async kill(signal: number): Promise<void> {
    if (signalAction(signal) === "ignore") return;
    this.#killedBy ??= signal;
    this.#run?.stop();
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
    const run = this.#run;
    if (run) {
      // Delete of a running task is refused by the shim, so this only happens on shutdown paths.
      run.stop();
      await run.ended;
    }
  }

  #finished(result: RunResult): void {
    this.#run = undefined;
    let exitStatus: number;
    let oomKilled = false;
    if (this.#killedBy !== undefined) {
      exitStatus = signalExitStatus(this.#killedBy);
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
    }
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
