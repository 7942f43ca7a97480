// Confinement: every guest path is resolved beneath its preopen, one component at a time, by this
// module — never by the kernel. Node has no openat(), so each step opens the next directory with
// O_PATH|O_NOFOLLOW|O_DIRECTORY through "/proc/self/fd/<dir fd>/<name>": the kernel follows that
// magic link to the directory *object* we hold, so the lookup is as race-free as
// openat(dirfd, name), and the open fails for anything but a real directory. The last component
// is only lstat'ed (through the same magic link): the final operation names it without following.
// Symlinks are read and spliced in here; ".." pops a directory we hold; nothing ever asks the
// kernel to follow a link or walk "..". A directory swapped for a symlink mid-walk is therefore
// either seen as a symlink (and resolved here, confined) or makes the final no-follow operation
// fail.

import { closeSync, constants, lstatSync, openSync, readlinkSync, type BigIntStats } from "node:fs";
import { Errno, WasiErrno } from "./errno.js";
import { Filetype } from "./abi.js";
import type { WasiContext } from "./context.js";
import { errnoOf } from "./errno.js";
import { needRight, type FdEntry, type PreopenRoot } from "./fd-table.js";

/** Linux's O_PATH (asm-generic; x86, arm, arm64): an fd that names a file without opening it. */
const O_PATH = 0o10000000;
/** Linux's MAXSYMLINKS: more expansions than this in one lookup is ELOOP. */
export const MAX_SYMLINKS = 40;
/** The last component's lstat: bigint, as path_filestat_get reuses it; no exception if missing. */
const LSTAT_LAST = { bigint: true, throwIfNoEntry: false } as const;
/** An intermediate component's lstat, which only needs its type. */
const LSTAT_TYPE = { throwIfNoEntry: false } as const;

/** Where a resolved path's last component is: a directory we hold and one name inside it. */
export interface Resolved {
  /** Host fd of the parent directory (O_PATH or a table fd). */
  readonly dirFd: number;
  /** One component, never "..", never containing "/"; "." when the path names `dirFd` itself. */
  readonly name: string;
  /** The path ended in "/" (or a followed symlink's target did): it must name a directory. */
  readonly mustBeDir: boolean;
  /** The preopen the result lies beneath (read-only checks, symlink targets). */
  readonly root: PreopenRoot;
  /** Whether `dirFd` was opened by the walk and must be closed with `release`. */
  readonly ownsDirFd: boolean;
  /** The components from the root to `dirFd` (see `relPathOf`). */
  readonly dirPath: readonly string[];
  /**
   * The name's lstat, when the walk took one (a lookup that follows or must reach a directory,
   * and found something other than a symlink); undefined otherwise. Taken before the final
   * operation, so it is a hint for that operation, never a substitute for its no-follow checks.
   */
  readonly stat: BigIntStats | undefined;
  /** The walk looked and the name did not exist (it may be created). */
  readonly missing: boolean;
}

/** The host path that reaches a resolved name without any further symlink or ".." lookup. */
export function hostPath(r: Resolved): string {
  return `/proc/self/fd/${r.dirFd}/${r.name}`;
}

/** The components from the root to the named object (what a directory fd records). */
export function relPathOf(r: Resolved): readonly string[] {
  return r.name === "." ? r.dirPath : [...r.dirPath, r.name];
}

/** Closes the walk's own directory fd, if any. */
export function release(r: Resolved): void {
  if (r.ownsDirFd) closeSync(r.dirFd);
}

/** The path of a host fd, for operations Node only offers by path (readdir, futimes of dirs). */
export function fdPath(hostFd: number): string {
  return `/proc/self/fd/${hostFd}`;
}

/**
 * A symlink's absolute target, taken as a guest path: it must lie beneath the preopen's own guest
 * path, and then resolves from the preopen root (as inside a container's rootfs). Returns the
 * components below the root, or undefined when the target leaves the preopen.
 */
function beneathRoot(root: PreopenRoot, target: string): string[] | undefined {
  const parts = target.split("/").filter((p) => p !== "");
  const prefix = root.guestPath.split("/").filter((p) => p !== "");
  for (let i = 0; i < prefix.length; i++) if (parts[i] !== prefix[i]) return undefined;
  return parts.slice(prefix.length);
}

function pushComponents(pending: string[], path: string): void {
  const parts = path.split("/");
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i] as string;
    if (part !== "" && part !== ".") pending.push(part);
  }
}

/**
 * Resolves `path` relative to the directory fd `start`, confined to its preopen.
 * `follow`: whether a symlink in the last component is followed (lookupflags SYMLINK_FOLLOW);
 * a trailing "/" always follows, as in POSIX. Escapes — an absolute path, ".." above the preopen,
 * a symlink leading outside — are ENOTCAPABLE. A missing last component is not an error here
 * (the caller may create it); a missing or non-directory intermediate one is ENOENT / ENOTDIR.
 */
export function resolve(start: FdEntry, path: string, follow: boolean): Resolved {
  const root = start.root;
  if (plainName(start, path) && root !== undefined) {
    // Most calls name an entry of the directory itself: no walk, no allocation but the result.
    if (!follow) return inStart(start, root, path, undefined, false);
    const stat = lstatSync(`/proc/self/fd/${start.hostFd}/${path}`, LSTAT_LAST);
    if (stat === undefined) return inStart(start, root, path, undefined, true);
    if (!stat.isSymbolicLink()) return inStart(start, root, path, stat, false);
    // A symlink to follow: the walk reads it.
  }
  return walk(start, path, follow);
}

/** A name directly in the start directory, which the caller keeps open. */
function inStart(
  start: FdEntry,
  root: PreopenRoot,
  name: string,
  stat: BigIntStats | undefined,
  missing: boolean,
): Resolved {
  const dirPath = start.relPath;
  return {
    dirFd: start.hostFd,
    name,
    mustBeDir: false,
    root,
    ownsDirFd: false,
    dirPath,
    stat,
    missing,
  };
}

/**
 * True when `path` is one plain name in the directory `start` — no "/", ".", ".." or NUL, not
 * empty — and `start` is a directory that paths resolve from: the lookup needs no walk.
 */
export function plainName(start: FdEntry, path: string): boolean {
  return (
    start.filetype === Filetype.DIRECTORY &&
    start.root !== undefined &&
    start.hostFd >= 0 &&
    path.length > 0 &&
    path !== "." &&
    path !== ".." &&
    !path.includes("/") &&
    !path.includes("\0")
  );
}

/** The component-by-component walk of `resolve`. */
function walk(start: FdEntry, path: string, follow: boolean): Resolved {
  const root = start.root;
  if (start.filetype !== Filetype.DIRECTORY) throw new WasiErrno(Errno.NOTDIR);
  if (root === undefined || start.hostFd < 0) throw new WasiErrno(Errno.BADF);
  if (path.length === 0) throw new WasiErrno(Errno.NOENT);
  if (path.includes("\0")) throw new WasiErrno(Errno.INVAL);
  if (path.startsWith("/")) throw new WasiErrno(Errno.NOTCAPABLE);

  let mustBeDir = path.endsWith("/") || path.endsWith("/.") || path === ".";
  const pending: string[] = [];
  pushComponents(pending, path);
  // stack[0] is borrowed (a table fd or the root); the rest are O_PATH fds this walk opened.
  const stack: number[] = [start.hostFd];
  let below: readonly string[] = start.relPath; // where stack[0] sits beneath the root
  let trail: string[] = [...start.relPath]; // where the top of the stack sits beneath the root
  let links = 0;
  const closeFrom = (from: number): void => {
    while (stack.length > from) closeSync(stack.pop() as number);
  };
  const result = (name: string, stat: BigIntStats | undefined, missing: boolean): Resolved => {
    const dirFd = stack[stack.length - 1] as number;
    const owns = stack.length > 1;
    if (owns) stack.pop();
    closeFrom(1);
    return { dirFd, name, mustBeDir, root, ownsDirFd: owns, dirPath: trail, stat, missing };
  };

  try {
    while (pending.length > 0) {
      const name = pending.pop() as string;
      if (name === "..") {
        if (stack.length > 1) {
          closeSync(stack.pop() as number);
          trail.pop();
        } else if (below.length > 0) {
          // Above where we started: restart from the root along the start's recorded path.
          stack[0] = root.hostFd;
          for (let i = below.length - 2; i >= 0; i--) pending.push(below[i] as string);
          below = [];
          trail = [];
        } else throw new WasiErrno(Errno.NOTCAPABLE);
        continue;
      }
      const last = pending.length === 0;
      const parent = stack[stack.length - 1] as number;
      if (last && !follow && !mustBeDir) return result(name, undefined, false);
      const at = `/proc/self/fd/${parent}/${name}`;
      if (last) {
        // The last name is not held open: the final operation acts on it by name without
        // following, so an lstat tells all we need — and a missing name costs no exception.
        const st = lstatSync(at, LSTAT_LAST);
        if (st === undefined) return result(name, undefined, true);
        if (!st.isSymbolicLink()) {
          if (mustBeDir && !st.isDirectory()) throw new WasiErrno(Errno.NOTDIR);
          return result(name, st, false);
        }
      } else {
        // O_DIRECTORY makes the open itself the check: it fails for a symlink or a non-directory.
        const fd = openDirectory(at);
        if (fd !== undefined) {
          stack.push(fd);
          trail.push(name);
          continue;
        }
        const st = lstatSync(at, LSTAT_TYPE);
        if (st === undefined || st.isDirectory()) {
          // Removed, or made a directory, since the open: look again.
          if (++links > MAX_SYMLINKS) throw new WasiErrno(Errno.LOOP);
          pending.push(name);
          continue;
        }
        if (!st.isSymbolicLink()) throw new WasiErrno(Errno.NOTDIR);
      }
      if (++links > MAX_SYMLINKS) throw new WasiErrno(Errno.LOOP);
      // Read by name: if the link is swapped meanwhile we resolve the new target — still here.
      let target: string;
      try {
        target = readlinkSync(at);
      } catch (error) {
        // Replaced by a non-link (EINVAL) or removed (ENOENT) since the lstat: look again.
        const code = (error as { code?: string }).code;
        if (code !== "EINVAL" && code !== "ENOENT") throw error;
        pending.push(name);
        continue;
      }
      if (target === "") throw new WasiErrno(Errno.NOENT);
      if (last && target.endsWith("/")) mustBeDir = true;
      if (target.startsWith("/")) {
        const inside = beneathRoot(root, target);
        if (inside === undefined) throw new WasiErrno(Errno.NOTCAPABLE);
        closeFrom(1);
        stack[0] = root.hostFd;
        below = [];
        trail = [];
        pushComponents(pending, inside.join("/"));
      } else {
        pushComponents(pending, target);
      }
      // A link to "." or to the root.
      if (last && pending.length === 0) return result(".", undefined, false);
    }
    return result(".", undefined, false);
  } catch (error) {
    closeFrom(1);
    throw error;
  }
}

/**
 * Opens an intermediate component as an O_PATH directory fd without following it; undefined when
 * it is no directory (a symlink among them: the caller looks at what it is).
 */
function openDirectory(at: string): number | undefined {
  try {
    return openSync(at, O_PATH | constants.O_NOFOLLOW | constants.O_DIRECTORY);
  } catch (error) {
    if ((error as { code?: string }).code === "ENOTDIR") return undefined;
    throw error;
  }
}

/** Resolves the guest path at `ptr`/`len` against directory fd `fd`, which must hold `right`. */
export function resolveAt(
  ctx: WasiContext,
  fd: number,
  right: bigint,
  ptr: number,
  len: number,
  follow: boolean,
): Resolved {
  const dir = ctx.fds.get(fd);
  needRight(dir, right);
  return resolve(dir, ctx.mem.refresh().string(ptr, len), follow);
}

/** Runs `fn` on a resolution, always releasing it; returns the errno for the guest. */
export function withResolved(get: () => Resolved, fn: (r: Resolved) => void): number {
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
}
