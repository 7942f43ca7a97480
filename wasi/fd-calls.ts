// The fd_* calls about an fd rather than its bytes: close, renumber, stat, flags, rights, sizes,
// times, sync, advice, and the preopen queries wasi-libc makes at start-up.

import {
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  futimesSync,
  utimesSync,
} from "node:fs";
import { Errno, errnoOf, WasiErrno } from "./errno.js";
import {
  ADVICE_MAX,
  FDSTAT_SIZE,
  Fdflags,
  Filetype,
  PRESTAT_SIZE,
  Rights,
  type Layout,
} from "./abi.js";
import type { WasiContext } from "./context.js";
import { needRight, setRights, type FdEntry } from "./fd-table.js";
import { newTimes, writeFilestat } from "./filestat.js";
import { utf8 } from "./memory.js";
import { fdPath } from "./path-resolution.js";

const SYNC_FLAGS = Fdflags.DSYNC | Fdflags.RSYNC | Fdflags.SYNC;

/** Files and block devices take data calls; directories answer EBADF/EISDIR as Linux does. */
function needFile(entry: FdEntry): void {
  if (entry.filetype === Filetype.DIRECTORY) throw new WasiErrno(Errno.BADF);
}

/** Creates the metadata fd calls. */
export function createFdCalls(ctx: WasiContext, layout: Layout) {
  const guard =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A): number => {
      try {
        fn(...args);
        return Errno.SUCCESS;
      } catch (error) {
        return errnoOf(error);
      }
    };

  return {
    fd_close: guard((fd: number) => ctx.fds.close(fd)),

    fd_renumber: guard((from: number, to: number) => ctx.fds.renumber(from, to)),

    fd_fdstat_get: guard((fd: number, ptr: number) => {
      const entry = ctx.fds.get(fd);
      const mem = ctx.mem.refresh();
      if (ptr + FDSTAT_SIZE > mem.u8.length) throw new WasiErrno(Errno.FAULT);
      mem.u8.fill(0, ptr, ptr + FDSTAT_SIZE);
      mem.view.setUint8(ptr, entry.filetype);
      mem.view.setUint16(ptr + 2, entry.fdflags, true);
      mem.view.setBigUint64(ptr + 8, entry.rightsBase, true);
      mem.view.setBigUint64(ptr + 16, entry.rightsInheriting, true);
    }),

    fd_fdstat_set_flags: guard((fd: number, flags: number) => {
      const entry = ctx.fds.get(fd);
      needRight(entry, Rights.FD_FDSTAT_SET_FLAGS);
      if ((flags & ~(Fdflags.APPEND | SYNC_FLAGS | Fdflags.NONBLOCK)) !== 0) {
        throw new WasiErrno(Errno.INVAL);
      }
      // Linux's fcntl(F_SETFL) cannot change the sync flags either; say so rather than ignore it.
      if ((flags & SYNC_FLAGS) !== (entry.fdflags & SYNC_FLAGS)) throw new WasiErrno(Errno.NOTSUP);
      entry.fdflags = flags;
    }),

    fd_fdstat_set_rights: guard((fd: number, base: bigint, inheriting: bigint) => {
      const entry = ctx.fds.get(fd);
      // Rights only shrink (witx: "may only remove rights").
      if ((base & ~entry.rightsBase) !== 0n || (inheriting & ~entry.rightsInheriting) !== 0n) {
        throw new WasiErrno(Errno.NOTCAPABLE);
      }
      setRights(entry, base, inheriting);
    }),

    fd_filestat_get: guard((fd: number, ptr: number) => {
      const entry = ctx.fds.get(fd);
      needRight(entry, Rights.FD_FILESTAT_GET);
      const st = entry.hostFd < 0 ? undefined : fstatSync(entry.hostFd, { bigint: true });
      writeFilestat(ctx.mem.refresh(), ptr, st, layout);
    }),

    fd_filestat_set_size: guard((fd: number, size: bigint) => {
      const entry = ctx.fds.get(fd);
      if (entry.filetype === Filetype.DIRECTORY) throw new WasiErrno(Errno.ISDIR);
      needRight(entry, Rights.FD_FILESTAT_SET_SIZE, Errno.BADF);
      if (entry.root?.readOnly === true) throw new WasiErrno(Errno.ROFS);
      if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new WasiErrno(Errno.FBIG);
      ftruncateSync(entry.hostFd, Number(size));
    }),

    fd_filestat_set_times: guard((fd: number, atim: bigint, mtim: bigint, flags: number) => {
      const entry = ctx.fds.get(fd);
      needRight(entry, Rights.FD_FILESTAT_SET_TIMES);
      if (entry.root?.readOnly === true) throw new WasiErrno(Errno.ROFS);
      if (entry.hostFd < 0) throw new WasiErrno(Errno.BADF);
      const [atime, mtime] = newTimes(atim, mtim, flags, () =>
        fstatSync(entry.hostFd, { bigint: true }),
      );
      if (entry.filetype === Filetype.DIRECTORY) utimesSync(fdPath(entry.hostFd), atime, mtime);
      else futimesSync(entry.hostFd, atime, mtime);
    }),

    fd_advise: guard((fd: number, offset: bigint, len: bigint, advice: number) => {
      const entry = ctx.fds.get(fd);
      needRight(entry, Rights.FD_ADVISE);
      needFile(entry);
      if (advice > ADVICE_MAX || offset < 0n || len < 0n) throw new WasiErrno(Errno.INVAL);
      // Advice is a hint; Node has no posix_fadvise, so taking it is doing nothing.
    }),

    fd_allocate: guard((fd: number, offset: bigint, len: bigint) => {
      const entry = ctx.fds.get(fd);
      needRight(entry, Rights.FD_ALLOCATE, Errno.BADF);
      needFile(entry);
      if (len === 0n) throw new WasiErrno(Errno.INVAL);
      if (entry.root?.readOnly === true) throw new WasiErrno(Errno.ROFS);
      // No posix_fallocate in Node: growing the file gives the same visible size (not the blocks).
      const end = Number(offset + len);
      if (!Number.isSafeInteger(end)) throw new WasiErrno(Errno.FBIG);
      if (fstatSync(entry.hostFd).size < end) ftruncateSync(entry.hostFd, end);
    }),

    fd_datasync: guard((fd: number) => {
      const entry = ctx.fds.get(fd);
      // No rights check for sync/datasync: POSIX allows both on read-only fds (a directory's).
      if (entry.hostFd < 0) throw new WasiErrno(Errno.INVAL);
      fdatasyncSync(entry.hostFd);
    }),

    fd_sync: guard((fd: number) => {
      const entry = ctx.fds.get(fd);
      if (entry.hostFd < 0) throw new WasiErrno(Errno.INVAL);
      fsyncSync(entry.hostFd);
    }),

    fd_prestat_get: guard((fd: number, ptr: number) => {
      const name = ctx.fds.get(fd).preopenName;
      // wasi-libc walks fds from 3 until EBADF: a non-preopen must answer EBADF too.
      if (name === undefined) throw new WasiErrno(Errno.BADF);
      const mem = ctx.mem.refresh();
      if (ptr + PRESTAT_SIZE > mem.u8.length) throw new WasiErrno(Errno.FAULT);
      mem.u8.fill(0, ptr, ptr + PRESTAT_SIZE);
      mem.view.setUint32(ptr + 4, utf8(name).length, true);
    }),

    fd_prestat_dir_name: guard((fd: number, ptr: number, len: number) => {
      const name = ctx.fds.get(fd).preopenName;
      if (name === undefined) throw new WasiErrno(Errno.BADF);
      const bytes = utf8(name);
      if (len < bytes.length) throw new WasiErrno(Errno.NAMETOOLONG);
      ctx.mem.refresh().write(ptr, bytes);
    }),
  };
}
