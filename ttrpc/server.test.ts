import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Code } from "./code.js";
import type { CallContext } from "./definition.js";
import { TtrpcError, isTtrpcError } from "./error.js";
import { FrameType, MAX_FRAME_BYTES, encodeFrame, encodeFrameHeader } from "./frame-codec.js";
import { KeyValue, Request } from "./gen/ttrpc/ttrpc.js";
import { createClient } from "./service-client.js";
import { RawPeer, TestDefinition, connect, keyValue, startServer, testImpl } from "./testing.js";

// Nothing a peer sends may crash the process: collect what would have.
const unexpected: unknown[] = [];
const record = (err: unknown) => unexpected.push(err);
process.on("uncaughtException", record);
process.on("unhandledRejection", record);
after(() => {
  process.off("uncaughtException", record);
  process.off("unhandledRejection", record);
  assert.deepEqual(unexpected, [], "no uncaught exception or unhandled rejection");
});

const rejectsWith = (code: Code, message?: string) => (err: unknown) => {
  assert.ok(isTtrpcError(err), `expected a TtrpcError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  if (message !== undefined) assert.equal(err.rawMessage, message);
  return true;
};

/**
 * A frame payload of exactly `total` bytes calling Size, whose own request (a Request message,
 * see TestDefinition) carries `inner` bytes.
 */
function sizedRequest(total: number): { bytes: Uint8Array; inner: number } {
  let inner = total;
  for (;;) {
    const payload = Request.encode(
      Request.fromPartial({ payload: new Uint8Array(inner) }),
    ).finish();
    const bytes = Request.encode(
      Request.fromPartial({ service: TestDefinition.fullName, method: "Size", payload }),
    ).finish();
    if (bytes.length === total) return { bytes, inner };
    inner -= bytes.length - total;
  }
}

describe("Server", () => {
  it("answers a call with the handler's init completed by fromPartial", async (t) => {
    const { socketPath } = await startServer(t, {
      echo: (req) => ({ key: req.key.toUpperCase() }),
    });
    const test = createClient(TestDefinition, await connect(t, socketPath));
    assert.deepEqual(await test.echo({ key: "hi", value: "dropped" }), { key: "HI", value: "" });
  });

  it("answers success without a status, and with a zero-byte frame for an empty message", async (t) => {
    const { socketPath } = await startServer(t);
    const peer = await RawPeer.connect(t, socketPath);
    await peer.call(1, "Echo", new Uint8Array(0));
    const frame = await peer.next();
    assert.equal(frame?.streamId, 1);
    assert.equal(frame?.type, FrameType.Response);
    assert.equal(frame?.payload.length, 0);
  });

  it("passes metadata to the handler with keys lower-cased and repeated keys kept", async (t) => {
    let seen: CallContext | undefined;
    const { socketPath } = await startServer(t, { echo: (req, ctx) => ((seen = ctx), req) });
    const client = await connect(t, socketPath);
    await createClient(TestDefinition, client).echo(
      {},
      {
        metadata: [
          ["X-Ns", "a"],
          ["x-ns", ["b", "c"]],
          ["other", "d"],
        ],
      },
    );
    assert.deepEqual(
      [...(seen?.metadata ?? [])],
      [
        ["x-ns", ["a", "b", "c"]],
        ["other", ["d"]],
      ],
    );
    assert.equal(seen?.service, "ttrpc.test.Test");
    assert.equal(seen?.method, "Echo");
    assert.equal(seen?.deadline, undefined);
  });

  it("round-trips a request frame of exactly 4 MiB", async (t) => {
    const { socketPath } = await startServer(t);
    const peer = await RawPeer.connect(t, socketPath);
    const { bytes, inner } = sizedRequest(MAX_FRAME_BYTES);
    assert.equal(bytes.length, MAX_FRAME_BYTES);
    await peer.write(encodeFrame({ streamId: 1, type: FrameType.Request, payload: bytes }));
    const { streamId, response } = await peer.response();
    assert.equal(streamId, 1);
    assert.equal(response.status, undefined);
    assert.equal(KeyValue.decode(response.payload).value, String(inner));
  });

  it("answers a 4 MiB + 1 frame with RESOURCE_EXHAUSTED on its stream and serves the next call", async (t) => {
    const { socketPath } = await startServer(t);
    const peer = await RawPeer.connect(t, socketPath);
    const { bytes } = sizedRequest(MAX_FRAME_BYTES + 1);
    const header = encodeFrameHeader(bytes.length, 5, FrameType.Request, 0, Infinity);
    await peer.write(Buffer.concat([header, bytes]));
    const first = await peer.response();
    assert.equal(first.streamId, 5);
    assert.equal(first.response.status?.code, Code.ResourceExhausted);
    assert.match(first.response.status?.message ?? "", /exceed maximum message size of 4194304/);
    await peer.call(7, "Echo", keyValue("after"));
    const second = await peer.response();
    assert.equal(second.streamId, 7);
    assert.equal(KeyValue.decode(second.response.payload).key, "after");
  });

  it("answers RESOURCE_EXHAUSTED when the response would exceed 4 MiB", async (t) => {
    const { socketPath } = await startServer(t);
    const test = createClient(TestDefinition, await connect(t, socketPath));
    await assert.rejects(
      test.blob({ value: String(MAX_FRAME_BYTES) }),
      rejectsWith(Code.ResourceExhausted),
    );
    const fits = await test.blob({ value: String(MAX_FRAME_BYTES - 16) });
    assert.equal(fits.payload.length, MAX_FRAME_BYTES - 16);
  });

  it("reassembles a request written one byte at a time", async (t) => {
    const { socketPath } = await startServer(t);
    const peer = await RawPeer.connect(t, socketPath);
    const request = Request.encode(
      Request.fromPartial({
        service: "ttrpc.test.Test",
        method: "Echo",
        payload: keyValue("slow"),
      }),
    ).finish();
    for (const byte of encodeFrame({ streamId: 3, type: FrameType.Request, payload: request })) {
      await peer.write(new Uint8Array([byte]));
    }
    const { streamId, response } = await peer.response();
    assert.equal(streamId, 3);
    assert.equal(KeyValue.decode(response.payload).key, "slow");
  });

  it("answers every request of many frames written in one chunk", async (t) => {
    const { socketPath } = await startServer(t);
    const peer = await RawPeer.connect(t, socketPath);
    const ids = Array.from({ length: 50 }, (_, i) => 2 * i + 1);
    const wire = Buffer.concat(
      ids.map((id) => {
        const payload = Request.encode(
          Request.fromPartial({
            service: "ttrpc.test.Test",
            method: "Echo",
            payload: keyValue(`k${id}`),
          }),
        ).finish();
        return encodeFrame({ streamId: id, type: FrameType.Request, payload });
      }),
    );
    await peer.write(wire);
    const answers = new Map<number, string>();
    while (answers.size < ids.length) {
      const { streamId, response } = await peer.response();
      answers.set(streamId, KeyValue.decode(response.payload).key);
    }
    for (const id of ids) assert.equal(answers.get(id), `k${id}`);
  });

  it("serves 1,000 concurrent calls on one connection and answers them out of order", async (t) => {
    const count = 1000;
    const gates: (() => void)[] = [];
    const finished: number[] = [];
    const { socketPath } = await startServer(t, {
      echo: async (req) => {
        await new Promise<void>((resolve) => {
          gates.push(resolve);
          // Once all calls are in, release them last-in first-out (on a later turn, so that the
          // last handler is already awaiting like the others).
          if (gates.length === count) setImmediate(() => gates.reverse().forEach((open) => open()));
        });
        return req;
      },
    });
    const test = createClient(TestDefinition, await connect(t, socketPath));
    const calls = Array.from({ length: count }, (_, i) =>
      test.echo({ key: String(i) }).then((res) => (finished.push(i), res.key)),
    );
    const keys = await Promise.all(calls);
    assert.deepEqual(
      keys,
      Array.from({ length: count }, (_, i) => String(i)),
    );
    assert.deepEqual(
      finished,
      Array.from({ length: count }, (_, i) => count - 1 - i),
    );
  });

  it("rejects an even stream id with INVALID_ARGUMENT on that id", async (t) => {
    const { socketPath } = await startServer(t);
    const peer = await RawPeer.connect(t, socketPath);
    await peer.call(2, "Echo", keyValue("x"));
    const { streamId, response } = await peer.response();
    assert.equal(streamId, 2);
    assert.deepEqual(response.status, {
      code: Code.InvalidArgument,
      message: "StreamID must be odd for client initiated streams",
      details: [],
    });
  });

  it("answers UNIMPLEMENTED for an unknown service and for a method without handler", async (t) => {
    const { socketPath } = await startServer(t);
    const client = await connect(t, socketPath);
    await assert.rejects(
      client.invoke("no.such.Service", "Echo", new Uint8Array(0)),
      rejectsWith(Code.Unimplemented, "service no.such.Service"),
    );
    await assert.rejects(
      client.invoke("ttrpc.test.Test", "Nope", new Uint8Array(0)),
      rejectsWith(Code.Unimplemented, "method Nope"),
    );
    await assert.rejects(
      createClient(TestDefinition, client).missing({}),
      rejectsWith(Code.Unimplemented, "method Missing"),
    );
  });

  it("answers INVALID_ARGUMENT for a request or payload that is not valid protobuf", async (t) => {
    const { socketPath } = await startServer(t);
    const peer = await RawPeer.connect(t, socketPath);
    // Field 1, wire type 2, length 100, but only 1 byte follows.
    const truncated = new Uint8Array([0x0a, 100, 1]);
    await peer.write(encodeFrame({ streamId: 1, type: FrameType.Request, payload: truncated }));
    const envelope = await peer.response();
    assert.equal(envelope.response.status?.code, Code.InvalidArgument);
    assert.match(envelope.response.status?.message ?? "", /^unmarshal request error: /);
    await peer.call(3, "Echo", truncated);
    const payload = await peer.response();
    assert.equal(payload.streamId, 3);
    assert.equal(payload.response.status?.code, Code.InvalidArgument);
  });

  it("sends a thrown error's code and raw message, classifying plain errors", async (t) => {
    const { socketPath } = await startServer(t, {
      echo: (req) => {
        if (req.key === "typed") throw new TtrpcError(Code.FailedPrecondition, "task is running");
        if (req.key === "enoent") throw Object.assign(new Error("no file"), { code: "ENOENT" });
        throw new Error("plain");
      },
    });
    const test = createClient(TestDefinition, await connect(t, socketPath));
    await assert.rejects(
      test.echo({ key: "typed" }),
      rejectsWith(Code.FailedPrecondition, "task is running"),
    );
    await assert.rejects(test.echo({ key: "enoent" }), rejectsWith(Code.NotFound, "no file"));
    await assert.rejects(test.echo({ key: "other" }), rejectsWith(Code.Unknown, "plain"));
  });

  it("aborts the handler's signal at the request's deadline", async (t) => {
    let reason: unknown;
    let deadline: number | undefined;
    const { socketPath } = await startServer(t, {
      echo: (_req, ctx) =>
        new Promise((_resolve, reject) => {
          deadline = ctx.deadline;
          ctx.signal.addEventListener("abort", () => reject((reason = ctx.signal.reason)));
        }),
    });
    const peer = await RawPeer.connect(t, socketPath);
    await peer.call(1, "Echo", keyValue("x"), { timeoutNano: 20e6 });
    const { response } = await peer.response();
    assert.equal(response.status?.code, Code.DeadlineExceeded);
    assert.equal(response.status?.message, "context deadline exceeded");
    assert.ok(isTtrpcError(reason) && reason.code === Code.DeadlineExceeded);
    assert.equal(typeof deadline, "number");
  });

  it("survives a peer that disconnects mid-call, aborting that call's signal", async (t) => {
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => (started = resolve));
    let aborted: (reason: unknown) => void = () => {};
    const abortReason = new Promise((resolve) => (aborted = resolve));
    let finish: () => void = () => {};
    const answered = new Promise<void>((resolve) => (finish = resolve));
    const { socketPath } = await startServer(t, {
      ...testImpl,
      blob: async (_req, ctx) => {
        ctx.signal.addEventListener("abort", () => aborted(ctx.signal.reason));
        started();
        // Answers only after the peer is gone: the late write must be dropped quietly.
        await answered;
        return { payload: new Uint8Array(9) };
      },
    });
    const peer = await RawPeer.connect(t, socketPath);
    await peer.call(1, "Blob", keyValue("", "9"));
    await running;
    peer.socket.destroy();
    const reason = await abortReason;
    assert.ok(isTtrpcError(reason) && reason.code === Code.Cancelled);
    finish();
    await new Promise((resolve) => setImmediate(resolve));
    const test = createClient(TestDefinition, await connect(t, socketPath));
    assert.equal((await test.echo({ key: "still here" })).key, "still here");
  });

  it("ignores frames of unknown types and responses sent to it", async (t) => {
    const { socketPath } = await startServer(t);
    const peer = await RawPeer.connect(t, socketPath);
    await peer.write(encodeFrame({ streamId: 1, type: 3, payload: new Uint8Array(5) }));
    await peer.write(
      encodeFrame({ streamId: 3, type: FrameType.Response, payload: new Uint8Array(2) }),
    );
    await peer.call(5, "Echo", keyValue("only me"));
    const { streamId } = await peer.response();
    assert.equal(streamId, 5);
  });
});
