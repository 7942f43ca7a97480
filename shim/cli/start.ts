import { spawn } from "node:child_process";
import { renameSync, writeFileSync } from "node:fs";
import net from "node:net";
import type { Readable } from "node:stream";
import path from "node:path";
import { groupIdOf, loadSpec } from "../oci-spec.js";
import { shimSocketPath, socketAddress } from "../socket-address.js";
import { daemonArgs, type ShimArgs } from "./args.js";
import { readinessFd, type Readiness } from "./readiness.js";

/**
 * The `start` action (shim-protocol.md §3.2–3.5): find or spawn the daemon for this container's
 * group, write `<bundle>/address`, and return the address for the caller to print. Whatever this
 * writes to stdout or stderr becomes the address containerd dials, so it writes nothing; errors
 * are thrown for the caller to report (containerd shows them as the create error).
 */
export async function startShim(args: ShimArgs, daemon: { script: string }): Promise<string> {
  const bundle = args.bundle;
  const spec = await loadSpec(bundle);
  const socketPath = args.socket || shimSocketPath(args.address, args.namespace, groupIdOf(spec, args.id));
  if (!(await isServing(socketPath))) {
    await spawnDaemon(args, daemon.script, socketPath);
  }
  const address = socketAddress(socketPath);
  // Atomically, and without a trailing newline: containerd reads it verbatim on restart (§3.6).
  const tmp = path.join(bundle, ".address");
  writeFileSync(tmp, address);
  renameSync(tmp, path.join(bundle, "address"));
  return address;
}

/** Whether a shim already accepts connections on `socketPath` (runc's reuse test, §3.5). */
export function isServing(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * Spawns the daemon detached, with stdio it does not share with us (containerd waits for EOF on
 * our stdout and stderr, §3.2), and waits for its readiness report on an extra pipe.
 */
async function spawnDaemon(args: ShimArgs, script: string, socketPath: string): Promise<void> {
  const child = spawn(
    process.execPath,
    [...process.execArgv, script, ...daemonArgs(args), "-socket", socketPath],
    { cwd: args.bundle, detached: true, stdio: ["ignore", "ignore", "ignore", "pipe"] },
  );
  const readiness = await new Promise<Readiness>((resolve) => {
    let text = "";
    const pipe = child.stdio[readinessFd] as Readable;
    pipe.setEncoding("utf8");
    pipe.on("data", (chunk: string) => (text += chunk));
    pipe.once("end", () => resolve(parseReadiness(text)));
    child.once("error", (err) => resolve({ ok: false, error: `cannot run the shim daemon: ${err.message}` }));
  });
  child.unref();
  (child.stdio[readinessFd] as Readable).destroy();
  if (!readiness.ok) throw new Error(readiness.error);
}

function parseReadiness(text: string): Readiness {
  if (text.startsWith("ok")) return { ok: true };
  if (text.startsWith("error ")) return { ok: false, error: text.slice("error ".length).trim() };
  return { ok: false, error: "the shim daemon exited before it was ready; see containerd's log" };
}
