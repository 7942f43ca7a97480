// Reads and writes on host fds that may be non-blocking (containerd's FIFOs, sockets). The guest
// sees blocking I/O: on EAGAIN the call parks on the interrupt word for a few milliseconds and
// retries, so a slow reader never blocks forever and an interrupt lands within one park.

import { readSync, writeSync } from "node:fs";
import { WasiInterrupted } from "./exit.js";

/** How long one park lasts before retrying a would-block read or write. */
export const PARK_MS = 10;

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
 * `position` null writes at the fd's own offset (pipes, appends). With `nonblocking` (the guest set
 * FDFLAGS_NONBLOCK) a would-block returns what was written so far, or throws EAGAIN if nothing
 * was. An error after a partial write reports the partial count, as write(2) does.
 */
export function writeAll(
  fd: number,
  u8: Uint8Array,
  off: number,
  len: number,
  position: number | null,
  interrupt: Int32Array,
  nonblocking: boolean,
): number {
  let done = 0;
  while (done < len) {
    try {
      done += writeSync(fd, u8, off + done, len - done, position === null ? null : position + done);
    } catch (error) {
      if (done > 0 && (nonblocking || !wouldBlock(error))) return done;
      if (!wouldBlock(error) || nonblocking) throw error;
      park(interrupt, PARK_MS);
    }
  }
  return done;
}

/**
 * Reads up to `len` bytes into `u8` at `off`; 0 is end of file. Parks while the fd would block,
 * unless `nonblocking` (then EAGAIN is thrown). `position` null reads at the fd's own offset.
 */
export function readSome(
  fd: number,
  u8: Uint8Array,
  off: number,
  len: number,
  position: number | null,
  interrupt: Int32Array,
  nonblocking: boolean,
): number {
  for (;;) {
    try {
      return readSync(fd, u8, off, len, position);
    } catch (error) {
      if (!wouldBlock(error) || nonblocking) throw error;
      park(interrupt, PARK_MS);
    }
  }
}

/** True if an error is a would-block (EAGAIN), for callers that stop rather than park. */
export function isWouldBlock(error: unknown): boolean {
  return wouldBlock(error);
}
