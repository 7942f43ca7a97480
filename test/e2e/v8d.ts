// A private shared-mode daemon for end-to-end tests: `containerd-v8d` from dist/bin with its
// manager socket, notes and log in a fresh temporary directory, and the containerd options under
// which `containerd-shim-v8d-v1` talks to this daemon (and no other): dist/bin first on PATH and
// CONTAINERD_V8D_SOCKET in containerd's environment, which shims inherit. Signals only the pid it
// started.
//
//   const v8d = await startV8d();
//   const c = await startContainerd(v8d.containerdOptions);
//   … ctr run --runtime io.containerd.v8d.v1 …
//   await v8d.stop(); await c.stop();
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { binDir as distBin } from "./fixtures.js";

/** A running private daemon. */
export interface V8d {
  /** The temporary directory: manager socket, the daemon's notes, its log. */
  readonly dir: string;
  /** The manager socket. */
  readonly socket: string;
  /** For startContainerd: every shim of dist/bin, the thin one aimed at this daemon. */
  readonly containerdOptions: { readonly binDir: string; readonly env: Record<string, string> };
  /** The daemon's pid (changes on restart). */
  readonly pid: number;
  /** The daemon's log (stderr) so far, across restarts. */
  log(): string;
  /** The daemon's resident memory, KiB. */
  rssKiB(): number;
  /** The daemon's threads (main, worker threads, V8's and libuv's helpers). */
  threads(): number;
  /** Sandbox sockets the daemon has noted as live (one per open sandbox). */
  sandboxes(): string[];
  /** Sends a signal and waits until the daemon has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Starts the daemon again (after kill), on the same socket. */
  restart(): Promise<void>;
  /** SIGTERM (SIGKILL after 10 s), then removes the directory. Idempotent. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Starts a daemon and resolves once its manager socket accepts connections. */
export async function startV8d(
  options: { readonly args?: readonly string[]; readonly env?: Record<string, string> } = {},
): Promise<V8d> {
  const dir = mkdtempSync(path.join(tmpdir(), "v8d-"));
  const socket = path.join(dir, "manager.sock");
  const logFile = path.join(dir, "daemon.log");
  let child: ChildProcess | undefined;
  let stopped: Promise<void> | undefined;
  const signalled = new WeakSet<ChildProcess>();

  const launch = async () => {
    const logFd = openSync(logFile, "a");
    try {
      // The program itself, as an operator runs it: its shebang gives node the flags it needs.
      child = spawn(
        path.join(distBin, "containerd-v8d"),
        ["--socket", socket, ...(options.args ?? [])],
        // A clean environment, NODE_EXTRA_CA_CERTS least of all (architecture doc, decision 2).
        {
          env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...options.env },
          stdio: ["ignore", logFd, logFd],
        },
      );
    } finally {
      closeSync(logFd);
    }
    const started = child;
    running.add(started);
    started.once("exit", (code, signal) => {
      running.delete(started);
      // A daemon that dies on its own takes its log with the directory: show the end of it.
      if (!signalled.has(started)) {
        const tail = readLog().split("\n").slice(-40).join("\n");
        process.stderr.write(
          `containerd-v8d (pid ${started.pid}) exited by itself: ${signal ?? `exit ${code}`}\n${tail}\n`,
        );
      }
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await accepts(socket))) {
      if (started.exitCode !== null || Date.now() > deadline) {
        throw new Error(`containerd-v8d did not start:\n${readLog()}`);
      }
      await sleep(20);
    }
  };
  const readLog = () => {
    try {
      return readFileSync(logFile, "utf8");
    } catch {
      return "";
    }
  };
  const kill = async (signal: NodeJS.Signals) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((resolve) => c.once("exit", resolve));
    signalled.add(c);
    c.kill(signal);
    await exited;
  };

  await launch();
  return {
    dir,
    socket,
    containerdOptions: { binDir: distBin, env: { CONTAINERD_V8D_SOCKET: socket } },
    get pid() {
      return child?.pid ?? 0;
    },
    log: readLog,
    rssKiB: () => {
      const status = readFileSync(`/proc/${child?.pid}/status`, "utf8");
      return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
    },
    threads: () => readdirSync(`/proc/${child?.pid}/task`).length,
    sandboxes: () => {
      try {
        return readdirSync(path.join(dir, "sandboxes")).map((f) =>
          readFileSync(path.join(dir, "sandboxes", f), "utf8"),
        );
      } catch {
        return [];
      }
    },
    kill,
    restart: launch,
    stop: () =>
      (stopped ??= (async () => {
        const timer = setTimeout(() => child?.kill("SIGKILL"), 10_000);
        await kill("SIGTERM");
        clearTimeout(timer);
        rmSync(dir, { recursive: true, force: true });
      })()),
  };
}

function accepts(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socket);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}
