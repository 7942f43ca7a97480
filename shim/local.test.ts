import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { CreateTaskRequest, Status } from "../api/index.js";
import { Code, TtrpcError } from "../ttrpc/index.js";
import { Deferred } from "./deferred.js";
import type { EncodedEvent } from "./events.js";
import type { Instance, InstanceConfig } from "./instance.js";
import { Local } from "./local.js";
import { silentLogger } from "./log.js";
import type { ExitStatus } from "./task-state.js";

/** An instance whose workload ends when the test says, or when killed. */
class StubInstance implements Instance {
  readonly exit = new Deferred<ExitStatus>();
  readonly signals: number[] = [];
  started = false;
  deleted = false;
  async start() {
    this.started = true;
    return 4242;
  }
  async kill(signal: number) {
    this.signals.push(signal);
    this.exit.resolve({ exitStatus: 128 + signal, exitedAt: new Date() });
  }
  wait() {
    return this.exit.promise;
  }
  async delete() {
    this.deleted = true;
  }
}

function setup(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(path.join(tmpdir(), "local-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const events: { topic: string; event: EncodedEvent }[] = [];
  const instances: StubInstance[] = [];
  const configs: InstanceConfig[] = [];
  let idle = 0;
  const local = new Local({
    namespace: "ns",
    containerdAddress: "/c.sock",
    ttrpcAddress: "/c.sock.ttrpc",
    instances: (config) => {
      configs.push(config);
      const i = new StubInstance();
      instances.push(i);
      return i;
    },
    events: { publish: (topic, event) => events.push({ topic, event }) },
    log: silentLogger,
    onIdle: () => idle++,
  });
  const bundle = (
    id: string,
    spec: object = { process: { args: ["/app.wasm"] }, root: { path: "rootfs" } },
  ) => {
    const b = path.join(dir, id);
    mkdirSync(path.join(b, "rootfs"), { recursive: true });
    writeFileSync(path.join(b, "config.json"), JSON.stringify(spec));
    return b;
  };
  const create = (id: string, spec?: object) =>
    local.create(
      CreateTaskRequest.fromPartial({ id, bundle: bundle(id, spec), stdout: "/fifo/out" }),
    );
  return { local, events, instances, configs, create, idle: () => idle };
}

const topics = (events: { topic: string }[]) => events.map((e) => e.topic);
const rejectsWith = (p: Promise<unknown> | (() => unknown), code: Code) =>
  assert.rejects(
    async () => (typeof p === "function" ? p() : p),
    (err: unknown) => err instanceof TtrpcError && err.code === code,
  );

describe("Local task service", () => {
  it("runs a task through create, start, exit and delete with events in order", async (t) => {
    const s = setup(t);
    await s.create("a");
    assert.equal(s.configs[0]!.stdout, "/fifo/out");
    assert.equal(s.local.state({ id: "a", execId: "" }).status, Status.CREATED);
    const waited = s.local.wait({ id: "a", execId: "" });
    await s.local.start({ id: "a", execId: "" });
    assert.equal(s.local.state({ id: "a", execId: "" }).status, Status.RUNNING);
    assert.equal(s.local.connect({ id: "a" }).taskPid, 4242);
    s.instances[0]!.exit.resolve({ exitStatus: 3, exitedAt: new Date() });
    assert.equal((await waited).exitStatus, 3);
    const state = s.local.state({ id: "a", execId: "" });
    assert.equal(state.status, Status.STOPPED);
    assert.equal(state.exitStatus, 3);
    const deleted = await s.local.delete({ id: "a", execId: "" });
    assert.equal(deleted.exitStatus, 3);
    assert.equal(deleted.pid, 4242);
    assert.ok(s.instances[0]!.deleted);
    assert.deepEqual(topics(s.events), [
      "/tasks/create",
      "/tasks/start",
      "/tasks/exit",
      "/tasks/delete",
    ]);
    await rejectsWith(() => s.local.state({ id: "a", execId: "" }), Code.NotFound);
  });

  it("answers many waits, before and after the exit, with the same status", async (t) => {
    const s = setup(t);
    await s.create("w");
    const early = [1, 2, 3].map(() => s.local.wait({ id: "w", execId: "" }));
    await s.local.start({ id: "w", execId: "" });
    await s.local.kill({ id: "w", execId: "", signal: 9, all: false });
    const late = await s.local.wait({ id: "w", execId: "" });
    for (const w of await Promise.all(early)) assert.equal(w.exitStatus, 137);
    assert.equal(late.exitStatus, 137);
  });

  it("refuses a second create with the same id as ALREADY_EXISTS", async (t) => {
    const s = setup(t);
    await s.create("dup");
    await rejectsWith(s.create("dup"), Code.AlreadyExists);
  });

  it("refuses to start a task twice with FAILED_PRECONDITION", async (t) => {
    const s = setup(t);
    await s.create("twice");
    await s.local.start({ id: "twice", execId: "" });
    await rejectsWith(s.local.start({ id: "twice", execId: "" }), Code.FailedPrecondition);
  });

  it("refuses to delete a running task with FAILED_PRECONDITION", async (t) => {
    const s = setup(t);
    await s.create("busy");
    await s.local.start({ id: "busy", execId: "" });
    await rejectsWith(s.local.delete({ id: "busy", execId: "" }), Code.FailedPrecondition);
  });

  it("answers a kill after exit with NOT_FOUND, as containerd expects", async (t) => {
    const s = setup(t);
    await s.create("k");
    await s.local.start({ id: "k", execId: "" });
    await s.local.kill({ id: "k", execId: "", signal: 15, all: false });
    await s.local.wait({ id: "k", execId: "" });
    await rejectsWith(s.local.kill({ id: "k", execId: "", signal: 9, all: false }), Code.NotFound);
  });

  it("ends a created task that is killed before start with 128+signal", async (t) => {
    const s = setup(t);
    await s.create("early");
    await s.local.kill({ id: "early", execId: "", signal: 15, all: false });
    assert.equal((await s.local.wait({ id: "early", execId: "" })).exitStatus, 143);
    assert.equal(s.instances[0]!.started, false);
    await rejectsWith(s.local.start({ id: "early", execId: "" }), Code.FailedPrecondition);
  });

  it("answers NOT_FOUND for unknown tasks and for exec ids", async (t) => {
    const s = setup(t);
    await rejectsWith(() => s.local.state({ id: "nope", execId: "" }), Code.NotFound);
    await rejectsWith(s.local.delete({ id: "nope", execId: "" }), Code.NotFound);
    await s.create("x");
    await rejectsWith(() => s.local.state({ id: "x", execId: "exec1" }), Code.NotFound);
  });

  it("refuses a terminal with INVALID_ARGUMENT and checkpoints with UNIMPLEMENTED", async (t) => {
    const s = setup(t);
    await rejectsWith(
      s.local.create(CreateTaskRequest.fromPartial({ id: "t", terminal: true })),
      Code.InvalidArgument,
    );
    await rejectsWith(
      s.local.create(CreateTaskRequest.fromPartial({ id: "c", checkpoint: "/cp" })),
      Code.Unimplemented,
    );
  });

  it("runs a pod sandbox container as a no-op that lives until killed", async (t) => {
    const s = setup(t);
    const spec = { annotations: { "io.kubernetes.cri.container-type": "sandbox" } };
    await s.create("pause", spec);
    assert.equal(s.instances.length, 0, "the engine is not asked to run the pause image");
    await s.local.start({ id: "pause", execId: "" });
    assert.equal(s.local.state({ id: "pause", execId: "" }).pid, process.pid);
    await s.local.kill({ id: "pause", execId: "", signal: 9, all: false });
    assert.equal((await s.local.wait({ id: "pause", execId: "" })).exitStatus, 137);
  });

  it("asks to exit on shutdown only when no task is left", async (t) => {
    const s = setup(t);
    await s.create("a");
    s.local.shutdown({ id: "a", now: false });
    await new Promise((r) => setImmediate(r));
    assert.equal(s.idle(), 0);
    await s.local.delete({ id: "a", execId: "" });
    s.local.shutdown({ id: "a", now: false });
    await new Promise((r) => setImmediate(r));
    assert.equal(s.idle(), 1);
  });

  it("reports a task whose start failed as stopped, so it can be deleted", async (t) => {
    const s = setup(t);
    await s.create("bad");
    s.instances[0]!.start = async () => {
      throw new TtrpcError(Code.Internal, "no");
    };
    await rejectsWith(s.local.start({ id: "bad", execId: "" }), Code.Internal);
    assert.equal(s.local.state({ id: "bad", execId: "" }).status, Status.STOPPED);
    await s.local.delete({ id: "bad", execId: "" });
  });
});
