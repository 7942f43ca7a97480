import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { groupIdOf, loadSpec } from "../oci-spec.js";
import { shimSocketPath, socketAddress } from "../socket-address.js";
import { isServing } from "../socket-probe.js";
import { daemonArgs, type ShimArgs } from "./args.js";
import { listenerFd } from "./listener.js";

/**
 * The `start` action (shim-protocol.md §3.2–3.5): find or create the daemon for this container's
 * group, write `<bundle>/address`, and return the address for the caller to print. Whatever this
 * writes to stdout or stderr becomes the address containerd dials, so it writes nothing; errors
 * are thrown for the caller to report (containerd shows them as the create error).
 *
 * `start` binds the socket itself and hands the listener to the daemon as fd 3, as the Go shim
 * does: the socket accepts connections from the moment it is bound, so containerd's dial and
 * Create queue in its backlog while the daemon boots, and `start` never waits for that boot
 * (architecture doc, decision 6).
 */
export async function startShim(args: ShimArgs, daemon: { script: string }): Promise<string> {
  const bundle = args.bundle;
  const spec = await loadSpec(bundle);
  const socketPath =
    args.socket || shimSocketPath(args.address, args.namespace, groupIdOf(spec, args.id));
  const listener = await bindOrReuse(socketPath);
  if (listener) spawnDaemon(args, daemon.script, socketPath, listener);
  const address = socketAddress(socketPath);
  // Atomically, and without a trailing newline: containerd reads it verbatim on restart (§3.6).
  const tmp = path.join(bundle, ".address");
  writeFileSync(tmp, address);
  renameSync(tmp, path.join(bundle, "address"));
  return address;
}

/**
 * Binds the group's socket, or answers undefined when a live shim already listens there (runc's
 * reuse test, §3.5): try to bind; on EADDRINUSE try to connect; if nobody answers, the file is a
 * stale leftover of a dead shim, so remove it and bind again.
 */
async function bindOrReuse(socketPath: string): Promise<net.Server | undefined> {
  mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 });
  for (let attempt = 0; ; attempt++) {
    try {
      const listener = await bind(socketPath);
      chmodSync(socketPath, 0o600);
      return listener;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt > 0) throw err;
      if (await isServing(socketPath)) return undefined;
      unlinkSync(socketPath);
    }
  }
}

function bind(socketPath: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    // pauseOnConnect: this process must never accept a connection meant for the daemon.
    const listener = net.createServer({ pauseOnConnect: true });
    listener.once("error", reject);
    listener.listen(socketPath, () => resolve(listener));
  });
}

/**
 * Spawns the daemon detached, in its own process group, with stdio it does not share with us:
 * containerd reads our stdout and stderr until EOF (§3.2).
 */
function spawnDaemon(
  args: ShimArgs,
  script: string,
  socketPath: string,
  listener: net.Server,
): void {
  const child = spawn(
    process.execPath,
    [...process.execArgv, script, ...daemonArgs(args), "-socket", socketPath],
    {
      cwd: args.bundle,
      detached: true,
      stdio: ["ignore", "ignore", "ignore", listenerFd(listener)],
    },
  );
  child.unref();
}
