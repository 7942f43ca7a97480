// The guest's file descriptor table: what each WASI fd is on the host, and its rights, flags and
// offset. Every host fd the guest opens is owned here and closed by `closeAll` when a run ends.

import { closeSync, constants, fstatSync, openSync, type Stats } from "node:fs";
import { Errno, WasiErrno } from "./errno.js";
import { Filetype, RIGHTS_ALL, RIGHTS_DIRECTORY_BASE, RIGHTS_SEEK, Rights } from "./abi.js";

/** A directory the guest may reach by path, and the host directory it stands for. */
export interface Preopen {
  /** The name the guest sees (fd_prestat_dir_name), e.g. "/" or "/data". */
  guestPath: string;
  /** The host directory every path beneath `guestPath` is confined to. */
  hostPath: string;
  /** Refuse every change beneath it with EROFS. */
  readOnly?: boolean;
}

/** An open preopen: the confinement root for everything opened beneath it. */
export interface PreopenRoot {
  /** Normalised guest path: no trailing slash except for "/". */
  readonly guestPath: string;
  readonly hostFd: number;
  readonly readOnly: boolean;
}

/** A snapshot of a directory for fd_readdir, so cookies stay stable across calls. */
export interface DirListing {
  readonly names: readonly Buffer[];
  readonly types: readonly number[];
}

/** What one guest fd is. */
export interface FdEntry {
  /** The host fd, or -1 for the null device (stdio the embedder left undefined). */
  hostFd: number;
  /** Whether the host fd is ours to close (not the embedder's stdio). */
  readonly owned: boolean;
  readonly filetype: number;
  rightsBase: bigint;
  rightsInheriting: bigint;
  /** FD_READ / FD_WRITE in `rightsBase`, cached so fd_read/fd_write need no bigint arithmetic. */
  canRead: boolean;
  canWrite: boolean;
  fdflags: number;
  /** The guest's file offset. Node has no lseek, so seekable fds use positioned I/O from here. */
  position: number;
  /** Regular files: positioned I/O and fd_seek. Everything else reads/writes at the fd's offset. */
  readonly seekable: boolean;
  /** The preopen this fd was opened beneath (also set on the preopen itself). */
  readonly root: PreopenRoot | undefined;
  /** For directories: the components from `root` to here, to resolve ".." past this directory. */
  readonly relPath: readonly string[];
  /** For preopens: the name fd_prestat_dir_name reports. */
  readonly preopenName: string | undefined;
  dir: DirListing | undefined;
  /** Bytes poll_oneoff read to learn that a stream was readable; fd_read returns them first. */
  peeked: Buffer | undefined;
}

/** Sets an entry's rights and the flags derived from them. */
export function setRights(entry: FdEntry, base: bigint, inheriting: bigint): void {
  entry.rightsBase = base;
  entry.rightsInheriting = inheriting;
  entry.canRead = (base & Rights.FD_READ) !== 0n;
  entry.canWrite = (base & Rights.FD_WRITE) !== 0n;
}

/**
 * Throws unless the entry holds `right`: ENOTCAPABLE by default. Rights that stand for the open
 * mode pass EBADF, which is what POSIX programs expect (ftruncate on an O_RDONLY fd).
 */
export function needRight(entry: FdEntry, right: bigint, errno: number = Errno.NOTCAPABLE): void {
  if ((entry.rightsBase & right) === 0n) throw new WasiErrno(errno);
}

/** WASI filetype of a host stat. FIFOs have no WASI type; wasmtime reports them as unknown too. */
export function filetypeOf(st: Stats): number {
  if (st.isFile()) return Filetype.REGULAR_FILE;
  if (st.isDirectory()) return Filetype.DIRECTORY;
  if (st.isSymbolicLink()) return Filetype.SYMBOLIC_LINK;
  if (st.isCharacterDevice()) return Filetype.CHARACTER_DEVICE;
  if (st.isBlockDevice()) return Filetype.BLOCK_DEVICE;
  if (st.isSocket()) return Filetype.SOCKET_STREAM;
  return Filetype.UNKNOWN;
}

/** Default cap on open guest fds, like a process's RLIMIT_NOFILE; more is EMFILE. */
export const DEFAULT_MAX_FDS = 1024;

/** The fd table of one run. */
export class FdTable {
  readonly #entries: (FdEntry | undefined)[] = [];
  /**
   * Preopen host fds live here, not in their guest fd, because every fd opened beneath a preopen
   * resolves ".." through it: a guest closing fd 3 must not leave a dangling (and reusable) host
   * fd behind the others' confinement.
   */
  readonly #roots: PreopenRoot[] = [];
  readonly #maxFds: number;

  constructor(maxFds = DEFAULT_MAX_FDS) {
    this.#maxFds = maxFds;
  }

  /** The entry for a guest fd, or EBADF. */
  get(fd: number): FdEntry {
    const entry = this.#entries[fd];
    if (entry === undefined) throw new WasiErrno(Errno.BADF);
    return entry;
  }

  /** The entry, or undefined if the fd is not open (no exception; for hot paths). */
  find(fd: number): FdEntry | undefined {
    return this.#entries[fd];
  }

  /** Puts an entry at the lowest free fd, as POSIX does. */
  add(entry: FdEntry): number {
    let fd = this.#entries.indexOf(undefined);
    if (fd < 0) fd = this.#entries.length;
    if (fd >= this.#maxFds) throw new WasiErrno(Errno.MFILE);
    this.#entries[fd] = entry;
    return fd;
  }

  /** Closes a guest fd (and its host fd if owned). */
  close(fd: number): void {
    const entry = this.get(fd);
    this.#entries[fd] = undefined;
    release(entry);
    while (this.#entries.length > 0 && this.#entries[this.#entries.length - 1] === undefined) {
      this.#entries.pop();
    }
  }

  /** fd_renumber: `to` now refers to what `from` did; the old `to` is closed; `from` is freed. */
  renumber(from: number, to: number): void {
    const entry = this.get(from);
    const old = this.get(to);
    if (from === to) return;
    this.#entries[to] = entry;
    this.#entries[from] = undefined;
    release(old);
  }

  /** Opens a preopen's host directory and gives it the next fd; throws if it is no directory. */
  addPreopen(preopen: Preopen): number {
    const entry = preopenEntry(preopen);
    if (entry.root !== undefined) this.#roots.push(entry.root);
    return this.add(entry);
  }

  /** Closes every owned host fd and every preopen; the table is empty afterwards. Never throws. */
  closeAll(): void {
    for (const entry of this.#entries) if (entry !== undefined) release(entry);
    this.#entries.length = 0;
    for (const root of this.#roots) closeQuietly(root.hostFd);
    this.#roots.length = 0;
  }
}

function release(entry: FdEntry): void {
  if (!entry.owned || entry.hostFd < 0) return;
  const hostFd = entry.hostFd;
  entry.hostFd = -1;
  closeQuietly(hostFd);
}

function closeQuietly(hostFd: number): void {
  try {
    closeSync(hostFd);
  } catch {
    // Closing can only fail with EIO/EINTR here; the fd is gone either way.
  }
}

/** The entry for one stdio stream: a host fd the embedder owns, or the null device. */
export function stdioEntry(hostFd: number | undefined): FdEntry {
  let filetype: number = Filetype.CHARACTER_DEVICE;
  if (hostFd !== undefined) filetype = filetypeOf(fstatSync(hostFd));
  const seekRights = filetype === Filetype.REGULAR_FILE ? 0n : RIGHTS_SEEK;
  return {
    hostFd: hostFd ?? -1,
    owned: false,
    filetype,
    rightsBase: RIGHTS_ALL & ~seekRights,
    rightsInheriting: 0n,
    canRead: true,
    canWrite: true,
    fdflags: 0,
    position: 0,
    seekable: false,
    root: undefined,
    relPath: [],
    preopenName: undefined,
    dir: undefined,
    peeked: undefined,
  };
}

/** "/data/" → "/data"; "/" stays "/". */
export function normaliseGuestPath(guestPath: string): string {
  const trimmed = guestPath.replace(/\/+$/, "");
  return trimmed === "" && guestPath.startsWith("/") ? "/" : trimmed;
}

/** Opens a preopen's host directory; throws (an ordinary Error) if it is not a directory. */
function preopenEntry(preopen: Preopen): FdEntry {
  const hostFd = openSync(preopen.hostPath, constants.O_RDONLY | constants.O_DIRECTORY);
  const root: PreopenRoot = {
    guestPath: normaliseGuestPath(preopen.guestPath),
    hostFd,
    readOnly: preopen.readOnly === true,
  };
  return {
    hostFd,
    owned: false, // the table's root list owns it
    filetype: Filetype.DIRECTORY,
    rightsBase: RIGHTS_DIRECTORY_BASE,
    rightsInheriting: RIGHTS_ALL,
    canRead: false,
    canWrite: false,
    fdflags: 0,
    position: 0,
    seekable: false,
    root,
    relPath: [],
    preopenName: preopen.guestPath,
    dir: undefined,
    peeked: undefined,
  };
}
