// path_open: the one call that turns a guest path into a new fd. The name is resolved beneath the
// preopen (path-resolution.ts); an existing file is first pinned with O_PATH, checked, and then
// reopened through /proc/self/fd/<pinned fd>, so what is opened is exactly what was checked.
// Device nodes are refused (EACCES, as on a nodev mount) except the harmless /dev/null, zero,
// full, random and urandom: an image layer may carry a block device, and the host runs as root.

import { closeSync, constants, fstatSync, lstatSync, openSync } from "node:fs";
import { Errno, WasiErrno } from "./errno.js";
import {
  Fdflags,
  Filetype,
  Lookupflags,
  Oflags,
  RIGHTS_READ,
  RIGHTS_WRITE,
  Rights,
} from "./abi.js";
import type { Calls, WasiContext } from "./context.js";
import { filetypeOf, needRight, setRights, type FdEntry } from "./fd-table.js";
import { hostPath, resolveAt, withResolved, type Resolved } from "./path-resolution.js";

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
 * makes is new, hence regular; anything that exists is pinned, vetted and reopened, and the pin's
 * stat is the reopened fd's (the same inode), so no second fstat is needed.
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
  try {
    const st = fstatSync(pinned);
    if (st.isSymbolicLink()) throw new WasiErrno(Errno.LOOP); // what O_NOFOLLOW answers
    if (st.isBlockDevice() || (st.isCharacterDevice() && !SAFE_CHAR_DEVICES.has(st.rdev))) {
      throw new WasiErrno(Errno.ACCES);
    }
    // The magic link reopens the pinned inode itself; O_NOFOLLOW would refuse the link.
    const hostFd = openSync(`/proc/self/fd/${pinned}`, flags & ~(O_NOFOLLOW | O_EXCL));
    return { hostFd, filetype: filetypeOf(st) };
  } finally {
    closeSync(pinned);
  }
}

/** Creates path_open. */
export function createPathOpen(ctx: WasiContext): Calls {
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
    return withResolved(
      () => resolveAt(ctx, dirFd, Rights.PATH_OPEN, pathPtr, pathLen, follow),
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
        flags |= O_NONBLOCK;
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
            if (!exists(r)) throw new WasiErrno(Errno.ROFS);
            if ((flags & O_EXCL) !== 0) throw new WasiErrno(Errno.EXIST);
            flags &= ~O_CREAT;
          }
        }
        const { hostFd, filetype } = openResolved(r, flags);
        let entry: FdEntry;
        try {
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
  return { path_open };
}

function exists(r: Resolved): boolean {
  if (r.stat !== undefined) return true;
  if (r.missing) return false;
  return lstatSync(hostPath(r), { throwIfNoEntry: false }) !== undefined;
}
