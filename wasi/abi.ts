// Numbers and memory layouts of the WASI preview1 ABI that the host needs, with their witx names.
// Source: wasi_snapshot_preview1.witx (typenames.witx) and wasi-libc's generated wasi/api.h, whose
// `_Static_assert`s give the offsets used below. `wasi_unstable` (snapshot 0) differences are
// marked; see README.md "wasi_unstable".

/** `filetype` */
export const Filetype = {
  UNKNOWN: 0,
  BLOCK_DEVICE: 1,
  CHARACTER_DEVICE: 2,
  DIRECTORY: 3,
  REGULAR_FILE: 4,
  SOCKET_DGRAM: 5,
  SOCKET_STREAM: 6,
  SYMBOLIC_LINK: 7,
} as const;

/** `clockid` */
export const ClockId = {
  REALTIME: 0,
  MONOTONIC: 1,
  PROCESS_CPUTIME: 2,
  THREAD_CPUTIME: 3,
} as const;

/** `whence` in preview1. wasi_unstable numbers them CUR 0, END 1, SET 2. */
export const Whence = { SET: 0, CUR: 1, END: 2 } as const;

/** `oflags` (u16) */
export const Oflags = { CREAT: 1, DIRECTORY: 2, EXCL: 4, TRUNC: 8 } as const;

/** `fdflags` (u16) */
export const Fdflags = { APPEND: 1, DSYNC: 2, NONBLOCK: 4, RSYNC: 8, SYNC: 16 } as const;

/** `lookupflags` (u32) */
export const Lookupflags = { SYMLINK_FOLLOW: 1 } as const;

/** `fstflags` (u16) */
export const Fstflags = { ATIM: 1, ATIM_NOW: 2, MTIM: 4, MTIM_NOW: 8 } as const;

/** `eventtype` (u8) */
export const Eventtype = { CLOCK: 0, FD_READ: 1, FD_WRITE: 2 } as const;

/** `eventrwflags` (u16) */
export const EVENTRWFLAGS_HANGUP = 1;

/** `subclockflags` (u16) */
export const SUBCLOCK_ABSTIME = 1;

/** `advice` (u8): the largest valid value. */
export const ADVICE_MAX = 5;

/** `sdflags` (u8): RD 1, WR 2. */
export const SDFLAGS_MASK = 3;

/** `rights` (u64), one bit each, in witx order. */
export const Rights = {
  FD_DATASYNC: 1n << 0n,
  FD_READ: 1n << 1n,
  FD_SEEK: 1n << 2n,
  FD_FDSTAT_SET_FLAGS: 1n << 3n,
  FD_SYNC: 1n << 4n,
  FD_TELL: 1n << 5n,
  FD_WRITE: 1n << 6n,
  FD_ADVISE: 1n << 7n,
  FD_ALLOCATE: 1n << 8n,
  PATH_CREATE_DIRECTORY: 1n << 9n,
  PATH_CREATE_FILE: 1n << 10n,
  PATH_LINK_SOURCE: 1n << 11n,
  PATH_LINK_TARGET: 1n << 12n,
  PATH_OPEN: 1n << 13n,
  FD_READDIR: 1n << 14n,
  PATH_READLINK: 1n << 15n,
  PATH_RENAME_SOURCE: 1n << 16n,
  PATH_RENAME_TARGET: 1n << 17n,
  PATH_FILESTAT_GET: 1n << 18n,
  PATH_FILESTAT_SET_SIZE: 1n << 19n,
  PATH_FILESTAT_SET_TIMES: 1n << 20n,
  FD_FILESTAT_GET: 1n << 21n,
  FD_FILESTAT_SET_SIZE: 1n << 22n,
  FD_FILESTAT_SET_TIMES: 1n << 23n,
  PATH_SYMLINK: 1n << 24n,
  PATH_REMOVE_DIRECTORY: 1n << 25n,
  PATH_UNLINK_FILE: 1n << 26n,
  POLL_FD_READWRITE: 1n << 27n,
  SOCK_SHUTDOWN: 1n << 28n,
  SOCK_ACCEPT: 1n << 29n,
} as const;

/** Every right; what a preopen grants and what wasi-libc expects to inherit. */
export const RIGHTS_ALL = (1n << 30n) - 1n;

/**
 * A directory's own rights: path operations and metadata, no file data. wasmtime reports the same
 * set, and the public conformance suite expects a preopen opened again "with the same rights" to
 * succeed — which it could not if the set held FD_WRITE. Directories inherit RIGHTS_ALL.
 */
export const RIGHTS_DIRECTORY_BASE =
  Rights.PATH_CREATE_DIRECTORY |
  Rights.PATH_CREATE_FILE |
  Rights.PATH_LINK_SOURCE |
  Rights.PATH_LINK_TARGET |
  Rights.PATH_OPEN |
  Rights.FD_READDIR |
  Rights.PATH_READLINK |
  Rights.PATH_RENAME_SOURCE |
  Rights.PATH_RENAME_TARGET |
  Rights.PATH_SYMLINK |
  Rights.PATH_REMOVE_DIRECTORY |
  Rights.PATH_UNLINK_FILE |
  Rights.PATH_FILESTAT_GET |
  Rights.PATH_FILESTAT_SET_SIZE |
  Rights.PATH_FILESTAT_SET_TIMES |
  Rights.FD_FILESTAT_GET |
  Rights.FD_FILESTAT_SET_TIMES |
  Rights.FD_SYNC |
  Rights.FD_DATASYNC |
  Rights.FD_FDSTAT_SET_FLAGS |
  Rights.POLL_FD_READWRITE;

/** Rights that make an fd seekable; wasi-libc's isatty() wants a char device without them. */
export const RIGHTS_SEEK = Rights.FD_SEEK | Rights.FD_TELL;

/** Rights that need the host file opened for reading (wasmtime uses the same split). */
export const RIGHTS_READ = Rights.FD_READ | Rights.FD_READDIR;

/**
 * Rights that need the host file opened for writing. Not FD_DATASYNC: fdatasync works on a
 * read-only fd, and directories hold it (reopening one with its own rights must not ask to write).
 */
export const RIGHTS_WRITE = Rights.FD_WRITE | Rights.FD_ALLOCATE | Rights.FD_FILESTAT_SET_SIZE;

/** `iovec` / `ciovec`: { buf: u32 @0, buf_len: u32 @4 }, 8 bytes. */
export const IOVEC_SIZE = 8;

/** `fdstat`: filetype u8 @0, flags u16 @2, rights_base u64 @8, rights_inheriting u64 @16. */
export const FDSTAT_SIZE = 24;

/** `prestat`: tag u8 @0 (0 = dir), pr_name_len u32 @4. */
export const PRESTAT_SIZE = 8;

/** `dirent`: d_next u64 @0, d_ino u64 @8, d_namlen u32 @16, d_type u8 @20; name follows. */
export const DIRENT_SIZE = 24;

/** `event`: userdata u64 @0, error u16 @8, type u8 @10, nbytes u64 @16, flags u16 @24. */
export const EVENT_SIZE = 32;

/** Where the fields of `subscription` and `filestat` sit; differs between the two snapshots. */
export interface Layout {
  /** `subscription` size; the tag is a u8 at 8 in both. */
  readonly subscriptionSize: number;
  readonly subFd: number;
  readonly subClockId: number;
  readonly subClockTimeout: number;
  readonly subClockFlags: number;
  /** `filestat` size and field offsets; nlink is u64 in preview1, u32 in wasi_unstable. */
  readonly filestatSize: number;
  readonly fsFiletype: number;
  readonly fsNlink: number;
  readonly fsNlink64: boolean;
  readonly fsSize: number;
  readonly fsAtim: number;
  readonly fsMtim: number;
  readonly fsCtim: number;
  /** Maps the guest's `whence` to preview1's numbering. */
  readonly whence: readonly number[];
}

/** wasi_snapshot_preview1 */
export const PREVIEW1: Layout = {
  subscriptionSize: 48,
  subFd: 16,
  subClockId: 16,
  subClockTimeout: 24,
  subClockFlags: 40,
  filestatSize: 64,
  fsFiletype: 16,
  fsNlink: 24,
  fsNlink64: true,
  fsSize: 32,
  fsAtim: 40,
  fsMtim: 48,
  fsCtim: 56,
  whence: [Whence.SET, Whence.CUR, Whence.END],
};

/** wasi_unstable (snapshot 0): subscription_clock has a u64 `identifier` first; nlink is u32. */
export const UNSTABLE: Layout = {
  subscriptionSize: 56,
  subFd: 16,
  subClockId: 24,
  subClockTimeout: 32,
  subClockFlags: 48,
  filestatSize: 56,
  fsFiletype: 16,
  fsNlink: 20,
  fsNlink64: false,
  fsSize: 24,
  fsAtim: 32,
  fsMtim: 40,
  fsCtim: 48,
  whence: [Whence.CUR, Whence.END, Whence.SET],
};
