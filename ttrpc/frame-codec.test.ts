import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code } from "./code.js";
import { isTtrpcError } from "./error.js";
import {
  FRAME_HEADER_BYTES,
  FrameDecoder,
  FrameType,
  MAX_FRAME_BYTES,
  encodeFrame,
  encodeFrameHeader,
  type FrameEvent,
} from "./frame-codec.js";

const bytes = (...values: number[]) => new Uint8Array(values);
const frameOf = (streamId: number, payload: Uint8Array, type: number = FrameType.Request) =>
  encodeFrame({ streamId, type, payload });

function frames(events: FrameEvent[]) {
  return events.map((e) => {
    assert.equal(e.kind, "frame");
    return e.kind === "frame" ? e.frame : undefined;
  });
}

describe("frame codec", () => {
  it("encodes the header as big-endian length and stream id, then type and flags", () => {
    assert.deepEqual(
      encodeFrameHeader(0x01020304, 0x0a0b0c0d, 2, 5, Infinity),
      bytes(1, 2, 3, 4, 0x0a, 0x0b, 0x0c, 0x0d, 2, 5),
    );
    assert.deepEqual(frameOf(3, bytes(9, 8)), bytes(0, 0, 0, 2, 0, 0, 0, 3, 1, 0, 9, 8));
  });

  it("decodes a frame with an empty payload", () => {
    const [frame] = frames(new FrameDecoder().push(frameOf(7, bytes())));
    assert.deepEqual(frame, { streamId: 7, type: 1, flags: 0, payload: bytes() });
  });

  it("reassembles a frame delivered one byte at a time", () => {
    const decoder = new FrameDecoder();
    const wire = frameOf(
      1,
      new Uint8Array(300).map((_, i) => i & 0xff),
    );
    const events: FrameEvent[] = [];
    for (const byte of wire) {
      assert.equal(events.length, 0);
      events.push(...decoder.push(bytes(byte)));
    }
    const [frame] = frames(events);
    assert.equal(frame?.streamId, 1);
    assert.deepEqual(frame?.payload, wire.subarray(FRAME_HEADER_BYTES));
    assert.equal(decoder.midFrame, false);
  });

  it("decodes many frames from one chunk, in order", () => {
    const wire = Buffer.concat([
      frameOf(1, bytes(1)),
      frameOf(3, bytes()),
      frameOf(5, bytes(5, 5)),
    ]);
    const got = frames(new FrameDecoder().push(wire));
    assert.deepEqual(
      got.map((f) => [f?.streamId, [...(f?.payload ?? [])]]),
      [
        [1, [1]],
        [3, []],
        [5, [5, 5]],
      ],
    );
  });

  it("keeps a partial header and payload across chunks cut at every position", () => {
    const wire = Buffer.concat([frameOf(1, bytes(1, 2, 3)), frameOf(3, bytes(4))]);
    for (let cut = 0; cut <= wire.length; cut++) {
      const decoder = new FrameDecoder();
      const events = [...decoder.push(wire.subarray(0, cut)), ...decoder.push(wire.subarray(cut))];
      assert.deepEqual(
        frames(events).map((f) => f?.streamId),
        [1, 3],
        `cut at ${cut}`,
      );
    }
  });

  it("accepts a payload of exactly 4 MiB", () => {
    const payload = new Uint8Array(MAX_FRAME_BYTES).fill(1);
    const [frame] = frames(new FrameDecoder().push(frameOf(1, payload)));
    assert.equal(frame?.payload.length, MAX_FRAME_BYTES);
  });

  it("reports an oversize frame at its header and skips its payload without buffering it", () => {
    const decoder = new FrameDecoder();
    const length = MAX_FRAME_BYTES + 1;
    const events = decoder.push(encodeFrameHeader(length, 9, FrameType.Request, 0, Infinity));
    assert.deepEqual(events, [{ kind: "oversize", streamId: 9, type: 1, length }]);
    // The payload arrives in pieces; nothing is delivered and the decoder holds no bytes of it.
    const piece = new Uint8Array(64 * 1024);
    let left = length;
    while (left > 0) {
      const n = Math.min(left, piece.length);
      assert.deepEqual(decoder.push(piece.subarray(0, n)), []);
      left -= n;
    }
    assert.equal(decoder.midFrame, false);
    const [next] = frames(decoder.push(frameOf(11, bytes(1))));
    assert.equal(next?.streamId, 11);
  });

  it("honours a smaller maxFrameBytes", () => {
    const events = new FrameDecoder({ maxFrameBytes: 2 }).push(frameOf(1, bytes(1, 2, 3)));
    assert.equal(events[0]?.kind, "oversize");
  });

  it("skips frames of types it was not asked for", () => {
    const decoder = new FrameDecoder({ types: [FrameType.Request] });
    const wire = Buffer.concat([
      frameOf(1, bytes(1, 2), 3),
      frameOf(2, bytes(3), FrameType.Response),
      frameOf(5, bytes(4)),
    ]);
    assert.deepEqual(
      frames(decoder.push(wire)).map((f) => f?.streamId),
      [5],
    );
  });

  it("says it is mid-frame while a header or payload is incomplete", () => {
    const decoder = new FrameDecoder();
    const wire = frameOf(1, bytes(1, 2, 3));
    decoder.push(wire.subarray(0, 4));
    assert.equal(decoder.midFrame, true);
    decoder.push(wire.subarray(4, 12));
    assert.equal(decoder.midFrame, true);
    decoder.push(wire.subarray(12));
    assert.equal(decoder.midFrame, false);
  });

  it("refuses to encode an oversize payload with RESOURCE_EXHAUSTED", () => {
    assert.throws(
      () => encodeFrameHeader(MAX_FRAME_BYTES + 1, 1, FrameType.Request),
      (err) => isTtrpcError(err) && err.code === Code.ResourceExhausted,
    );
  });

  it("refuses lengths, stream ids, types and flags that do not fit their fields", () => {
    assert.throws(() => encodeFrameHeader(0, 2 ** 32, 1), RangeError);
    assert.throws(() => encodeFrameHeader(0, -1, 1), RangeError);
    assert.throws(() => encodeFrameHeader(0, 1, 256), RangeError);
    assert.throws(() => encodeFrameHeader(0, 1, 1, 1.5), RangeError);
    assert.throws(() => encodeFrameHeader(2 ** 32, 1, 1, 0, Infinity), RangeError);
  });
});
