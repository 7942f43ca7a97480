// Our ttrpc against containerd's own (Go ttrpc 1.1.1, inside containerd 1.6.20), both ways:
// (a) our client calls containerd's events service, the way a shim publishes events (§5.2);
// (b) containerd dials our server, the way it drives a shim (§3, §4), through a minimal shim.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { EventsDefinition, TaskOOM, packAny } from "../api/index.js";
import {
  Client,
  Code,
  FrameType,
  MAX_FRAME_BYTES,
  NAMESPACE_METADATA_KEY,
  Request,
  createClient,
  encodeFrame,
  encodeFrameHeader,
  isTtrpcError,
} from "../ttrpc/index.js";
import { RawPeer } from "../ttrpc/testing.js";
import { writeTinyImage } from "./fixtures/tiny-image.js";
import { startContainerd, type Containerd } from "./harness/containerd.js";

const repo = path.resolve(import.meta.dirname, "..");
const RUNTIME = "io.containerd.ttrpctest.v1";
const IMAGE = "example.com/ttrpc-interop/tiny:v1";

const isCode = (code: Code, message?: RegExp) => (err: unknown) => {
  assert.ok(isTtrpcError(err), `expected a TtrpcError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  if (message) assert.match(err.rawMessage, message);
  return true;
};

/** Polls `check` until it holds; fails with `what` after `timeoutMs`. */
async function eventually(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

let c: Containerd;
let work: string;
let trace: string;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), "ttrpc-interop-"));
  trace = path.join(work, "shim-trace.log");
  const binDir = path.join(work, "bin");
  await writeShimWrapper(binDir, trace);
  c = await startContainerd({ binDir });
});

after(async () => {
  await c?.stop();
  await rm(work, { recursive: true, force: true });
});

/**
 * containerd runs `containerd-shim-ttrpctest-v1` for the runtime io.containerd.ttrpctest.v1
 * (§3.1): a wrapper that execs the TypeScript fixture under tsx with a clean environment.
 */
async function writeShimWrapper(binDir: string, traceFile: string): Promise<void> {
  await mkdir(binDir, { recursive: true });
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const wrapper = path.join(binDir, "containerd-shim-ttrpctest-v1");
  await writeFile(
    wrapper,
    [
      "#!/bin/sh",
      "# The ttrpc interop test's shim: test/fixtures/minimal-shim.ts (see the test).",
      'exec /usr/bin/env -i PATH="$PATH" HOME="$HOME" TTRPC_ADDRESS="$TTRPC_ADDRESS" \\',
      `  MINIMAL_SHIM_TRACE=${quote(traceFile)} \\`,
      `  ${quote(process.execPath)} --import ${quote(import.meta.resolve("tsx"))} \\`,
      `  ${quote(path.join(repo, "test/fixtures/minimal-shim.ts"))} "$@"`,
      "",
    ].join("\n"),
  );
  await chmod(wrapper, 0o755);
}

describe("our ttrpc client against containerd's ttrpc server", () => {
  it("forwards a TaskOOM event that a running `ctr events` shows decoded", async (t) => {
    const events = c.spawnCtr(["events"]);
    t.after(() => events.kill());
    let seen = "";
    events.stdout!.on("data", (chunk: Buffer) => (seen += chunk.toString()));
    const client = await Client.connect(`unix://${c.ttrpcAddress}`);
    t.after(() => client.close());
    const publisher = createClient(EventsDefinition, client);
    const containerId = `oom-${randomBytes(3).toString("hex")}`;
    const line = new RegExp(` ${c.namespace} /tasks/oom \\{"container_id":"${containerId}"\\}`);

    // `ctr events` subscribes asynchronously and shows only what arrives after: forward until
    // one shows up.
    for (let attempt = 0; attempt < 100 && !line.test(seen); attempt++) {
      await publisher.forward(
        {
          envelope: {
            timestamp: new Date(),
            namespace: c.namespace,
            topic: "/tasks/oom",
            // The bare type URL (§5.2): with a type.googleapis.com/ prefix ctr could not decode it.
            event: packAny(TaskOOM, { containerId }),
          },
        },
        { timeoutMs: 5_000, metadata: { [NAMESPACE_METADATA_KEY]: c.namespace } },
      );
      await sleep(100);
    }
    assert.match(seen, line);
    assert.match(
      c.log(),
      new RegExp(
        `event forwarded.*ns=${c.namespace} topic=/tasks/oom type=containerd.events.TaskOOM`,
      ),
    );
  });

  it("gets containerd's errors as TtrpcErrors with their codes", async (t) => {
    const client = await Client.connect(c.ttrpcAddress);
    t.after(() => client.close());
    const publisher = createClient(EventsDefinition, client);
    const event = packAny(TaskOOM, { containerId: "x" });
    const empty = new Uint8Array(0);

    await assert.rejects(
      client.invoke("no.such.Service", "Forward", empty),
      isCode(Code.Unimplemented, /^service no\.such\.Service$/),
    );
    await assert.rejects(
      client.invoke(EventsDefinition.fullName, "Nope", empty),
      isCode(Code.Unimplemented, /^method Nope$/),
    );
    await assert.rejects(
      publisher.forward({ envelope: { namespace: c.namespace, topic: "/tasks/oom", event } }),
      isCode(Code.InvalidArgument, /timestamp must be set/),
    );
    await assert.rejects(
      publisher.forward({
        envelope: { timestamp: new Date(), namespace: c.namespace, topic: "tasks/oom", event },
      }),
      isCode(Code.InvalidArgument, /must start with '\/'/),
    );
  });

  it("gets 50 concurrent calls on one connection answered and matched", async (t) => {
    const client = await Client.connect(c.ttrpcAddress);
    t.after(() => client.close());
    const publisher = createClient(EventsDefinition, client);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        publisher.forward({
          envelope: {
            timestamp: new Date(),
            namespace: c.namespace,
            // Every other call is invalid, so success and failure must match their own ids.
            topic: i % 2 === 0 ? "/tasks/oom" : "bad-topic",
            event: packAny(TaskOOM, { containerId: `burst-${i}` }),
          },
        }),
      ),
    );
    results.forEach((result, i) =>
      assert.equal(result.status, i % 2 === 0 ? "fulfilled" : "rejected"),
    );
  });

  it("sees containerd treat even stream ids and oversize frames as our server does", async (t) => {
    const peer = await RawPeer.connect(t, c.ttrpcAddress);
    const request = (method: string) =>
      Request.encode(Request.fromPartial({ service: "no.such.Service", method })).finish();

    await peer.write(encodeFrame({ streamId: 2, type: FrameType.Request, payload: request("A") }));
    const even = await peer.response();
    assert.equal(even.streamId, 2);
    assert.equal(even.response.status?.code, Code.InvalidArgument);
    assert.equal(
      even.response.status?.message,
      "StreamID must be odd for client initiated streams",
    );

    const oversize = MAX_FRAME_BYTES + 1;
    await peer.write(encodeFrameHeader(oversize, 3, FrameType.Request, 0, Infinity));
    await peer.write(new Uint8Array(oversize));
    const big = await peer.response();
    assert.equal(big.streamId, 3);
    assert.equal(big.response.status?.code, Code.ResourceExhausted);

    await peer.write(encodeFrame({ streamId: 5, type: FrameType.Request, payload: request("B") }));
    const after = await peer.response();
    assert.equal(after.streamId, 5);
    assert.equal(after.response.status?.code, Code.Unimplemented);
  });
});

describe("containerd against our ttrpc server, as a shim", () => {
  it("runs `ctr run --rm` through the minimal shim, exits 7 and leaves no shim behind", async () => {
    const tar = await writeTinyImage(work, IMAGE);
    const imported = await c.ctr(["image", "import", tar]);
    assert.equal(imported.code, 0, imported.stderr);

    const id = `interop-${randomBytes(3).toString("hex")}`;
    const result = await c.ctr(["run", "--rm", "--runtime", RUNTIME, IMAGE, id]);
    assert.equal(result.code, 7, `${result.stdout}\n${result.stderr}\n${c.log()}`);

    // The daemon exits after answering Shutdown; give it the moment that takes.
    const socket = path.join(
      "/run/containerd/s",
      createHash("sha256")
        .update(path.join(c.address, c.namespace, id))
        .digest("hex"),
    );
    await eventually("the shim daemon to exit", () => c.shimPids().length === 0);
    assert.equal(existsSync(socket), false, "the shim socket is removed");

    const calls = (await readFile(trace, "utf8")).split("\n");
    for (const step of [
      "start",
      "daemon listening",
      "Create",
      "Start",
      "Wait",
      "Delete",
      "Shutdown",
      "delete",
    ]) {
      assert.ok(calls.includes(step), `the shim saw ${step}: ${calls.join(", ")}`);
    }
    assert.doesNotMatch(c.log(), /failed to clean up after shim disconnected/);
    const containers = await c.ctr(["container", "ls", "-q"]);
    assert.doesNotMatch(containers.stdout, new RegExp(id));
  });
});
