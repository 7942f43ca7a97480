// The path_* calls other than path_open (path-open.ts). Each resolves its path(s) with path-resolution.ts — confined to the preopen,
// symlinks followed by us — and then acts on "/proc/self/fd/<dir>/<name>" without following
// anything, so the kernel never walks a guest-controlled symlink or "..".

import {
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  readlinkSync,
  renameSync,
  rmdirSync,
  symlinkSync,
  unlinkSync,
  type BigIntStats,
} from "node:fs";
import { Errno, WasiErrno } from "./errno.js";
import { Lookupflags, Rights, type Layout } from "./abi.js";
import type { WasiContext } from "./context.js";
import { newTimes, writeFilestat } from "./filestat.js";
import { hostPath, release, resolveAt, withResolved, type Resolved } from "./path-resolution.js";

/** The host's view of a name: its lstat, or undefined if it does not exist. */
function lstatOrNone(r: Resolved): BigIntStats | undefined {
  try {
    return lstatSync(hostPath(r), { bigint: true });
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return undefined;
    throw error;
  }
}

function writable(r: Resolved): void {
  if (r.root.readOnly) throw new WasiErrno(Errno.ROFS);
}

/** Creates the path calls. */
export function createPathCalls(ctx: WasiContext, layout: Layout) {
  const at = (fd: number, right: bigint, ptr: number, len: number, follow: boolean): Resolved =>
    resolveAt(ctx, fd, right, ptr, len, follow);
  const using = withResolved;

  function path_filestat_get(fd: number, lookup: number, ptr: number, len: number, out: number) {
    const follow = (lookup & Lookupflags.SYMLINK_FOLLOW) !== 0;
    return using(
      () => at(fd, Rights.PATH_FILESTAT_GET, ptr, len, follow),
      (r) => {
        if (r.missing) throw new WasiErrno(Errno.NOENT);
        // A following lookup has already lstat'ed the name: the very call made here otherwise.
        const st = r.stat ?? lstatSync(hostPath(r), { bigint: true });
        if (r.mustBeDir && !st.isDirectory()) throw new WasiErrno(Errno.NOTDIR);
        writeFilestat(ctx.mem.refresh(), out, st, layout);
      },
    );
  }

  function path_filestat_set_times(
    fd: number,
    lookup: number,
    ptr: number,
    len: number,
    atim: bigint,
    mtim: bigint,
    flags: number,
  ): number {
    const follow = (lookup & Lookupflags.SYMLINK_FOLLOW) !== 0;
    return using(
      () => at(fd, Rights.PATH_FILESTAT_SET_TIMES, ptr, len, follow),
      (r) => {
        writable(r);
        const path = hostPath(r);
        const [atime, mtime] = newTimes(atim, mtim, flags, () => lstatSync(path, { bigint: true }));
        lutimesSync(path, atime, mtime);
      },
    );
  }

  function path_create_directory(fd: number, ptr: number, len: number): number {
    return using(
      () => at(fd, Rights.PATH_CREATE_DIRECTORY, ptr, len, false),
      (r) => {
        writable(r);
        mkdirSync(hostPath(r), 0o777);
      },
    );
  }

  function path_unlink_file(fd: number, ptr: number, len: number): number {
    return using(
      () => at(fd, Rights.PATH_UNLINK_FILE, ptr, len, false),
      (r) => {
        writable(r);
        if (r.mustBeDir) {
          // "file/" is ENOTDIR, "dir/" EISDIR, as unlink(2) answers.
          const st = lstatSync(hostPath(r));
          throw new WasiErrno(st.isDirectory() ? Errno.ISDIR : Errno.NOTDIR);
        }
        unlinkSync(hostPath(r));
      },
    );
  }

  function path_remove_directory(fd: number, ptr: number, len: number): number {
    return using(
      () => at(fd, Rights.PATH_REMOVE_DIRECTORY, ptr, len, false),
      (r) => {
        writable(r);
        rmdirSync(hostPath(r));
      },
    );
  }

  function path_readlink(
    fd: number,
    ptr: number,
    len: number,
    buf: number,
    bufLen: number,
    used: number,
  ) {
    return using(
      () => at(fd, Rights.PATH_READLINK, ptr, len, false),
      (r) => {
        if (r.mustBeDir) throw new WasiErrno(Errno.NOTDIR);
        const target = readlinkSync(hostPath(r), { encoding: "buffer" });
        const mem = ctx.mem.refresh();
        // Like readlink(2): a short buffer gets a truncated target.
        const n = Math.min(target.length, bufLen);
        mem.write(buf, target.subarray(0, n));
        mem.view.setUint32(used, n, true);
      },
    );
  }

  /** Two resolutions at once (link, rename); both are released whatever happens. */
  const usingTwo = (
    first: () => Resolved,
    second: () => Resolved,
    fn: (a: Resolved, b: Resolved) => void,
  ): number => {
    let a: Resolved | undefined;
    return using(
      () => {
        a = first();
        return second();
      },
      (b) => {
        try {
          fn(a as Resolved, b);
        } finally {
          if (a !== undefined) release(a);
        }
      },
    );
  };

  function path_link(
    oldFd: number,
    lookup: number,
    oldPtr: number,
    oldLen: number,
    newFd: number,
    newPtr: number,
    newLen: number,
  ): number {
    const follow = (lookup & Lookupflags.SYMLINK_FOLLOW) !== 0;
    return usingTwo(
      () => at(oldFd, Rights.PATH_LINK_SOURCE, oldPtr, oldLen, follow),
      () => at(newFd, Rights.PATH_LINK_TARGET, newPtr, newLen, false),
      (from, to) => {
        writable(to);
        writable(from);
        const st = lstatSync(hostPath(from));
        if (st.isDirectory()) throw new WasiErrno(Errno.PERM); // link(2) on a directory
        if (from.mustBeDir) throw new WasiErrno(Errno.NOTDIR);
        if (to.mustBeDir) throw new WasiErrno(lstatOrNone(to) ? Errno.EXIST : Errno.NOENT);
        linkSync(hostPath(from), hostPath(to)); // Linux link(2) never follows the source
      },
    );
  }

  function path_rename(
    oldFd: number,
    oldPtr: number,
    oldLen: number,
    newFd: number,
    newPtr: number,
    newLen: number,
  ): number {
    return usingTwo(
      () => at(oldFd, Rights.PATH_RENAME_SOURCE, oldPtr, oldLen, false),
      () => at(newFd, Rights.PATH_RENAME_TARGET, newPtr, newLen, false),
      (from, to) => {
        writable(from);
        writable(to);
        if (from.mustBeDir || to.mustBeDir) {
          // A trailing slash on either side requires the source to be a directory.
          if (!lstatSync(hostPath(from)).isDirectory()) throw new WasiErrno(Errno.NOTDIR);
        }
        renameSync(hostPath(from), hostPath(to));
      },
    );
  }

  function path_symlink(
    oldPtr: number,
    oldLen: number,
    fd: number,
    newPtr: number,
    newLen: number,
  ) {
    return using(
      () => at(fd, Rights.PATH_SYMLINK, newPtr, newLen, false),
      (r) => {
        writable(r);
        const target = ctx.mem.refresh().string(oldPtr, oldLen);
        if (target.length === 0) throw new WasiErrno(Errno.NOENT);
        if (target.includes("\0")) throw new WasiErrno(Errno.INVAL);
        // An absolute target means something else to the host than to the guest; refuse it as
        // wasmtime does, so that nothing the guest leaves behind points at host paths.
        if (target.startsWith("/")) throw new WasiErrno(Errno.NOTCAPABLE);
        if (r.mustBeDir) throw new WasiErrno(lstatOrNone(r) ? Errno.EXIST : Errno.NOENT);
        symlinkSync(target, hostPath(r));
      },
    );
  }

  return {
    path_filestat_get,
    path_filestat_set_times,
    path_create_directory,
    path_unlink_file,
    path_remove_directory,
    path_readlink,
    path_link,
    path_rename,
    path_symlink,
  };
}
