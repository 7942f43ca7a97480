// Clocks and poll_oneoff. Sleeping waits on the interrupt word (wait.ts: Atomics.wait, or
// Atomics.waitAsync in "suspend" mode), so the controller's Atomics.notify ends any sleep at once.
// Stream readiness is learned by a non-blocking read whose bytes are kept on the fd for the next
// fd_read (Node has no poll(2) on a raw fd).

import { fstatSync, readSync } from "node:fs";
import { Errno, errnoOf, WasiErrno } from "./errno.js";
import {
  ClockId,
  EVENTRWFLAGS_HANGUP,
  EVENT_SIZE,
  Eventtype,
  SUBCLOCK_ABSTIME,
  type Layout,
} from "./abi.js";
import type { WasiContext } from "./context.js";
import type { FdEntry } from "./fd-table.js";
import { checkInterrupt, isWouldBlock, PARK_MS } from "./host-io.js";
import { wait, type Waiting } from "./wait.js";

/** Resolution of each clock in ns: Date.now() is whole ms; hrtime is ns; cpuUsage is µs. */
const RESOLUTION_NS: readonly bigint[] = [1_000_000n, 1n, 1_000n, 1_000n];

/** Now on a WASI clock, in ns; undefined for an unknown clock id. */
export function clockNow(id: number): bigint | undefined {
  switch (id) {
    case ClockId.REALTIME:
      return BigInt(Date.now()) * 1_000_000n;
    case ClockId.MONOTONIC:
      return process.hrtime.bigint();
    case ClockId.PROCESS_CPUTIME:
    case ClockId.THREAD_CPUTIME: {
      // Node 20 has no per-thread CPU clock; both report the process's (documented in README).
      const { user, system } = process.cpuUsage();
      return BigInt(user + system) * 1_000n;
    }
    default:
      return undefined;
  }
}

/** How many bytes to take off a stream to learn it is readable. */
const PEEK_BYTES = 64 * 1024;

/** Readiness of one fd subscription: [errno, nbytes, flags], or undefined while not ready. */
function fdReady(entry: FdEntry, read: boolean): [number, bigint, number] | undefined {
  if (!read || entry.hostFd < 0) return [Errno.SUCCESS, 0n, 0];
  if (entry.seekable) {
    const size = fstatSync(entry.hostFd).size;
    return [Errno.SUCCESS, BigInt(Math.max(0, size - entry.position)), 0];
  }
  if (entry.peeked !== undefined) return [Errno.SUCCESS, BigInt(entry.peeked.length), 0];
  const buf = Buffer.allocUnsafe(PEEK_BYTES);
  try {
    const n = readSync(entry.hostFd, buf, 0, PEEK_BYTES, null);
    if (n === 0) return [Errno.SUCCESS, 0n, EVENTRWFLAGS_HANGUP];
    entry.peeked = buf.subarray(0, n);
    return [Errno.SUCCESS, BigInt(n), 0];
  } catch (error) {
    if (isWouldBlock(error)) return undefined;
    return [errnoOf(error), 0n, 0];
  }
}

/** Creates the clock and scheduling calls for one snapshot's layout. */
export function createPoll(ctx: WasiContext, layout: Layout) {
  function clock_res_get(id: number, out: number): number {
    const res = RESOLUTION_NS[id];
    if (res === undefined) return Errno.INVAL;
    try {
      ctx.mem.refresh().u64(out, res);
      return Errno.SUCCESS;
    } catch (error) {
      return errnoOf(error);
    }
  }

  function clock_time_get(id: number, _precision: bigint, out: number): number {
    const now = clockNow(id);
    if (now === undefined) return Errno.INVAL;
    try {
      ctx.mem.refresh().u64(out, now);
      return Errno.SUCCESS;
    } catch (error) {
      return errnoOf(error);
    }
  }

  function sched_yield(): number {
    checkInterrupt(ctx.interrupt);
    return Errno.SUCCESS;
  }

  /**
   * One look at every subscription: writes an event for each that is ready and returns their
   * count (0: nothing yet, no event written). `deadlines` holds each clock's deadline on the
   * monotonic clock, -1n for an fd subscription, -2n for an unknown clock.
   */
  function scan(
    inPtr: number,
    outPtr: number,
    nsubs: number,
    neventsPtr: number,
    deadlines: readonly bigint[],
  ): number {
    const mem = ctx.mem.refresh();
    const size = layout.subscriptionSize;
    const now = process.hrtime.bigint();
    let nevents = 0;
    for (let i = 0; i < nsubs; i++) {
      const sub = inPtr + i * size;
      const type = mem.view.getUint8(sub + 8);
      const deadline = deadlines[i] as bigint;
      let ready: [number, bigint, number] | undefined;
      if (type === Eventtype.CLOCK) {
        if (deadline === -2n) ready = [Errno.INVAL, 0n, 0];
        else if (deadline <= now) ready = [Errno.SUCCESS, 0n, 0];
      } else if (type === Eventtype.FD_READ || type === Eventtype.FD_WRITE) {
        const entry = ctx.fds.find(mem.view.getUint32(sub + layout.subFd, true));
        if (entry === undefined) ready = [Errno.BADF, 0n, 0];
        else ready = fdReady(entry, type === Eventtype.FD_READ);
      } else {
        ready = [Errno.INVAL, 0n, 0];
      }
      if (ready === undefined) continue;
      const ev = outPtr + nevents * EVENT_SIZE;
      mem.u8.fill(0, ev, ev + EVENT_SIZE);
      mem.view.setBigUint64(ev, mem.view.getBigUint64(sub, true), true);
      mem.view.setUint16(ev + 8, ready[0], true);
      mem.view.setUint8(ev + 10, type);
      mem.view.setBigUint64(ev + 16, ready[1], true);
      mem.view.setUint16(ev + 24, ready[2], true);
      nevents++;
    }
    if (nevents > 0) mem.view.setUint32(neventsPtr, nevents, true);
    return nevents;
  }

  /**
   * The slow path of a poll that found nothing ready: sleep until the earliest clock (one wait
   * when only clocks are watched), or at most PARK_MS while an fd is watched, and look again.
   * Deadlines were fixed once, from the call's start.
   */
  function* pollLater(
    inPtr: number,
    outPtr: number,
    nsubs: number,
    neventsPtr: number,
    deadlines: readonly bigint[],
    earliest: bigint | undefined,
  ): Waiting {
    const watchesFds = deadlines.includes(-1n);
    for (;;) {
      const now = process.hrtime.bigint();
      let waitMs = earliest === undefined ? PARK_MS : Number(earliest - now) / 1e6;
      if (watchesFds) waitMs = Math.min(waitMs, PARK_MS);
      yield Math.max(0, waitMs);
      try {
        if (scan(inPtr, outPtr, nsubs, neventsPtr, deadlines) > 0) return Errno.SUCCESS;
      } catch (error) {
        return errnoOf(error);
      }
    }
  }

  function poll_oneoff(
    inPtr: number,
    outPtr: number,
    nsubs: number,
    neventsPtr: number,
  ): number | Promise<number> {
    try {
      if (nsubs === 0) return Errno.INVAL;
      checkInterrupt(ctx.interrupt);
      const mem = ctx.mem.refresh();
      const size = layout.subscriptionSize;
      if (inPtr + nsubs * size > mem.u8.length) throw new WasiErrno(Errno.FAULT);
      if (outPtr + nsubs * EVENT_SIZE > mem.u8.length) throw new WasiErrno(Errno.FAULT);
      // Deadlines on the monotonic clock; -1n: not a clock subscription.
      const deadlines: bigint[] = [];
      let earliest: bigint | undefined;
      const start = process.hrtime.bigint();
      for (let i = 0; i < nsubs; i++) {
        const sub = inPtr + i * size;
        let deadline = -1n;
        if (mem.view.getUint8(sub + 8) === Eventtype.CLOCK) {
          const id = mem.view.getUint32(sub + layout.subClockId, true);
          const timeout = mem.view.getBigUint64(sub + layout.subClockTimeout, true);
          const abs =
            (mem.view.getUint16(sub + layout.subClockFlags, true) & SUBCLOCK_ABSTIME) !== 0;
          const now = clockNow(id);
          if (now !== undefined) {
            deadline = start + (abs ? timeout - now : timeout);
            if (earliest === undefined || deadline < earliest) earliest = deadline;
          } else deadline = -2n; // unknown clock: reported as EINVAL at once
        }
        deadlines.push(deadline);
      }
      if (scan(inPtr, outPtr, nsubs, neventsPtr, deadlines) > 0) return Errno.SUCCESS;
      return wait(ctx, pollLater(inPtr, outPtr, nsubs, neventsPtr, deadlines, earliest));
    } catch (error) {
      return errnoOf(error);
    }
  }

  return { clock_res_get, clock_time_get, sched_yield, poll_oneoff };
}
