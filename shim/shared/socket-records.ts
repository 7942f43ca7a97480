import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { removeStaleSocket } from "./socket-files.js";

/**
 * A note on disk of every sandbox socket the daemon serves, so that after a crash the next daemon
 * removes the socket files the dead one left (containerd's `delete` removes most of them too, but
 * not for a container it never connected to). One file per socket, named by the socket path's
 * hash, holding the path.
 */
export class SocketRecords {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  add(socketPath: string): void {
    writeFileSync(this.#file(socketPath), socketPath, { mode: 0o600 });
  }

  remove(socketPath: string): void {
    try {
      unlinkSync(this.#file(socketPath));
    } catch {
      // Never recorded, or already removed.
    }
  }

  /**
   * Removes the sockets recorded by an earlier daemon that nobody serves any more, and their
   * records. Answers the paths removed. Run before serving, when no sandbox of ours exists yet.
   */
  async sweep(): Promise<string[]> {
    const removed: string[] = [];
    for (const name of readdirSync(this.#dir)) {
      const record = path.join(this.#dir, name);
      let socketPath: string;
      try {
        socketPath = readFileSync(record, "utf8");
      } catch {
        continue;
      }
      if (path.isAbsolute(socketPath) && (await removeStaleSocket(socketPath))) {
        removed.push(socketPath);
      }
      try {
        unlinkSync(record);
      } catch {
        // Gone already.
      }
    }
    return removed;
  }

  #file(socketPath: string): string {
    return path.join(this.#dir, createHash("sha256").update(socketPath).digest("hex").slice(0, 32));
  }
}
