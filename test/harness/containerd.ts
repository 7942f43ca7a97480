// A private containerd for end-to-end tests: Debian's /usr/bin/containerd (1.6.20) with its own
// root, state and sockets under a fresh temporary directory (shim-protocol.md §8.3), a clean
// environment, and a cleanup that leaves nothing behind — not even when the test failed. Never
// touches a system containerd: it signals only the pid it started, and shims only when their
// command line names this instance's own socket.
//
//   const c = await startContainerd({ binDir });
//   t.after(() => c.stop());            // or: await using c = await startContainerd();
//   const r = await c.ctr(["run", "--rm", "--runtime", "io.containerd.x.v1", image, "id"]);
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  killShims,
  mountsUnder,
  processesNaming,
  stopProcess,
  unmountAll,
  waitForExit,
} from "./processes.js";

const CONTAINERD = "/usr/bin/containerd";
const CTR = "/usr/bin/ctr";
const READY_TIMEOUT_MS = 30_000;
const CTR_TIMEOUT_MS = 60_000;

/** Options of {@link startContainerd}. */
export interface ContainerdOptions {
  /** A directory put first on containerd's PATH, where it finds `containerd-shim-*` binaries. */
  readonly binDir?: string;
  /** Also copy containerd's log to this process's stderr as it arrives (for diagnosis). */
  readonly debug?: boolean;
  /**
   * Variables added to containerd's clean environment, which its shims inherit: how a test aims
   * the shared-mode thin shim at a private daemon (`CONTAINERD_V8D_SOCKET`, test/e2e/v8d.ts).
   */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra TOML appended to the config; it must start with a table header (`[plugins."…"]`). */
  readonly config?: string;
}

/** Options of {@link Containerd.ctr}. */
export interface CtrOptions {
  /** Written to ctr's stdin. */
  readonly input?: string | Uint8Array;
  /** Default 60 s. */
  readonly timeoutMs?: number;
  /** The containerd namespace; default: the instance's own. */
  readonly namespace?: string;
}

/** What a `ctr` run produced. `code` is null when ctr was killed by a signal. */
export interface CtrResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running private containerd. */
export interface Containerd extends AsyncDisposable {
  /** The temporary directory that holds config, root, state, sockets and the log. */
  readonly dir: string;
  /** The gRPC socket path (what shims get as `-address`). */
  readonly address: string;
  /** The ttrpc socket path (what shims get as TTRPC_ADDRESS). */
  readonly ttrpcAddress: string;
  /** A namespace unique to this instance; every `ctr` call uses it. */
  readonly namespace: string;
  /** The containerd process id (changes on restart). */
  readonly pid: number;
  /**
   * Runs `ctr -a <address> -n <namespace> …args` to completion. Rejects on timeout. `namespace`
   * overrides this instance's own, e.g. "k8s.io", the only one containerd's CRI plugin reads.
   */
  ctr(args: readonly string[], options?: CtrOptions): Promise<CtrResult>;
  /** Starts a long-running ctr (e.g. `["events"]`); killed by stop() if still running. */
  spawnCtr(args: readonly string[], options?: { readonly stdin?: "ignore" | "pipe" }): ChildProcess;
  /** containerd's combined stdout and stderr so far, across restarts. */
  log(): string;
  /** Pids of shim processes serving this instance (their command line names its socket). */
  shimPids(): number[];
  /** Stops containerd (SIGTERM, its pid only) and starts it again with the same config. */
  restart(): Promise<void>;
  /**
   * Stops containerd (SIGTERM; SIGKILL after 5 s), ctr processes it spawned and shims left
   * serving this instance, unmounts whatever is still mounted under `dir`, and removes `dir`.
   * Idempotent.
   */
  stop(): Promise<void>;
}

// Instances not yet stopped: SIGKILLed if the test process exits without stopping them.
const running = new Set<() => void>();
process.once("exit", () => {
  for (const kill of running) kill();
});

/** Starts a private containerd and resolves once `ctr version` answers. */
export async function startContainerd(options: ContainerdOptions = {}): Promise<Containerd> {
  const dir = await mkdtemp(path.join(tmpdir(), "containerd-"));
  try {
    return await Instance.start(dir, options);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

class Instance implements Containerd {
  readonly dir: string;
  readonly address: string;
  readonly ttrpcAddress: string;
  readonly namespace = `t${randomBytes(4).toString("hex")}`;
  readonly #options: ContainerdOptions;
  readonly #configPath: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #log: string[] = [];
  readonly #ctrs = new Set<ChildProcess>();
  #process: ChildProcess | undefined;
  #stopped: Promise<void> | undefined;
  readonly #killOnExit = () => this.#process?.kill("SIGKILL");

  private constructor(dir: string, options: ContainerdOptions) {
    this.dir = dir;
    this.address = path.join(dir, "containerd.sock");
    this.ttrpcAddress = path.join(dir, "containerd.sock.ttrpc");
    this.#options = options;
    this.#configPath = path.join(dir, "config.toml");
    // A clean environment: nothing of the test runner's leaks into containerd and its shims,
    // NODE_EXTRA_CA_CERTS least of all (it makes every Node start 3x slower, architecture.md).
    const pathDirs = [
      "/usr/local/sbin",
      "/usr/local/bin",
      "/usr/sbin",
      "/usr/bin",
      "/sbin",
      "/bin",
    ];
    this.#env = {
      PATH: [...(options.binDir ? [options.binDir] : []), ...pathDirs].join(":"),
      HOME: process.env.HOME ?? "/root",
      ...options.env,
    };
  }

  static async start(dir: string, options: ContainerdOptions): Promise<Instance> {
    const instance = new Instance(dir, options);
    await writeFile(instance.#configPath, instance.#config());
    running.add(instance.#killOnExit);
    try {
      await instance.#launch();
    } catch (err) {
      await instance.stop();
      throw err;
    }
    return instance;
  }

  get pid(): number {
    return this.#process?.pid ?? 0;
  }

  #config(): string {
    // shim-protocol.md §8.3. Debug level makes containerd pass -debug to shims and log each
    // forwarded event ("event forwarded ns=… topic=…"), which tests read.
    return [
      "version = 2",
      `root = ${JSON.stringify(path.join(this.dir, "root"))}`,
      `state = ${JSON.stringify(path.join(this.dir, "state"))}`,
      "[grpc]",
      `  address = ${JSON.stringify(this.address)}`,
      "[ttrpc]",
      `  address = ${JSON.stringify(this.ttrpcAddress)}`,
      "[debug]",
      '  level = "debug"',
      this.#options.config ?? "",
      "",
    ].join("\n");
  }

  async #launch(): Promise<void> {
    const child = spawn(CONTAINERD, ["--config", this.#configPath], {
      // containerd's cwd is where it looks first for a dotted runtime's shim (§3.1).
      cwd: this.dir,
      env: this.#env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#process = child;
    const collect = (chunk: Buffer) => {
      this.#log.push(chunk.toString());
      if (this.#options.debug) process.stderr.write(chunk);
    };
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    const failedToSpawn = new Promise<never>((_, reject) => child.once("error", reject));
    const exited = waitForExit(child).then((status) => {
      throw new Error(`containerd exited (${status}) before it was ready:\n${this.log()}`);
    });
    await Promise.race([this.#untilReady(), failedToSpawn, exited]);
  }

  async #untilReady(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const version = await this.ctr(["version"], { timeoutMs: 5_000 }).catch(() => undefined);
      if (version?.code === 0) return;
      if (Date.now() > deadline) {
        throw new Error(`containerd did not answer within ${READY_TIMEOUT_MS} ms:\n${this.log()}`);
      }
      await sleep(50);
    }
  }

  ctr(args: readonly string[], options: CtrOptions = {}): Promise<CtrResult> {
    const timeoutMs = options.timeoutMs ?? CTR_TIMEOUT_MS;
    const stdin = options.input === undefined ? "ignore" : "pipe";
    const child = this.#spawnCtr(args, stdin, options.namespace);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    if (options.input !== undefined) child.stdin!.end(options.input);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(
          new Error(
            `ctr ${args.join(" ")} did not finish within ${timeoutMs} ms\n` +
              `stdout: ${stdout}\nstderr: ${stderr}`,
          ),
        );
      }, timeoutMs);
      child.once("error", (err) => (clearTimeout(timer), reject(err)));
      // 'close', not 'exit': all output has been read by then.
      child.once("close", (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  spawnCtr(
    args: readonly string[],
    options: { readonly stdin?: "ignore" | "pipe" } = {},
  ): ChildProcess {
    return this.#spawnCtr(args, options.stdin ?? "ignore");
  }

  #spawnCtr(
    args: readonly string[],
    stdin: "ignore" | "pipe",
    namespace = this.namespace,
  ): ChildProcess {
    const child = spawn(CTR, ["-a", this.address, "-n", namespace, ...args], {
      cwd: this.dir,
      env: this.#env,
      stdio: [stdin, "pipe", "pipe"],
    });
    child.stdin?.on("error", () => {}); // ctr may exit before reading its input
    this.#ctrs.add(child);
    child.once("close", () => this.#ctrs.delete(child));
    return child;
  }

  log(): string {
    return this.#log.join("");
  }

  shimPids(): number[] {
    // Shims get `-address <our grpc socket>`, a path unique to this temporary directory; the
    // only other processes naming it are ctr's (`-a <socket>`), which this instance tracks.
    const ctrs = new Set([...this.#ctrs].map((ctr) => ctr.pid));
    return processesNaming(this.address).filter((pid) => !ctrs.has(pid));
  }

  async restart(): Promise<void> {
    const child = this.#process;
    if (child) await stopProcess(child, 5_000);
    this.#log.push("\n----- harness: containerd restarted -----\n");
    await this.#launch();
  }

  stop(): Promise<void> {
    return (this.#stopped ??= this.#teardown());
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  async #teardown(): Promise<void> {
    const child = this.#process;
    if (child) await stopProcess(child, 5_000);
    running.delete(this.#killOnExit);
    await Promise.all([...this.#ctrs].map((ctr) => stopProcess(ctr, 1_000)));
    // Shims outlive containerd by design (§3.9); at the end of a test they are leftovers.
    await killShims(this.shimPids(), 2_000);
    await unmountAll(this.dir);
    const stillMounted = mountsUnder(this.dir);
    if (stillMounted.length > 0) {
      throw new Error(`cannot remove ${this.dir}: still mounted: ${stillMounted.join(", ")}`);
    }
    await rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }
}
