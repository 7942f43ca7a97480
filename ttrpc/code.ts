// Status codes of a ttrpc call. ttrpc carries google.rpc.Status, so these are gRPC's codes with
// gRPC's numbers (google.golang.org/grpc/codes, also google/rpc/code.proto). How containerd reads
// each one is in shim-protocol.md §1.5.

/** The status code of a failed call, gRPC numbering. `Code.Ok` never travels as an error. */
export const Code = {
  Ok: 0,
  /** The caller gave up; Go's `context.Canceled`. */
  Cancelled: 1,
  /** Anything without a better class; containerd prints "…: unknown". */
  Unknown: 2,
  InvalidArgument: 3,
  /** The call's deadline (`timeout_nano`) passed. */
  DeadlineExceeded: 4,
  /** Unknown task or exec id; also a kill after exit (containerd and CRI rely on it). */
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  /** An oversize frame (more than 4 MiB). */
  ResourceExhausted: 8,
  /** The object is in the wrong state for the operation. */
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  /** No such service or method; the runtime-v2 README requires it for unsupported RPCs. */
  Unimplemented: 12,
  Internal: 13,
  /** The connection is gone ("ttrpc: closed"); containerd reads it as "shim died". */
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
} as const;

/** One of the values of {@link Code}. */
export type Code = (typeof Code)[keyof typeof Code];

// Index = code number; the canonical upper-case names used in logs and error texts.
const names = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
] as const;

/** The canonical name of a code, e.g. `codeName(5) === "NOT_FOUND"`; `CODE(n)` when unknown. */
export function codeName(code: number): string {
  return names[code] ?? `CODE(${code})`;
}

/**
 * Maps a status code received from a peer to a {@link Code}. A peer may send any int32; numbers
 * outside gRPC's range become `Code.Unknown`, as grpc-go does.
 */
export function toCode(value: number): Code {
  return Number.isInteger(value) && value >= 0 && value < names.length
    ? (value as Code)
    : Code.Unknown;
}
