// The one error type of a ttrpc call: a status code plus the message that travels on the wire.
// Modelled on connect-es's ConnectError and on ttrpc's convertCode (services.go): throw the
// precise code where the meaning is known; anything else is classified once, at the server edge,
// by TtrpcError.from.
import { Code, codeName } from "./code.js";

// A registered symbol, so that two copies of this module (a duplicate install, a bundle next to
// the sources) recognise each other's errors; `instanceof` alone would not.
const brand = Symbol.for("runwasi.ttrpc.TtrpcError");

/**
 * A failed ttrpc call, or a failure that a handler wants sent with a specific code.
 *
 * `rawMessage` is what travels in google.rpc.Status.message, unchanged: containerd appends the
 * class itself ("<message>: not found"), so it must not carry the code. `message` adds the code
 * name for logs: `[NOT_FOUND] task x not found`. `cause` is kept for logs and never sent.
 */
export class TtrpcError extends Error {
  /** The status code, gRPC numbering. */
  readonly code: Code;
  /** The message exactly as sent or received. */
  readonly rawMessage: string;
  readonly [brand] = true;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(`[${codeName(code)}] ${message}`, options);
    this.name = "TtrpcError";
    this.code = code;
    this.rawMessage = message;
  }

  /**
   * Makes a TtrpcError of anything caught. A TtrpcError (also from another copy of this module)
   * is returned as it is. Node system errors map by errno code: ENOENT → NOT_FOUND, EEXIST →
   * ALREADY_EXISTS, EACCES and EPERM → PERMISSION_DENIED; an `AbortError` → CANCELLED and a
   * `TimeoutError` (from `AbortSignal.timeout`) → DEADLINE_EXCEEDED; everything else UNKNOWN.
   * The original value becomes `cause`; the message is the original's `message` (or its string
   * form), without a code prefix.
   */
  static from(reason: unknown): TtrpcError {
    if (isTtrpcError(reason)) return reason;
    const message = messageOf(reason);
    return new TtrpcError(classify(reason), message, { cause: reason });
  }

  /** True for a TtrpcError from any copy of this module; `instanceof` uses the same test. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses keep the ordinary prototype check.
    if (this !== TtrpcError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return isTtrpcError(value);
  }
}

/** A type guard that also recognises TtrpcErrors made by another copy of this module. */
export function isTtrpcError(value: unknown): value is TtrpcError {
  return (
    value instanceof Error &&
    (value as unknown as Record<symbol, unknown>)[brand] === true &&
    typeof (value as { code?: unknown }).code === "number" &&
    typeof (value as { rawMessage?: unknown }).rawMessage === "string"
  );
}

function classify(reason: unknown): Code {
  if (typeof reason !== "object" || reason === null) return Code.Unknown;
  const { code, name } = reason as { code?: unknown; name?: unknown };
  switch (code) {
    case "ENOENT":
      return Code.NotFound;
    case "EEXIST":
      return Code.AlreadyExists;
    case "EACCES":
    case "EPERM":
      return Code.PermissionDenied;
  }
  if (name === "AbortError") return Code.Cancelled;
  if (name === "TimeoutError") return Code.DeadlineExceeded;
  return Code.Unknown;
}

function messageOf(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  if (typeof reason === "object" && reason !== null) {
    const { message } = reason as { message?: unknown };
    if (typeof message === "string") return message;
  }
  return String(reason);
}
