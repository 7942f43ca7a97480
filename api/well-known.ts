// Helpers for the two well-known types every shim message leans on: Timestamp (generated as a
// Date, ts-proto `useDate=true`) and Any (containerd's bare type URLs). Hand-written; everything
// else in api/ is generated.
import type { Any } from "./gen/google/protobuf/any.js";
import type { DeepPartial, MessageFns } from "./gen/google/protobuf/any.js";

/**
 * Go's zero `time.Time`, 0001-01-01T00:00:00Z, in Unix milliseconds. containerd marks its
 * timestamps non-nullable, so an absent Timestamp decodes in Go as this instant; a shim that
 * means "not exited" must omit the field (or send this), never `new Date(0)`, which is 1970
 * (shim-protocol.md §2).
 */
export const GO_ZERO_TIME_MS = -62_135_596_800_000;

/** True when `date` is absent or Go's zero time: both mean "not set" to containerd. */
export function isUnsetTime(date: Date | undefined): boolean {
  return date === undefined || date.getTime() === GO_ZERO_TIME_MS;
}

/** A generated message type: its encoder, decoder, and full proto name (`$type`). */
export type MessageType<T> = MessageFns<T, string>;

/**
 * Packs a message into an Any with the bare type URL containerd uses for its own messages
 * (`containerd.events.TaskExit`, `io.containerd.cgroups.v1.Metrics`). A
 * `type.googleapis.com/` prefix would be accepted by Forward and then be undecodable by every
 * subscriber (shim-protocol.md §5.2).
 */
export function packAny<T>(type: MessageType<T>, init: DeepPartial<T>): Any {
  // fromPartial's `Exact<>` constraint cannot be met by a generic T; the argument is a
  // DeepPartial<T> by this function's own signature.
  const message = (type.fromPartial as (object: DeepPartial<T>) => T)(init);
  return { typeUrl: type.$type, value: type.encode(message).finish() };
}

/**
 * Decodes `any` as `type` when its type URL names that type, bare or behind a URL prefix
 * (`…/containerd.events.TaskExit`); undefined for another type. Throws what the decoder throws
 * on a malformed value.
 */
export function unpackAny<T>(type: MessageType<T>, any: Any | undefined): T | undefined {
  if (any === undefined) return undefined;
  const url = any.typeUrl;
  const name = url.slice(url.lastIndexOf("/") + 1);
  return name === type.$type ? type.decode(any.value) : undefined;
}
