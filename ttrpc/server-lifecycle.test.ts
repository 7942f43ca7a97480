import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Client } from "./client.js";
import { Code } from "./code.js";
import { isTtrpcError } from "./error.js";
import { FrameType, encodeFrameHeader } from "./frame-codec.js";
import { Server } from "./server.js";
import { createClient } from "./service-client.js";
import {
  RawPeer,
  TestDefinition,
  connect,
  keyValue,
  startServer,
  tempDir,
  testImpl,
} from "./testing.js";

const unexpected: unknown[] = [];
const record = (err: unknown) => unexpected.push(err);
process.on("uncaughtException", record);
process.on("unhandledRejection", record);
after(() => {
  process.off("uncaughtException", record);
  process.off("unhandledRejection", record);
  assert.deepEqual(unexpected, [], "no uncaught exception or unhandled rejection");
});

const isCode = (code: Code) => (err: unknown) => isTtrpcError(err) && err.code === code;

/** Resolves when `socketPath` answers an Echo, proving the server still serves. */
async function stillServes(socketPath: string): Promise<void> {
  const client = await Client.connect(socketPath);
  try {
    const reply = await createClient(TestDefinition, client).echo({ key: "alive" });
    assert.equal(reply.key, "alive");
  } finally {
    await client.destroy();
  }
}

describe("Server given garbage", () => {
  it("keeps serving other connections while one sends random bytes", async (t) => {
    const { socketPath } = await startServer(t);
    for (let round = 0; round < 20; round++) {
      const peer = await RawPeer.connect(t, socketPath);
      await peer.write(randomBytes(1 + Math.floor(Math.random() * 4096)));
      peer.socket.end();
      await stillServes(socketPath);
    }
  });

  it("drops a connection that ends inside a header or a payload, and serves the next", async (t) => {
    const { socketPath } = await startServer(t);
    const cuts = [
      new Uint8Array([0, 0, 0]),
      encodeFrameHeader(100, 1, FrameType.Request),
      Buffer.concat([encodeFrameHeader(100, 1, FrameType.Request), new Uint8Array(40)]),
    ];
    for (const bytes of cuts) {
      const peer = await RawPeer.connect(t, socketPath);
      await peer.write(bytes);
      peer.socket.end();
      await peer.closed();
      await stillServes(socketPath);
    }
  });

  it("answers a 4 GiB length with RESOURCE_EXHAUSTED and keeps the connection open", async (t) => {
    const { socketPath } = await startServer(t);
    const peer = await RawPeer.connect(t, socketPath);
    await peer.write(encodeFrameHeader(0xffff_ffff, 9, FrameType.Request, 0, Infinity));
    const { streamId, response } = await peer.response();
    assert.equal(streamId, 9);
    assert.equal(response.status?.code, Code.ResourceExhausted);
    // The server is now skipping 4 GiB of this connection; others are unaffected.
    await stillServes(socketPath);
  });
});

describe("Server lifecycle", () => {
  it("serves one implementation under a second service name", async (t) => {
    const socketPath = path.join(await tempDir(t), "s.sock");
    const server = new Server()
      .register(TestDefinition, testImpl)
      .register(TestDefinition, testImpl, { name: "ttrpc.test.v2.Test" });
    await server.listen(socketPath);
    t.after(() => server.destroy());
    const client = await connect(t, socketPath);
    const v2 = createClient(TestDefinition, client, { service: "ttrpc.test.v2.Test" });
    assert.equal((await v2.echo({ key: "v2" })).key, "v2");
    assert.throws(() => server.register(TestDefinition, {}), /duplicate service ttrpc.test.Test/);
  });

  it("close() lets calls in flight finish, refuses new connections and is idempotent", async (t) => {
    let release: () => void = () => {};
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => (started = resolve));
    const { server, socketPath } = await startServer(t, {
      echo: async (req) => {
        started();
        await new Promise<void>((resolve) => (release = resolve));
        return req;
      },
    });
    const client = await connect(t, socketPath);
    const call = createClient(TestDefinition, client).echo({ key: "in flight" });
    await running;
    const closing = server.close();
    assert.equal(server.close(), closing, "every caller gets the same promise");
    await assert.rejects(Client.connect(socketPath), isCode(Code.Unavailable));
    release();
    assert.equal((await call).key, "in flight");
    await closing;
    await client.ended;
    assert.equal(existsSync(socketPath), false, "the socket path is removed");
    await assert.rejects(server.listen(socketPath), isCode(Code.Unavailable));
  });

  it("destroy() aborts handlers and fails the calls of connected clients", async (t) => {
    let reason: unknown;
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => (started = resolve));
    const { server, socketPath } = await startServer(t, {
      echo: (_req, ctx) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener("abort", () => reject((reason = ctx.signal.reason)));
          started();
        }),
    });
    const client = await connect(t, socketPath);
    const call = createClient(TestDefinition, client).echo({ key: "x" });
    await running;
    await server.destroy();
    await assert.rejects(call, isCode(Code.Unavailable));
    assert.ok(isTtrpcError(reason) && reason.code === Code.Unavailable);
    assert.equal(server.destroy(), server.destroy());
  });

  it("closes when disposed with await using", async (t) => {
    const socketPath = path.join(await tempDir(t), "s.sock");
    {
      await using server = new Server().register(TestDefinition, testImpl);
      await server.listen(socketPath);
      await stillServes(socketPath);
    }
    assert.equal(existsSync(socketPath), false);
  });

  it("stops reading requests from a peer that does not read its responses", async (t) => {
    let handled = 0;
    const { socketPath } = await startServer(t, {
      ...testImpl,
      blob: (req) => (handled++, { payload: new Uint8Array(Number(req.value)) }),
    });
    const peer = await RawPeer.connect(t, socketPath);
    peer.socket.pause();
    await peer.call(1, "Blob", keyValue("", String(3 << 20)));
    while (handled < 1) await sleep(5);
    // The first answer (3 MiB) cannot be written out: the server must not take more requests.
    await peer.call(3, "Blob", keyValue("", "1"));
    await sleep(100);
    assert.equal(handled, 1);
    peer.socket.resume();
    const ids = [(await peer.response()).streamId, (await peer.response()).streamId];
    assert.deepEqual(ids, [1, 3]);
    assert.equal(handled, 2);
  });

  it("serves a listening socket handed over as an inherited fd", async (t) => {
    // A parent binds the socket, passes it on as fd 3 and exits (shim-protocol.md §3.4, as the
    // shim's `start` does); the child serves fd 3 and the test dials the path.
    const socketPath = path.join(await tempDir(t), "handed.sock");
    const serve = [
      'import { Server } from "./ttrpc/server.ts";',
      'import { TestDefinition, testImpl } from "./ttrpc/testing.ts";',
      "await new Server().register(TestDefinition, testImpl).listen({ fd: 3 });",
      'process.stdout.write("ready\\n");',
    ].join("\n");
    const bind = [
      'const { spawn } = require("node:child_process");',
      'const listener = require("node:net").createServer({ pauseOnConnect: true });',
      "listener.listen(process.argv[1], () => {",
      "  const args = ['--import', 'tsx', '--input-type=module', '-e', process.argv[2]];",
      "  const stdio = ['ignore', 'inherit', 'inherit', listener._handle.fd];",
      "  process.stdout.write(spawn(process.execPath, args, { stdio }).pid + '\\n');",
      "  process.exit(0);",
      "});",
    ].join("\n");
    // Without NODE_EXTRA_CA_CERTS: it makes every Node start 3x slower (architecture.md).
    const { NODE_EXTRA_CA_CERTS: _slow, ...env } = process.env;
    const parent = spawn(process.execPath, ["-e", bind, socketPath, serve], {
      cwd: path.resolve(import.meta.dirname, ".."),
      stdio: ["ignore", "pipe", "inherit"],
      env,
    });
    let out = "";
    await new Promise<void>((resolve) =>
      parent.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("ready\n")) resolve();
      }),
    );
    const childPid = Number(out.split("\n")[0]);
    t.after(() => process.kill(childPid, "SIGKILL"));
    await stillServes(socketPath);
  });
});
