import assert from "node:assert/strict";
import net from "node:net";
import path from "node:path";
import { after, describe, it, type TestContext } from "node:test";
import { Client } from "./client.js";
import { Code } from "./code.js";
import { isTtrpcError } from "./error.js";
import {
  FrameDecoder,
  FrameType,
  MAX_FRAME_BYTES,
  encodeFrame,
  encodeFrameHeader,
} from "./frame-codec.js";
import { KeyValue, Request, Response } from "./gen/ttrpc/ttrpc.js";
import { createClient } from "./service-client.js";
import { TestDefinition, connect, startServer, tempDir } from "./testing.js";

const unexpected: unknown[] = [];
const record = (err: unknown) => unexpected.push(err);
process.on("uncaughtException", record);
process.on("unhandledRejection", record);
after(() => {
  process.off("uncaughtException", record);
  process.off("unhandledRejection", record);
  assert.deepEqual(unexpected, [], "no uncaught exception or unhandled rejection");
});

const isCode = (code: Code, message?: string) => (err: unknown) => {
  assert.ok(isTtrpcError(err), `expected a TtrpcError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  if (message !== undefined) assert.equal(err.rawMessage, message);
  return true;
};

interface Received {
  readonly streamId: number;
  readonly request: Request;
  readonly socket: net.Socket;
}

/** A hand-driven ttrpc server: hands each request to the test, which answers (or not). */
async function rawServer(t: TestContext) {
  const socketPath = path.join(await tempDir(t), "raw.sock");
  const received: Received[] = [];
  let wake: (() => void) | undefined;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const decoder = new FrameDecoder({ types: [FrameType.Request] });
    socket.on("error", () => {});
    socket.on("data", (chunk: Uint8Array) => {
      for (const event of decoder.push(chunk)) {
        if (event.kind !== "frame") continue;
        const { streamId, payload } = event.frame;
        received.push({ streamId, request: Request.decode(payload), socket });
      }
      wake?.();
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  t.after(() => {
    // server.close() waits for open connections: end them first.
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return {
    socketPath,
    server,
    /** Waits until `count` requests have arrived in total. */
    async requests(count: number): Promise<Received[]> {
      while (received.length < count) await new Promise<void>((resolve) => (wake = resolve));
      return received.slice(0, count);
    },
  };
}

const answer = (to: Received, response: Partial<Response>) =>
  to.socket.write(
    encodeFrame({
      streamId: to.streamId,
      type: FrameType.Response,
      payload: Response.encode(Response.fromPartial(response)).finish(),
    }),
  );

const keyValue = (key: string) => KeyValue.encode({ key, value: "" }).finish();

describe("Client", () => {
  it("dials a plain path or a unix:// address", async (t) => {
    const { socketPath } = await startServer(t);
    for (const address of [socketPath, `unix://${socketPath}`]) {
      const client = await connect(t, address);
      assert.equal((await createClient(TestDefinition, client).echo({ key: "k" })).key, "k");
    }
  });

  it("fails to dial with UNAVAILABLE carrying the system error", async (t) => {
    const missing = path.join(await tempDir(t), "nobody.sock");
    await assert.rejects(Client.connect(missing), (err) => {
      assert.ok(isTtrpcError(err) && err.code === Code.Unavailable);
      assert.equal((err.cause as NodeJS.ErrnoException).code, "ENOENT");
      return true;
    });
  });

  it("numbers calls 1, 3, 5, … and matches responses that arrive in reverse", async (t) => {
    const raw = await rawServer(t);
    const client = await connect(t, raw.socketPath);
    const calls = [0, 1, 2, 3, 4].map((i) => client.invoke("s.S", "M", keyValue(`c${i}`)));
    const requests = await raw.requests(5);
    assert.deepEqual(
      requests.map((r) => r.streamId),
      [1, 3, 5, 7, 9],
    );
    for (const r of [...requests].reverse()) {
      answer(r, { payload: r.request.payload });
    }
    const replies = await Promise.all(calls);
    assert.deepEqual(
      replies.map((p) => KeyValue.decode(p).key),
      ["c0", "c1", "c2", "c3", "c4"],
    );
  });

  it("sends service, method, metadata and the deadline as timeout_nano", async (t) => {
    const raw = await rawServer(t);
    const client = await connect(t, raw.socketPath);
    void client
      .invoke("pkg.Svc", "Do", keyValue("x"), {
        timeoutMs: 1500,
        metadata: { "Containerd-Namespace-Ttrpc": "ns1", multi: ["a", "b"] },
      })
      .catch(() => {});
    const [first] = await raw.requests(1);
    assert.equal(first?.request.service, "pkg.Svc");
    assert.equal(first?.request.method, "Do");
    assert.equal(first?.request.timeoutNano, 1.5e9);
    assert.deepEqual(first?.request.metadata, [
      { key: "containerd-namespace-ttrpc", value: "ns1" },
      { key: "multi", value: "a" },
      { key: "multi", value: "b" },
    ]);
  });

  it("rejects with DEADLINE_EXCEEDED when the server does not answer in time, and ignores the late answer", async (t) => {
    const raw = await rawServer(t);
    const client = await connect(t, raw.socketPath);
    await assert.rejects(
      client.invoke("s.S", "Slow", new Uint8Array(0), { timeoutMs: 20 }),
      isCode(Code.DeadlineExceeded, "context deadline exceeded"),
    );
    const [late] = await raw.requests(1);
    answer(late!, {});
    const next = client.invoke("s.S", "Next", new Uint8Array(0));
    const [, second] = await raw.requests(2);
    answer(second!, { payload: keyValue("next") });
    assert.equal(KeyValue.decode(await next).key, "next");
  });

  it("rejects with CANCELLED when the signal aborts, before or during the call", async (t) => {
    const raw = await rawServer(t);
    const client = await connect(t, raw.socketPath);
    const controller = new AbortController();
    const call = client.invoke("s.S", "M", new Uint8Array(0), { signal: controller.signal });
    await raw.requests(1);
    controller.abort();
    await assert.rejects(call, isCode(Code.Cancelled));
    await assert.rejects(
      client.invoke("s.S", "M", new Uint8Array(0), { signal: controller.signal }),
      isCode(Code.Cancelled),
    );
    await assert.rejects(
      client.invoke("s.S", "M", new Uint8Array(0), { signal: AbortSignal.timeout(1) }),
      isCode(Code.DeadlineExceeded),
    );
  });

  it("rejects every pending call with the same UNAVAILABLE error when the connection dies", async (t) => {
    const raw = await rawServer(t);
    const client = await connect(t, raw.socketPath);
    const calls = [1, 2, 3].map(() =>
      client.invoke("s.S", "M", new Uint8Array(0)).catch((err: unknown) => err),
    );
    const [first] = await raw.requests(3);
    first!.socket.destroy();
    const errors = await Promise.all(calls);
    assert.ok(isCode(Code.Unavailable, "ttrpc: closed")(errors[0]));
    assert.ok(errors.every((err) => err === errors[0]));
    await client.ended;
    assert.equal(client.closed, true);
    await assert.rejects(client.invoke("s.S", "M", new Uint8Array(0)), (err) => err === errors[0]);
  });

  it("turns an error status into a TtrpcError and an unknown code into UNKNOWN", async (t) => {
    const raw = await rawServer(t);
    const client = await connect(t, raw.socketPath);
    const codes = [5, 42, 0];
    const calls = codes.map(() =>
      client.invoke("s.S", "M", new Uint8Array(0)).catch((err: unknown) => err),
    );
    const requests = await raw.requests(3);
    requests.forEach((r, i) =>
      answer(r, { status: { code: codes[i]!, message: `m${i}`, details: [] } }),
    );
    const [notFound, unknown, ok] = await Promise.all(calls);
    assert.ok(isCode(Code.NotFound, "m0")(notFound));
    assert.ok(isCode(Code.Unknown, "m1")(unknown));
    // Go treats a present status with code 0 as success.
    assert.ok(ok instanceof Uint8Array);
  });

  it("refuses a request over 4 MiB locally and keeps the connection usable", async (t) => {
    const { socketPath } = await startServer(t);
    const client = await connect(t, socketPath);
    await assert.rejects(
      client.invoke("ttrpc.test.Test", "Size", new Uint8Array(MAX_FRAME_BYTES)),
      isCode(Code.ResourceExhausted),
    );
    assert.equal((await createClient(TestDefinition, client).echo({ key: "ok" })).key, "ok");
  });

  it("fails only the call whose response frame is oversize", async (t) => {
    const raw = await rawServer(t);
    const client = await connect(t, raw.socketPath);
    const big = client.invoke("s.S", "Big", new Uint8Array(0));
    const small = client.invoke("s.S", "Small", new Uint8Array(0));
    const [r1, r2] = await raw.requests(2);
    r1!.socket.write(encodeFrameHeader(MAX_FRAME_BYTES + 1, 1, FrameType.Response, 0, Infinity));
    r1!.socket.write(new Uint8Array(MAX_FRAME_BYTES + 1));
    answer(r2!, { payload: keyValue("small") });
    await assert.rejects(big, isCode(Code.ResourceExhausted));
    assert.equal(KeyValue.decode(await small).key, "small");
  });

  it("close() waits for pending calls, refuses new ones and is idempotent", async (t) => {
    const raw = await rawServer(t);
    const client = await connect(t, raw.socketPath);
    const pending = client.invoke("s.S", "M", new Uint8Array(0));
    const [request] = await raw.requests(1);
    const closing = client.close();
    assert.equal(client.close(), closing);
    await assert.rejects(client.invoke("s.S", "M", new Uint8Array(0)), isCode(Code.Unavailable));
    answer(request!, { payload: keyValue("last") });
    assert.equal(KeyValue.decode(await pending).key, "last");
    await closing;
    await client.ended;
  });

  it("destroy() fails pending calls with the given reason", async (t) => {
    const raw = await rawServer(t);
    const client = await connect(t, raw.socketPath);
    const pending = client.invoke("s.S", "M", new Uint8Array(0)).catch((err: unknown) => err);
    await raw.requests(1);
    await client.destroy(new Error("going away"));
    assert.ok(isCode(Code.Unknown, "going away")(await pending));
  });

  it("typed clients apply defaults, let call options win and decode responses", async (t) => {
    const raw = await rawServer(t);
    const client = await connect(t, raw.socketPath);
    const test = createClient(TestDefinition, client, {
      service: "other.Name",
      defaults: { metadata: { a: "1" }, timeoutMs: 5000 },
    });
    const call = test.echo({ key: "typed" }, { metadata: { b: "2" } });
    const [request] = await raw.requests(1);
    assert.equal(request?.request.service, "other.Name");
    assert.equal(request?.request.method, "Echo");
    assert.deepEqual(request?.request.metadata, [{ key: "b", value: "2" }]);
    assert.equal(request?.request.timeoutNano, 5e9);
    answer(request!, { payload: request!.request.payload });
    assert.deepEqual(await call, { key: "typed", value: "" });
  });

  it("rejects with INTERNAL when a typed response does not decode", async (t) => {
    const raw = await rawServer(t);
    const test = createClient(TestDefinition, await connect(t, raw.socketPath));
    const call = test.echo({ key: "x" });
    const [request] = await raw.requests(1);
    answer(request!, { payload: new Uint8Array([0x0a, 50]) });
    await assert.rejects(call, isCode(Code.Internal));
  });
});
