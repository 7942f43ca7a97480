// WASI preview1 errno values and the one table that maps Node's (libuv's) error codes to them.
// Numbering: `errno` in wasi_snapshot_preview1.witx (also wasi-libc's wasi/api.h).

/** WASI preview1 errno values (witx `errno`, a u16). */
export const Errno = {
  SUCCESS: 0,
  "2BIG": 1,
  ACCES: 2,
  ADDRINUSE: 3,
  ADDRNOTAVAIL: 4,
  AFNOSUPPORT: 5,
  AGAIN: 6,
  ALREADY: 7,
  BADF: 8,
  BADMSG: 9,
  BUSY: 10,
  CANCELED: 11,
  CHILD: 12,
  CONNABORTED: 13,
  CONNREFUSED: 14,
  CONNRESET: 15,
  DEADLK: 16,
  DESTADDRREQ: 17,
  DOM: 18,
  DQUOT: 19,
  EXIST: 20,
  FAULT: 21,
  FBIG: 22,
  HOSTUNREACH: 23,
  IDRM: 24,
  ILSEQ: 25,
  INPROGRESS: 26,
  INTR: 27,
  INVAL: 28,
  IO: 29,
  ISCONN: 30,
  ISDIR: 31,
  LOOP: 32,
  MFILE: 33,
  MLINK: 34,
  MSGSIZE: 35,
  MULTIHOP: 36,
  NAMETOOLONG: 37,
  NETDOWN: 38,
  NETRESET: 39,
  NETUNREACH: 40,
  NFILE: 41,
  NOBUFS: 42,
  NODEV: 43,
  NOENT: 44,
  NOEXEC: 45,
  NOLCK: 46,
  NOLINK: 47,
  NOMEM: 48,
  NOMSG: 49,
  NOPROTOOPT: 50,
  NOSPC: 51,
  NOSYS: 52,
  NOTCONN: 53,
  NOTDIR: 54,
  NOTEMPTY: 55,
  NOTRECOVERABLE: 56,
  NOTSOCK: 57,
  NOTSUP: 58,
  NOTTY: 59,
  NXIO: 60,
  OVERFLOW: 61,
  OWNERDEAD: 62,
  PERM: 63,
  PIPE: 64,
  PROTO: 65,
  PROTONOSUPPORT: 66,
  PROTOTYPE: 67,
  RANGE: 68,
  ROFS: 69,
  SPIPE: 70,
  SRCH: 71,
  STALE: 72,
  TIMEDOUT: 73,
  TXTBSY: 74,
  XDEV: 75,
  NOTCAPABLE: 76,
} as const;

/** One WASI errno value. */
export type ErrnoValue = (typeof Errno)[keyof typeof Errno];

/**
 * Node reports host failures as errors whose `code` is the POSIX name (`"ENOENT"`). WASI's names
 * are the same without the `E`, so the table is built from `Errno` plus the aliases Linux has.
 */
const byNodeCode: ReadonlyMap<string, number> = new Map<string, number>([
  ...Object.entries(Errno).map(([name, value]): [string, number] => [`E${name}`, value]),
  ["EWOULDBLOCK", Errno.AGAIN],
  ["EOPNOTSUPP", Errno.NOTSUP],
  ["EDEADLOCK", Errno.DEADLK],
  // Node's own argument checks fire when a guest passes an offset/length outside its memory.
  ["ERR_OUT_OF_RANGE", Errno.FAULT],
  ["ERR_BUFFER_OUT_OF_BOUNDS", Errno.FAULT],
]);

/**
 * A failure with a known errno, thrown inside the host and turned into a return value by
 * `errnoOf` at the edge of each import; it never reaches the guest or the embedder as an exception.
 * Not an `Error`: capturing a stack trace measured ~10 µs a throw, and every run has some (the
 * EBADF that ends wasi-libc's preopen scan), while nothing ever reads the trace.
 */
export class WasiErrno {
  constructor(readonly errno: number) {}
}

/** Throws the given errno as a `WasiErrno` (for use in expressions). */
export function fail(errno: number): never {
  throw new WasiErrno(errno);
}

/**
 * The errno for an error raised while serving an import. Host errors (`code: "ENOENT"`...) and
 * out-of-bounds guest pointers map to errno values; anything else — our exit and interrupt
 * exceptions, or a bug — is re-thrown so that it is never silently turned into EIO.
 */
export function errnoOf(error: unknown): number {
  if (error instanceof WasiErrno) return error.errno;
  if (error instanceof RangeError && !("code" in error)) return Errno.FAULT; // DataView bounds
  if (typeof error === "object" && error !== null && "code" in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === "string") {
      const errno = byNodeCode.get(code);
      if (errno !== undefined) return errno;
      if (/^E[A-Z0-9]+$/.test(code)) return Errno.IO; // a host errno WASI has no name for
    }
  }
  throw error;
}
