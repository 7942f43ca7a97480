// path_open: the one call that turns a guest path into a new fd. The name is resolved beneath the
// preopen (path-resolution.ts); an existing file is first pinned with O_PATH, checked, and then
// reopened through /proc/self/fd/<pinned fd>, so what is opened is exactly what was checked. A
// plain name in a writable directory skips the walk (openPlain): the same no-follow create or pin,
// with one call fewer, falling back to the walk whenever it meets a symlink.
// Device nodes are refused (EACCES, as on a nodev mount) except the harmless /dev/null, zero,
// full, random and urandom: an image layer may carry a block device, and the host runs as root.

import { closeSync, constants, fstatSync, lstatSync, openSync, type Stats } from "node:fs";
import { Errno, errnoOf, WasiErrno } from "./errno.js";
import {
  Fdflags,
  Filetype,
  Lookupflags,
  Oflags,
  RIGHTS_READ,
  RIGHTS_WRITE,
  Rights,
} from "./abi.js";
import type { WasiContext } from "./context.js";
import { filetypeOf, needRight, setRights, type FdEntry } from "./fd-table.js";
import {
  hostPath,
  plainName,
  relPathOf,
  release,
  resolve,
  type Resolved,
} from "./path-resolution.js";

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY, O_NOFOLLOW } = constants;
const { O_NONBLOCK, O_DSYNC, O_SYNC } = constants;
/** Linux's O_PATH (asm-generic): names a file without opening it for I/O. */
const O_PATH = 0o10000000;

/** Character devices a guest may open: major 1 ("mem") minors null 3, zero 5, full 7, random 8, urandom 9. */
const SAFE_CHAR_DEVICES = new Set([
  (1 << 8) | 3,
  (1 << 8) | 5,
  (1 << 8) | 7,
  (1 << 8) | 8,
  (1 << 8) | 9,
]);

function code(error: unknown): string | undefined {
  return (error as { code?: string } | null)?.code;
}

/** A host fd path_open made, and what it is. */
interface Opened {
  readonly hostFd: number;
  readonly filetype: number;
}

/**
 * Opens a resolved name with `flags` without following a symlink in it. A file that O_CREAT
 * makes is new, hence regular; anything that exists is pinned, vetted and reopened.
 */
function openResolved(r: Resolved, flags: number): Opened {
  const path = hostPath(r);
  if ((flags & O_CREAT) !== 0) {
    // A name the walk saw existing is not created again (an EEXIST costs a thrown error).
    if (r.stat === undefined || (flags & O_EXCL) !== 0) {
      try {
        const hostFd = openSync(path, flags | O_EXCL | O_NOFOLLOW, 0o666);
        return { hostFd, filetype: Filetype.REGULAR_FILE };
      } catch (error) {
        if (code(error) !== "EEXIST" || (flags & O_EXCL) !== 0) throw error;
      }
    }
    flags &= ~O_CREAT; // it exists: open it like any existing file
  }
  const pinned = openSync(path, O_PATH | O_NOFOLLOW | (flags & O_DIRECTORY));
  return reopenPinned(pinned, flags);
}

/**
 * Vets a pinned (O_PATH, not followed) name and reopens exactly that inode with `flags`; closes
 * the pin. The pin's stat is the new fd's (the same inode), so no second fstat is needed.
 */
function reopenPinned(pinned: number, flags: number): Opened {
  try {
    const st = fstatSync(pinned);
    if (st.isSymbolicLink()) throw new WasiErrno(Errno.LOOP); // what O_NOFOLLOW answers
    return reopenVetted(pinned, st, flags);
  } finally {
    closeSync(pinned);
  }
}

function reopenVetted(pinned: number, st: Stats, flags: number): Opened {
  if (st.isBlockDevice() || (st.isCharacterDevice() && !SAFE_CHAR_DEVICES.has(st.rdev))) {
    throw new WasiErrno(Errno.ACCES);
  }
  // The magic link reopens the pinned inode itself; O_NOFOLLOW would refuse the link.
  const hostFd = openSync(`/proc/self/fd/${pinned}`, flags & ~(O_NOFOLLOW | O_EXCL | O_CREAT));
  return { hostFd, filetype: filetypeOf(st) };
}

/**
 * The common case without a walk: a plain name in a writable preopen's directory, looked up
 * following symlinks. Does what resolve + openResolved would, in fewer calls: a new file is
 * created at once (no lstat first); an existing one is pinned and vetted straight away. Returns
 * undefined — having opened nothing — whenever the walk could answer differently: the name is a
 * symlink (to follow), or O_EXCL/O_DIRECTORY met something that may be one.
 */
function openPlain(dir: FdEntry, name: string, flags: number): Opened | undefined {
  const path = `/proc/self/fd/${dir.hostFd}/${name}`;
  if ((flags & O_CREAT) !== 0) {
    try {
      const hostFd = openSync(path, flags | O_EXCL | O_NOFOLLOW, 0o666);
      return { hostFd, filetype: Filetype.REGULAR_FILE };
    } catch (error) {
      if (code(error) !== "EEXIST") throw error;
      if ((flags & O_EXCL) !== 0) return undefined; // a dangling symlink's target may be free
    }
    flags &= ~O_CREAT; // it exists: open it like any existing file
  }
  let pinned: number;
  try {
    pinned = openSync(path, O_PATH | O_NOFOLLOW | (flags & O_DIRECTORY));
  } catch (error) {
    if (code(error) === "ENOTDIR") return undefined; // perhaps a symlink to a directory
    throw error;
  }
  try {
    const st = fstatSync(pinned);
    if (st.isSymbolicLink()) return undefined;
    return reopenVetted(pinned, st, flags);
  } finally {
    closeSync(pinned);
  }
}

/**
 * The oflags and rights checks of path_open, in the order the guest sees their errnos (after
 * the path's own); SUCCESS when it may go ahead.
 */
function openCheck(dir: FdEntry, oflags: number, mustBeDir: boolean): number {
  if ((oflags & Oflags.CREAT) !== 0 && (dir.rightsBase & Rights.PATH_CREATE_FILE) === 0n) {
    return Errno.NOTCAPABLE;
  }
  if ((oflags & Oflags.TRUNC) !== 0 && (dir.rightsBase & Rights.PATH_FILESTAT_SET_SIZE) === 0n) {
    return Errno.NOTCAPABLE;
  }
  if ((oflags & Oflags.CREAT) !== 0) {
    // open("x/", O_CREAT) is EISDIR on Linux: a trailing slash cannot name a new file.
    if (mustBeDir && (oflags & Oflags.DIRECTORY) === 0) return Errno.ISDIR;
    if ((oflags & Oflags.DIRECTORY) !== 0) return Errno.INVAL;
  }
  return Errno.SUCCESS;
}

/** The host open(2) flags for a checked path_open. */
function hostFlags(oflags: number, fdflags: number, base: bigint, mustBeDir: boolean): number {
  const read = (base & RIGHTS_READ) !== 0n;
  const write = (base & RIGHTS_WRITE) !== 0n;
  let flags = write ? (read ? O_RDWR : O_WRONLY) : O_RDONLY;
  // Non-blocking on the host always: a FIFO open cannot hang, and reads park interruptibly.
  flags |= O_NONBLOCK;
  if ((oflags & Oflags.DIRECTORY) !== 0 || mustBeDir) flags |= O_DIRECTORY;
  if ((oflags & Oflags.TRUNC) !== 0) flags |= O_TRUNC;
  if ((fdflags & Fdflags.DSYNC) !== 0) flags |= O_DSYNC;
  if ((fdflags & (Fdflags.SYNC | Fdflags.RSYNC)) !== 0) flags |= O_SYNC;
  if ((oflags & Oflags.CREAT) !== 0) flags |= O_CREAT;
  if ((oflags & (Oflags.CREAT | Oflags.EXCL)) === (Oflags.CREAT | Oflags.EXCL)) flags |= O_EXCL;
  return flags;
}

/** A read-only preopen's rules: no writing, and O_CREAT only of what exists. Returns the flags. */
function readOnlyFlags(r: Resolved, flags: number, oflags: number): number {
  const writing = (flags & (O_WRONLY | O_RDWR)) !== 0;
  if (writing || (oflags & Oflags.TRUNC) !== 0) throw new WasiErrno(Errno.ROFS);
  if ((flags & O_CREAT) === 0) return flags;
  if (!exists(r)) throw new WasiErrno(Errno.ROFS);
  if ((flags & O_EXCL) !== 0) throw new WasiErrno(Errno.EXIST);
  return flags & ~O_CREAT;
}

/** Resolves and opens in the general way: any path, any preopen. */
function openWalked(
  dir: FdEntry,
  path: string,
  follow: boolean,
  oflags: number,
  fdflags: number,
  base: bigint,
): { opened: Opened; relPath: readonly string[] } {
  const r = resolve(dir, path, follow);
  try {
    const errno = openCheck(dir, oflags, r.mustBeDir);
    if (errno !== Errno.SUCCESS) throw new WasiErrno(errno);
    let flags = hostFlags(oflags, fdflags, base, r.mustBeDir);
    if (r.root.readOnly) flags = readOnlyFlags(r, flags, oflags);
    const opened = openResolved(r, flags);
    return { opened, relPath: opened.filetype === Filetype.DIRECTORY ? relPathOf(r) : [] };
  } finally {
    release(r);
  }
}

/** Creates path_open. */
export function createPathOpen(ctx: WasiContext) {
  /** Gives a host fd its guest fd and writes that to `fdOut`; the host fd is closed on failure. */
  function install(entry: FdEntry, fdOut: number): void {
    let fd: number;
    try {
      fd = ctx.fds.add(entry); // EMFILE past maxFds
    } catch (error) {
      closeSync(entry.hostFd);
      throw error;
    }
    try {
      ctx.mem.refresh().view.setUint32(fdOut, fd, true);
    } catch (error) {
      ctx.fds.close(fd);
      throw error;
    }
  }

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
    try {
      const dir = ctx.fds.get(dirFd);
      needRight(dir, Rights.PATH_OPEN);
      const path = ctx.mem.refresh().string(pathPtr, pathLen);
      const follow = (lookup & Lookupflags.SYMLINK_FOLLOW) !== 0;
      const base = rightsBase & dir.rightsInheriting;
      let opened: Opened | undefined;
      let relPath: readonly string[] = [];
      if (
        follow &&
        plainName(dir, path) &&
        dir.root?.readOnly === false &&
        openCheck(dir, oflags, false) === Errno.SUCCESS
      ) {
        opened = openPlain(dir, path, hostFlags(oflags, fdflags, base, false));
        if (opened?.filetype === Filetype.DIRECTORY) relPath = [...dir.relPath, path];
      }
      if (opened === undefined) {
        ({ opened, relPath } = openWalked(dir, path, follow, oflags, fdflags, base));
      }
      const { hostFd, filetype } = opened;
      const entry: FdEntry = {
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
        root: dir.root,
        relPath,
        preopenName: undefined,
        dir: undefined,
        peeked: undefined,
      };
      setRights(entry, base, rightsInheriting & dir.rightsInheriting);
      install(entry, fdOut);
      return Errno.SUCCESS;
    } catch (error) {
      return errnoOf(error);
    }
  }
  return { path_open };
}

function exists(r: Resolved): boolean {
  if (r.stat !== undefined) return true;
  if (r.missing) return false;
  return lstatSync(hostPath(r), { throwIfNoEntry: false }) !== undefined;
}
