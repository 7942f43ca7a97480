// ttrpc framing, pure: bytes in, frames out, no I/O (compare ttrpc's channel.go and connect-es's
// protocol/envelope.ts). Every message is a 10-byte header followed by its payload:
//
//   offset 0  uint32 BE  payload length (header not included)
//   offset 4  uint32 BE  stream id (odd for client-initiated calls)
//   offset 8  uint8      message type: 1 request, 2 response
//   offset 9  uint8      flags, reserved in ttrpc 1.1 (always 0 from containerd 1.6)
//
// Wire format: shim-protocol.md §1.1, ttrpc v1.1.1 channel.go.
import { Code } from "./code.js";
import { TtrpcError } from "./error.js";

/** Bytes in a frame header. */
export const FRAME_HEADER_BYTES = 10;

/** The largest payload either side may send: 4 MiB, ttrpc's `messageLengthMax` (channel.go). */
export const MAX_FRAME_BYTES = 4 << 20;

/** The frame types of ttrpc 1.1. ttrpc ≥ 1.2 adds 3 (data) for streams; 1.1 peers ignore it. */
export const FrameType = { Request: 1, Response: 2 } as const;

/** A whole frame. `payload` may share memory with the chunk it arrived in. */
export interface Frame {
  readonly streamId: number;
  readonly type: number;
  readonly flags: number;
  readonly payload: Uint8Array;
}

/**
 * What the decoder found: a whole frame, or the header of a frame whose payload exceeds the
 * limit. An oversize frame is reported as soon as its header is read; its payload is then
 * skipped as it arrives and never buffered, so the peer can be answered with RESOURCE_EXHAUSTED
 * on that stream id and the connection goes on (ttrpc's channel.recv does the same).
 */
export type FrameEvent =
  | { readonly kind: "frame"; readonly frame: Frame }
  | {
      readonly kind: "oversize";
      readonly streamId: number;
      readonly type: number;
      readonly length: number;
    };

/** Options of a {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /** Payloads longer than this are skipped and reported; default {@link MAX_FRAME_BYTES}. */
  readonly maxFrameBytes?: number;
  /**
   * The frame types to deliver; frames of other types are skipped unseen, for forward
   * compatibility (ttrpc's server ignores every type but "request"). Default: 1 and 2.
   */
  readonly types?: readonly number[];
}

const empty = new Uint8Array(0);

/**
 * Turns a byte stream, cut anywhere, into frames. Feed it every chunk in order with
 * {@link push}; it keeps partial headers and payloads between calls.
 */
export class FrameDecoder {
  readonly #maxFrameBytes: number;
  readonly #types: ReadonlySet<number>;
  // Bytes of the current header or payload received so far, not yet joined.
  #parts: Uint8Array[] = [];
  #partBytes = 0;
  // The header whose payload is being collected, if any.
  #pending: { streamId: number; type: number; flags: number; length: number } | undefined;
  // Payload bytes still to discard (oversize or unwanted frame).
  #skipBytes = 0;

  constructor(options: FrameDecoderOptions = {}) {
    this.#maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
    this.#types = new Set(options.types ?? [FrameType.Request, FrameType.Response]);
  }

  /** True while part of a frame has been received: an end of stream now would cut a frame. */
  get midFrame(): boolean {
    return this.#partBytes > 0 || this.#pending !== undefined || this.#skipBytes > 0;
  }

  /** Consumes one chunk and returns what became complete, in stream order. */
  push(chunk: Uint8Array): FrameEvent[] {
    const events: FrameEvent[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#skipBytes > 0) {
        const n = Math.min(this.#skipBytes, chunk.length - offset);
        this.#skipBytes -= n;
        offset += n;
        continue;
      }
      const pending = this.#pending;
      if (pending === undefined) {
        offset = this.#collect(chunk, offset, FRAME_HEADER_BYTES);
        if (this.#partBytes < FRAME_HEADER_BYTES) break;
        this.#startFrame(this.#join(), events);
        continue;
      }
      // Fast path: the whole payload is inside this chunk; share its memory.
      if (this.#partBytes === 0 && chunk.length - offset >= pending.length) {
        this.#finishFrame(chunk.subarray(offset, offset + pending.length), events);
        offset += pending.length;
        continue;
      }
      offset = this.#collect(chunk, offset, pending.length);
      if (this.#partBytes < pending.length) break;
      this.#finishFrame(this.#join(), events);
    }
    return events;
  }

  #startFrame(header: Uint8Array, events: FrameEvent[]): void {
    const view = new DataView(header.buffer, header.byteOffset, FRAME_HEADER_BYTES);
    const length = view.getUint32(0);
    const streamId = view.getUint32(4);
    const type = view.getUint8(8);
    const flags = view.getUint8(9);
    // The length check comes first, as in channel.go: an oversize frame of any type is reported.
    if (length > this.#maxFrameBytes) {
      events.push({ kind: "oversize", streamId, type, length });
      this.#skipBytes = length;
    } else if (!this.#types.has(type)) {
      this.#skipBytes = length;
    } else if (length === 0) {
      events.push({ kind: "frame", frame: { streamId, type, flags, payload: empty } });
    } else {
      this.#pending = { streamId, type, flags, length };
    }
  }

  #finishFrame(payload: Uint8Array, events: FrameEvent[]): void {
    const { streamId, type, flags } = this.#pending!;
    this.#pending = undefined;
    events.push({ kind: "frame", frame: { streamId, type, flags, payload } });
  }

  // Copies up to `target - partBytes` bytes of chunk into the parts; returns the new offset.
  #collect(chunk: Uint8Array, offset: number, target: number): number {
    const n = Math.min(target - this.#partBytes, chunk.length - offset);
    this.#parts.push(chunk.subarray(offset, offset + n));
    this.#partBytes += n;
    return offset + n;
  }

  #join(): Uint8Array {
    const parts = this.#parts;
    const joined = parts.length === 1 ? parts[0]! : concat(parts, this.#partBytes);
    this.#parts = [];
    this.#partBytes = 0;
    return joined;
  }
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Encodes a frame header. Throws a RESOURCE_EXHAUSTED TtrpcError when `length` exceeds
 * `maxFrameBytes` (the peer would discard the frame anyway) and a RangeError for a length,
 * stream id, type or flags outside their field widths.
 */
export function encodeFrameHeader(
  length: number,
  streamId: number,
  type: number,
  flags = 0,
  maxFrameBytes = MAX_FRAME_BYTES,
): Uint8Array {
  if (length > maxFrameBytes) {
    throw new TtrpcError(
      Code.ResourceExhausted,
      `message length ${length} exceed maximum message size of ${maxFrameBytes}`,
    );
  }
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  const view = new DataView(header.buffer);
  // DataView silently wraps out-of-range values; a wrapped stream id would answer the wrong call.
  checkRange("length", length, 0xffff_ffff);
  checkRange("stream id", streamId, 0xffff_ffff);
  checkRange("frame type", type, 0xff);
  checkRange("frame flags", flags, 0xff);
  view.setUint32(0, length);
  view.setUint32(4, streamId);
  view.setUint8(8, type);
  view.setUint8(9, flags);
  return header;
}

/** Encodes a whole frame into one new buffer: header and payload. */
export function encodeFrame(
  frame: Omit<Frame, "flags"> & { readonly flags?: number },
  maxFrameBytes = MAX_FRAME_BYTES,
): Uint8Array {
  const { streamId, type, flags = 0, payload } = frame;
  const header = encodeFrameHeader(payload.length, streamId, type, flags, maxFrameBytes);
  return concat([header, payload], FRAME_HEADER_BYTES + payload.length);
}

function checkRange(what: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`ttrpc: ${what} ${value} is outside 0..${max}`);
  }
}
