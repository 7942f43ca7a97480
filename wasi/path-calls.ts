// The path_* calls. Each resolves its path(s) with path-resolution.ts — confined to the preopen,
// symlinks followed by us — and then acts on "/proc/self/fd/<dir>/<name>" without following
// anything, so the kernel never walks a guest-controlled symlink or "..".

import {
  constants,
  fstatSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  closeSync,
  readlinkSync,
  renameSync,
  rmdirSync,
  symlinkSync,
  unlinkSync,
  type BigIntStats,
} from "node:fs";
import { Errno, errnoOf, WasiErrno } from "./errno.js";
import {
  Fdflags,
  Filetype,
  Lookupflags,
  Oflags,
  RIGHTS_READ,
  RIGHTS_WRITE,
  Rights,
  type Layout,
} from "./abi.js";
import type { Calls, WasiContext } from "./context.js";
import { filetypeOf, needRight, setRights, type FdEntry } from "./fd-table.js";
import { newTimes, writeFilestat } from "./filestat.js";
import { hostPath, release, resolve, type Resolved } from "./path-resolution.js";

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY, O_NOFOLLOW } = constants;
const { O_NONBLOCK, O_DSYNC, O_SYNC } = constants;

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
export function createPathCalls(ctx: WasiContext, layout: Layout): Calls {
  /** Resolves a guest path against a directory fd, requiring `right` on it. */
  const at = (fd: number, right: bigint, ptr: number, len: number, follow: boolean): Resolved => {
    const dir = ctx.fds.get(fd);
    needRight(dir, right);
    return resolve(dir, ctx.mem.refresh().string(ptr, len), follow);
  };
  /** Runs `fn` on a resolution and always releases it; returns the errno. */
  const using = (get: () => Resolved, fn: (r: Resolved) => void): number => {
    let r: Resolved | undefined;
    try {
      r = get();
      fn(r);
      return Errno.SUCCESS;
    } catch (error) {
      return errnoOf(error);
    } finally {
      if (r !== undefined) release(r);
    }
  };

  function path_open(
    dirFd: number,
    lookup: number,
    pathPtr: number,
    pathLen: number,
    oflags: number,
    rightsBase: bigint,
    rightsInheriting: bigint,
    fdflags: number,
    fdOut: number,
  ): number {
    const follow = (lookup & Lookupflags.SYMLINK_FOLLOW) !== 0;
    return using(
      () => at(dirFd, Rights.PATH_OPEN, pathPtr, pathLen, follow),
      (r) => {
        const dir = ctx.fds.get(dirFd);
        if ((oflags & Oflags.CREAT) !== 0) needRight(dir, Rights.PATH_CREATE_FILE);
        if ((oflags & Oflags.TRUNC) !== 0) needRight(dir, Rights.PATH_FILESTAT_SET_SIZE);
        const base = rightsBase & dir.rightsInheriting;
        const inheriting = rightsInheriting & dir.rightsInheriting;
        const read = (base & RIGHTS_READ) !== 0n;
        const write = (base & RIGHTS_WRITE) !== 0n;
        let flags = write ? (read ? O_RDWR : O_WRONLY) : O_RDONLY;
        // Non-blocking on the host always: a FIFO open cannot hang, and reads park interruptibly.
        flags |= O_NOFOLLOW | O_NONBLOCK;
        if ((oflags & Oflags.DIRECTORY) !== 0 || r.mustBeDir) flags |= O_DIRECTORY;
        if ((oflags & Oflags.TRUNC) !== 0) flags |= O_TRUNC;
        if ((fdflags & Fdflags.DSYNC) !== 0) flags |= O_DSYNC;
        if ((fdflags & (Fdflags.SYNC | Fdflags.RSYNC)) !== 0) flags |= O_SYNC;
        if ((oflags & Oflags.CREAT) !== 0) {
          // open("x/", O_CREAT) is EISDIR on Linux: a trailing slash cannot name a new file.
          if (r.mustBeDir && (oflags & Oflags.DIRECTORY) === 0) throw new WasiErrno(Errno.ISDIR);
          if ((oflags & Oflags.DIRECTORY) !== 0) throw new WasiErrno(Errno.INVAL);
          flags |= O_CREAT;
          if ((oflags & Oflags.EXCL) !== 0) flags |= O_EXCL;
        }
        if (r.root.readOnly) {
          if (write || (oflags & Oflags.TRUNC) !== 0) throw new WasiErrno(Errno.ROFS);
          if ((flags & O_CREAT) !== 0) {
            const exists = lstatOrNone(r) !== undefined;
            if (!exists) throw new WasiErrno(Errno.ROFS);
            if ((flags & O_EXCL) !== 0) throw new WasiErrno(Errno.EXIST);
            flags &= ~O_CREAT;
          }
        }
        const hostFd = openSync(hostPath(r), flags, 0o666);
        let entry: FdEntry;
        try {
          const filetype = filetypeOf(fstatSync(hostFd));
          entry = {
            hostFd,
            owned: true,
            filetype,
            rightsBase: 0n,
            rightsInheriting: 0n,
            canRead: false,
            canWrite: false,
            fdflags:
              fdflags &
              (Fdflags.APPEND | Fdflags.NONBLOCK | Fdflags.DSYNC | Fdflags.SYNC | Fdflags.RSYNC),
            position: 0,
            seekable: filetype === Filetype.REGULAR_FILE || filetype === Filetype.BLOCK_DEVICE,
            root: r.root,
            relPath: filetype === Filetype.DIRECTORY ? r.relPath : [],
            preopenName: undefined,
            dir: undefined,
            peeked: undefined,
          };
          setRights(entry, base, inheriting);
        } catch (error) {
          closeSync(hostFd);
          throw error;
        }
        let fd: number;
        try {
          fd = ctx.fds.add(entry); // EMFILE past maxFds
        } catch (error) {
          closeSync(hostFd);
          throw error;
        }
        try {
          ctx.mem.refresh().view.setUint32(fdOut, fd, true);
        } catch (error) {
          ctx.fds.close(fd);
          throw error;
        }
      },
    );
  }

  function path_filestat_get(fd: number, lookup: number, ptr: number, len: number, out: number) {
    const follow = (lookup & Lookupflags.SYMLINK_FOLLOW) !== 0;
    return using(
      () => at(fd, Rights.PATH_FILESTAT_GET, ptr, len, follow),
      (r) => {
        const st = lstatSync(hostPath(r), { bigint: true });
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
    path_open,
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
