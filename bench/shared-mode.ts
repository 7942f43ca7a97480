// Shared mode (issue 6) as a benchmark setup: its thin client `containerd-shim-v8d-v1` and its
// daemon `containerd-v8d`. The bench includes shared mode exactly when the thin client is built;
// until then its rows print "not built".
//
// TODO(issue 6): the daemon's command line and manager socket are assumed from the text
// (no arguments; listens on /run/containerd-v8d/manager.sock). Align this file with the daemon's
// README once shared mode lands — it is the only place that knows how to start it.
import { spawn, type ChildProcess } from "node:child_process";
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
  const running = existsSync(MANAGER_SOCKET) ? findDaemonPid() : undefined;
  if (running !== undefined) return { pid: running, stop: async () => {} };
  const child = spawn(path.join(binDir, "containerd-v8d"), [], {
    env: { PATH: `${binDir}:/usr/sbin:/usr/bin:/sbin:/bin`, HOME: process.env.HOME ?? "/root" },
    stdio: ["ignore", "ignore", "pipe"],
    detached: false,
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!existsSync(MANAGER_SOCKET)) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`containerd-v8d did not come up on ${MANAGER_SOCKET}:\n${stderr}`);
    }
    await sleep(50);
  }
  return { pid: child.pid!, stop: () => stopChild(child) };
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
