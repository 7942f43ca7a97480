// Shared mode (issue 6) as a benchmark setup: its thin client `containerd-shim-v8d-v1` and its
// daemon `containerd-v8d`. The bench includes shared mode exactly when the thin client is built;
// until then its rows print "not built".
//
// The daemon listens on its default manager socket: the thin client finds the socket through
// $CONTAINERD_V8D_SOCKET in containerd's environment, and the test harness gives containerd a
// clean one (PATH and HOME only), so a private socket would not reach the thin client.
// TODO(issue 6): use a private socket once the harness can pass containerd extra environment.
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** The shared-mode runtime name (architecture.md, "Runtime names"). */
export const SHARED_RUNTIME = "io.containerd.v8d.v1";
/** Where the daemon listens by default (issue 6). */
export const MANAGER_SOCKET = "/run/containerd-v8d/manager.sock";
const READY_TIMEOUT_MS = 15_000;

/** True when `binDir` holds the shared-mode thin client and daemon. */
export function sharedModeBuilt(binDir: string): boolean {
  return existsSync(path.join(binDir, "containerd-shim-v8d-v1"));
}

/** A shared-mode daemon the benchmark uses: one it started, or one that was already running. */
export interface SharedDaemon {
  readonly pid: number;
  /** Stops the daemon if this benchmark started it; leaves someone else's alone. */
  stop(): Promise<void>;
}

/**
 * Finds the running daemon or starts `binDir/containerd-v8d` with a clean environment and waits
 * for its manager socket. The daemon is node-wide by design (one per node), so a daemon that is
 * already serving the socket is used rather than fought over.
 */
export async function startSharedDaemon(binDir: string): Promise<SharedDaemon> {
  const running = (await answers(MANAGER_SOCKET)) ? findDaemonPid() : undefined;
  if (running !== undefined) return { pid: running, stop: async () => {} };
  const child = spawn(path.join(binDir, "containerd-v8d"), ["--socket", MANAGER_SOCKET], {
    env: { PATH: `${binDir}:/usr/sbin:/usr/bin:/sbin:/bin`, HOME: process.env.HOME ?? "/root" },
    stdio: ["ignore", "ignore", "pipe"],
    detached: false,
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await answers(MANAGER_SOCKET))) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`containerd-v8d did not come up on ${MANAGER_SOCKET}:\n${stderr}`);
    }
    await sleep(50);
  }
  return { pid: child.pid!, stop: () => stopChild(child) };
}

/** True when something accepts connections on the unix socket `socketPath` (not a stale file). */
function answers(socketPath: string): Promise<boolean> {
  if (!existsSync(socketPath)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const socket = net.createConnection({ path: socketPath });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** The pid of a process whose program is `containerd-v8d` (by argv[0] or the script it runs). */
function findDaemonPid(): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    if (argv.slice(0, 2).some((a) => /(^|\/)containerd-v8d(\.cjs)?$/.test(a))) return Number(entry);
  }
  return undefined;
}
