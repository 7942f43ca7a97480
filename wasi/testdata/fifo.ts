// Test support: FIFOs (Node has no pipe()), opened non-blocking as containerd opens stdio.

import { execFileSync } from "node:child_process";
import { constants, openSync } from "node:fs";

/** Makes a FIFO at `path` and opens both ends non-blocking: [readFd, writeFd]. */
export function fifo(path: string): [number, number] {
  execFileSync("mkfifo", [path]);
  const r = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const w = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  return [r, w];
}
