import { chmodSync, existsSync, lstatSync, mkdirSync, renameSync, unlinkSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { Code, TtrpcError } from "../../ttrpc/index.js";
import { isServing } from "../socket-probe.js";

/** Removes a socket file left by a process that died, unless someone serves it. */
export async function removeStaleSocket(socketPath: string): Promise<boolean> {
  if (!isSocketFile(socketPath) || (await isServing(socketPath))) return false;
  removeFile(socketPath);
  return true;
}

/** A listening unix socket at a path whose file this process owns until `unlink`. */
export interface BoundSocket {
  readonly listener: net.Server;
  readonly path: string;
  /** Removes the socket file if it is still the one this process bound. Idempotent. */
  unlink(): void;
}

let tmpCounter = 0;

/**
 * Binds a listening socket at `socketPath` (mode 0600, directory 0700), replacing a stale file
 * left by a dead process; throws FAILED_PRECONDITION when a live one serves it.
 *
 * The socket is bound under a temporary name and renamed into place: Node (libuv) unlinks the
 * path it bound when the listener closes, and a sandbox that is closing must not remove the
 * socket of the sandbox that replaced it at the same path. Unlinking is ours, by inode.
 */
export async function bindSocket(socketPath: string): Promise<BoundSocket> {
  mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 });
  if (existsSync(socketPath) && (await isServing(socketPath))) {
    throw new TtrpcError(
      Code.FailedPrecondition,
      `another process already serves ${socketPath}; is a second daemon or shim running?`,
    );
  }
  const tmp = `${socketPath}.${process.pid}.${++tmpCounter}`;
  const listener = net.createServer();
  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(tmp, () => {
      listener.off("error", reject);
      resolve();
    });
  });
  let ino: number;
  try {
    chmodSync(tmp, 0o600);
    renameSync(tmp, socketPath);
    ino = lstatSync(socketPath).ino;
  } catch (err) {
    listener.close();
    throw err;
  }
  return {
    listener,
    path: socketPath,
    unlink: () => {
      try {
        if (lstatSync(socketPath).ino === ino) unlinkSync(socketPath);
      } catch {
        // Already gone.
      }
    },
  };
}

function isSocketFile(file: string): boolean {
  try {
    return lstatSync(file).isSocket();
  } catch {
    return false;
  }
}

function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone.
  }
}
