// Reads and writes on host fds that may be non-blocking (containerd's FIFOs, sockets). The guest
// sees blocking I/O: on EAGAIN these throw `Blocked`, and the call waits a few milliseconds on the
// interrupt word (wait.ts: parked or suspended) and retries, so a slow reader never blocks forever
// and an interrupt lands within one wait.

import { readSync, writeSync } from "node:fs";
import { WasiInterrupted } from "./exit.js";

/** How long one park lasts before retrying a would-block read or write. */
export const PARK_MS = 10;

/**
 * Thrown when the fd would block and the guest expects blocking I/O, after `done` bytes moved. The
 * call catches it and enters its slow path (wait.ts) to go on from there. Not an Error: no stack.
 */
export class Blocked {
  constructor(readonly done: number) {}
}

/** Throws WasiInterrupted if the controller has set the interrupt word. */
export function checkInterrupt(interrupt: Int32Array): void {
  if (Atomics.load(interrupt, 0) !== 0) throw new WasiInterrupted();
}

/**
 * Sleeps up to `ms` on the interrupt word. `Atomics.notify` from the controller wakes it at once;
 * a value other than 0 means "interrupted" and throws.
 */
export function park(interrupt: Int32Array, ms: number): void {
  Atomics.wait(interrupt, 0, 0, ms);
  checkInterrupt(interrupt);
}

function wouldBlock(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "EAGAIN" || code === "EWOULDBLOCK";
}

/**
 * Writes `len` bytes of `u8` from `off` to a host fd, straight from the guest's memory.
 * `position` null writes at the fd's own offset (pipes, appends). When the fd would block this
 * throws `Blocked` with the count written so far — or, with `nonblocking` (the guest set
 * FDFLAGS_NONBLOCK), returns that count, or throws EAGAIN if nothing was written. An error after a
 * partial write reports the partial count, as write(2) does.
 */
export function writeAll(
  fd: number,
  u8: Uint8Array,
  off: number,
  len: number,
  position: number | null,
  nonblocking: boolean,
): number {
  let done = 0;
  while (done < len) {
    try {
      done += writeSync(fd, u8, off + done, len - done, position === null ? null : position + done);
    } catch (error) {
      if (done > 0 && (nonblocking || !wouldBlock(error))) return done;
      if (!wouldBlock(error) || nonblocking) throw error;
      throw new Blocked(done);
    }
  }
  return done;
}

/**
 * Reads up to `len` bytes into `u8` at `off`; 0 is end of file. Throws `Blocked` while the fd
 * would block, or EAGAIN if `nonblocking`. `position` null reads at the fd's own offset.
 */
export function readSome(
  fd: number,
  u8: Uint8Array,
  off: number,
  len: number,
  position: number | null,
  nonblocking: boolean,
): number {
  try {
    return readSync(fd, u8, off, len, position);
  } catch (error) {
    if (!wouldBlock(error) || nonblocking) throw error;
    throw new Blocked(0);
  }
}

/** True if an error is a would-block (EAGAIN), for callers that stop rather than park. */
export function isWouldBlock(error: unknown): boolean {
  return wouldBlock(error);
}
