// fd_read, fd_write, fd_pread, fd_pwrite, fd_seek, fd_tell: data in and out of guest memory.
// The hot paths (fd_read/fd_write) allocate nothing: iovecs are read from the cached DataView and
// host I/O goes straight to and from the guest's Uint8Array.

import { fstatSync, writevSync } from "node:fs";
import { Errno, errnoOf, WasiErrno } from "./errno.js";
import { Fdflags, Filetype, IOVEC_SIZE, Rights, Whence, type Layout } from "./abi.js";
import type { WasiContext } from "./context.js";
import { needRight, type FdEntry } from "./fd-table.js";
import { Blocked, checkInterrupt, isWouldBlock, PARK_MS, readSome, writeAll } from "./host-io.js";
import { wait, type Waiting } from "./wait.js";

const MAX_OFFSET = BigInt(Number.MAX_SAFE_INTEGER);

/** Positioned calls on a directory: EBADF, as wasmtime answers (Linux would seek it). */
function notDirectory(entry: FdEntry): void {
  if (entry.filetype === Filetype.DIRECTORY) throw new WasiErrno(Errno.BADF);
}

/** The offset a write goes to: the guest's position, or end of file in append mode. */
function writePosition(entry: FdEntry): number | null {
  if (!entry.seekable) return null;
  // Append is emulated (Node cannot change O_APPEND after open); single-writer semantics.
  if ((entry.fdflags & Fdflags.APPEND) !== 0) return fstatSync(entry.hostFd).size;
  return entry.position;
}

/** Copies bytes poll_oneoff already took off a stream into the iovecs; returns the count. */
function drainPeeked(ctx: WasiContext, entry: FdEntry, iovs: number, iovsLen: number): number {
  const peeked = entry.peeked as Buffer;
  const { view, u8 } = ctx.mem;
  let total = 0;
  for (let i = 0; i < iovsLen && total < peeked.length; i++) {
    const ptr = view.getUint32(iovs + i * IOVEC_SIZE, true);
    const len = view.getUint32(iovs + i * IOVEC_SIZE + 4, true);
    const n = Math.min(len, peeked.length - total);
    if (ptr + n > u8.length) throw new WasiErrno(Errno.FAULT);
    u8.set(peeked.subarray(total, total + n), ptr);
    total += n;
  }
  entry.peeked = total < peeked.length ? peeked.subarray(total) : undefined;
  return total;
}

/**
 * Writes every iovec with one writev(2), straight from guest memory; returns the bytes written.
 * 0 — with nothing written — when it would block or an iovec lies outside memory, so that the
 * caller's one-buffer-at-a-time loop parks or fails exactly as it does for a single buffer.
 */
function writeGathered(
  hostFd: number,
  u8: Uint8Array,
  view: DataView,
  iovs: number,
  iovsLen: number,
  position: number | null,
): number {
  const buffers: Uint8Array[] = [];
  for (let i = 0; i < iovsLen; i++) {
    const ptr = view.getUint32(iovs + i * IOVEC_SIZE, true);
    const len = view.getUint32(iovs + i * IOVEC_SIZE + 4, true);
    if (ptr + len > u8.length) return 0;
    if (len > 0) buffers.push(u8.subarray(ptr, ptr + len));
  }
  try {
    return writevSync(hostFd, buffers, position ?? undefined);
  } catch (error) {
    if (isWouldBlock(error)) return 0;
    throw error;
  }
}

/** Creates the byte-moving fd calls. */
export function createFdIo(ctx: WasiContext, layout: Layout) {
  const { interrupt } = ctx;

  /**
   * Writes the iovecs one buffer at a time after the first `done` bytes (already written), at
   * `start + done` for positioned fds; returns the bytes written in all. Throws `Blocked` with that
   * count when the fd is full and the guest expects blocking I/O: the slow path waits and calls
   * this again from there, so every byte goes out once and in order.
   */
  function writeBuffers(
    entry: FdEntry,
    iovs: number,
    iovsLen: number,
    done: number,
    start: number | null,
    nonblocking: boolean,
  ): number {
    const { view, u8 } = ctx.mem;
    let total = done;
    let skip = done;
    for (let i = 0; i < iovsLen; i++) {
      let ptr = view.getUint32(iovs + i * IOVEC_SIZE, true);
      let len = view.getUint32(iovs + i * IOVEC_SIZE + 4, true);
      if (skip > 0) {
        const gone = Math.min(skip, len);
        ptr += gone;
        len -= gone;
        skip -= gone;
      }
      if (len === 0) continue;
      if (entry.hostFd < 0) {
        total += len; // the null device swallows everything
        continue;
      }
      let n: number;
      try {
        n = writeAll(
          entry.hostFd,
          u8,
          ptr,
          len,
          start === null ? null : start + total,
          nonblocking,
        );
      } catch (error) {
        if (error instanceof Blocked) throw new Blocked(total + error.done);
        if (total > 0 && isWouldBlock(error)) break;
        throw error;
      }
      total += n;
      if (n < len) break;
    }
    return total;
  }

  /** Reports a finished write; `moves`: fd_write advances the guest's offset, fd_pwrite not. */
  function wrote(
    entry: FdEntry,
    nwritten: number,
    start: number | null,
    total: number,
    moves: boolean,
  ) {
    if (moves && start !== null) entry.position = start + total;
    ctx.mem.view.setUint32(nwritten, total, true);
    return Errno.SUCCESS;
  }

  /** The slow path of a write that blocked after `done` bytes: wait, then write on from there. */
  function* writeLater(
    entry: FdEntry,
    iovs: number,
    iovsLen: number,
    nwritten: number,
    start: number | null,
    done: number,
    moves: boolean,
  ): Waiting {
    for (;;) {
      yield PARK_MS;
      try {
        ctx.mem.refresh();
        const total = writeBuffers(entry, iovs, iovsLen, done, start, false);
        return wrote(entry, nwritten, start, total, moves);
      } catch (error) {
        if (!(error instanceof Blocked)) return errnoOf(error);
        done = error.done;
      }
    }
  }

  function fd_write(
    fd: number,
    iovs: number,
    iovsLen: number,
    nwritten: number,
  ): number | Promise<number> {
    const entry = ctx.fds.find(fd);
    // A missing FD_WRITE right is EBADF, as write(2) on an O_RDONLY fd (and wasmtime) answers.
    if (entry === undefined || !entry.canWrite) return Errno.BADF;
    let start: number | null = null;
    try {
      checkInterrupt(interrupt);
      const mem = ctx.mem.refresh();
      const nonblocking = (entry.fdflags & Fdflags.NONBLOCK) !== 0;
      start = entry.hostFd < 0 ? null : writePosition(entry);
      // Several buffers (wasi-libc's stdio sends its buffer and the new bytes together) go out in
      // one writev(2); whatever it leaves (a short write, a would-block) goes one at a time.
      let done = 0;
      if (iovsLen > 1 && entry.hostFd >= 0) {
        done = writeGathered(entry.hostFd, mem.u8, mem.view, iovs, iovsLen, start);
      }
      const total = writeBuffers(entry, iovs, iovsLen, done, start, nonblocking);
      return wrote(entry, nwritten, start, total, true);
    } catch (error) {
      if (error instanceof Blocked) {
        return wait(ctx, writeLater(entry, iovs, iovsLen, nwritten, start, error.done, true));
      }
      return errnoOf(error);
    }
  }

  /**
   * One try at fd_read: bytes poll_oneoff took off the stream first, else a read into each iovec
   * in turn. Only the first read may block (throwing `Blocked`, with nothing read): like readv(2),
   * it returns what is there once it has some. So a retry starts from scratch.
   */
  function readInto(entry: FdEntry, iovs: number, iovsLen: number, nread: number): number {
    const mem = ctx.mem.refresh();
    const view = mem.view;
    if (entry.peeked !== undefined) {
      view.setUint32(nread, drainPeeked(ctx, entry, iovs, iovsLen), true);
      return Errno.SUCCESS;
    }
    const nonblocking = (entry.fdflags & Fdflags.NONBLOCK) !== 0;
    let total = 0;
    for (let i = 0; i < iovsLen && entry.hostFd >= 0; i++) {
      const ptr = view.getUint32(iovs + i * IOVEC_SIZE, true);
      const len = view.getUint32(iovs + i * IOVEC_SIZE + 4, true);
      if (len === 0) continue;
      const position = entry.seekable ? entry.position : null;
      let n: number;
      try {
        n = readSome(entry.hostFd, mem.u8, ptr, len, position, nonblocking || total > 0);
      } catch (error) {
        if (total > 0 && isWouldBlock(error)) break;
        throw error;
      }
      total += n;
      if (entry.seekable) entry.position += n;
      if (n < len) break;
    }
    view.setUint32(nread, total, true);
    return Errno.SUCCESS;
  }

  /** The slow path of a read that found nothing: wait, then try again. */
  function* readLater(entry: FdEntry, iovs: number, iovsLen: number, nread: number): Waiting {
    for (;;) {
      yield PARK_MS;
      try {
        return readInto(entry, iovs, iovsLen, nread);
      } catch (error) {
        if (!(error instanceof Blocked)) return errnoOf(error);
      }
    }
  }

  function fd_read(
    fd: number,
    iovs: number,
    iovsLen: number,
    nread: number,
  ): number | Promise<number> {
    const entry = ctx.fds.find(fd);
    if (entry === undefined || !entry.canRead) return Errno.BADF;
    try {
      checkInterrupt(interrupt);
      return readInto(entry, iovs, iovsLen, nread);
    } catch (error) {
      if (error instanceof Blocked) return wait(ctx, readLater(entry, iovs, iovsLen, nread));
      return errnoOf(error);
    }
  }

  function fd_pwrite(
    fd: number,
    iovs: number,
    iovsLen: number,
    offset: bigint,
    nwritten: number,
  ): number | Promise<number> {
    let entry: FdEntry | undefined;
    let start = 0;
    try {
      entry = ctx.fds.get(fd);
      notDirectory(entry);
      if (!entry.canWrite) return Errno.BADF;
      if (!entry.seekable) return Errno.SPIPE;
      needRight(entry, Rights.FD_SEEK);
      ctx.mem.refresh();
      if (offset > MAX_OFFSET) return Errno.INVAL; // beyond what a JS number holds exactly
      start = Number(offset);
      const total = writeBuffers(entry, iovs, iovsLen, 0, start, false);
      return wrote(entry, nwritten, start, total, false);
    } catch (error) {
      if (error instanceof Blocked && entry !== undefined) {
        return wait(ctx, writeLater(entry, iovs, iovsLen, nwritten, start, error.done, false));
      }
      return errnoOf(error);
    }
  }

  /**
   * One try at fd_pread after the first `done` bytes (already read): each iovec in turn from
   * `start + done`, each read allowed to block (throwing `Blocked` with the count so far).
   */
  function preadFrom(
    entry: FdEntry,
    iovs: number,
    iovsLen: number,
    start: number,
    nread: number,
    done: number,
  ): number {
    const mem = ctx.mem.refresh();
    let total = done;
    let skip = done;
    for (let i = 0; i < iovsLen; i++) {
      let ptr = mem.view.getUint32(iovs + i * IOVEC_SIZE, true);
      let len = mem.view.getUint32(iovs + i * IOVEC_SIZE + 4, true);
      if (skip > 0) {
        // A read blocks only at an iovec's start (readSome returns at its first bytes).
        const gone = Math.min(skip, len);
        ptr += gone;
        len -= gone;
        skip -= gone;
        if (len === 0) continue;
      }
      let n: number;
      try {
        n = readSome(entry.hostFd, mem.u8, ptr, len, start + total, false);
      } catch (error) {
        if (error instanceof Blocked) throw new Blocked(total);
        throw error;
      }
      total += n;
      if (n < len) break;
    }
    mem.view.setUint32(nread, total, true);
    return Errno.SUCCESS;
  }

  /** The slow path of a pread that blocked after `done` bytes: wait, then read on from there. */
  function* preadLater(
    entry: FdEntry,
    iovs: number,
    iovsLen: number,
    start: number,
    nread: number,
    done: number,
  ): Waiting {
    for (;;) {
      yield PARK_MS;
      try {
        return preadFrom(entry, iovs, iovsLen, start, nread, done);
      } catch (error) {
        if (!(error instanceof Blocked)) return errnoOf(error);
        done = error.done;
      }
    }
  }

  function fd_pread(
    fd: number,
    iovs: number,
    iovsLen: number,
    offset: bigint,
    nread: number,
  ): number | Promise<number> {
    let entry: FdEntry | undefined;
    let start = 0;
    try {
      entry = ctx.fds.get(fd);
      notDirectory(entry);
      if (!entry.canRead) return Errno.BADF;
      if (!entry.seekable) return Errno.SPIPE;
      needRight(entry, Rights.FD_SEEK);
      ctx.mem.refresh();
      if (offset > MAX_OFFSET) return Errno.INVAL; // beyond what a JS number holds exactly
      start = Number(offset);
      return preadFrom(entry, iovs, iovsLen, start, nread, 0);
    } catch (error) {
      if (error instanceof Blocked && entry !== undefined) {
        return wait(ctx, preadLater(entry, iovs, iovsLen, start, nread, error.done));
      }
      return errnoOf(error);
    }
  }

  function fd_seek(fd: number, offset: bigint, whence: number, newOffset: number): number {
    try {
      const entry = ctx.fds.get(fd);
      notDirectory(entry);
      if (!entry.seekable) return Errno.SPIPE;
      // wasi-libc asks for (0, CUR) to implement tell(); that needs only FD_TELL.
      const tellOnly = offset === 0n && layout.whence[whence] === Whence.CUR;
      needRight(entry, tellOnly ? Rights.FD_TELL : Rights.FD_SEEK);
      const mem = ctx.mem.refresh();
      let base: number;
      switch (layout.whence[whence]) {
        case Whence.SET:
          base = 0;
          break;
        case Whence.CUR:
          base = entry.position;
          break;
        case Whence.END:
          base = fstatSync(entry.hostFd).size;
          break;
        default:
          return Errno.INVAL;
      }
      const next = base + Number(offset);
      if (next < 0 || !Number.isSafeInteger(next)) return Errno.INVAL;
      entry.position = next;
      mem.u64(newOffset, next);
      return Errno.SUCCESS;
    } catch (error) {
      return errnoOf(error);
    }
  }

  function fd_tell(fd: number, offsetPtr: number): number {
    try {
      const entry = ctx.fds.get(fd);
      notDirectory(entry);
      if (!entry.seekable) return Errno.SPIPE;
      needRight(entry, Rights.FD_TELL);
      ctx.mem.refresh().u64(offsetPtr, entry.position);
      return Errno.SUCCESS;
    } catch (error) {
      return errnoOf(error);
    }
  }

  return { fd_write, fd_read, fd_pwrite, fd_pread, fd_seek, fd_tell };
}
