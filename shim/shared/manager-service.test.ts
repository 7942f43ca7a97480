import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import {
  EventsDefinition,
  ManagerDefinition,
  TaskDefinition,
  type Envelope,
} from "../../api/index.js";
import { Client, Code, createClient, Server } from "../../ttrpc/index.js";
import { Deferred } from "../deferred.js";
import type { Instance } from "../instance.js";
import { silentLogger } from "../log.js";
import type { ExitStatus } from "../task-state.js";
import { ManagerService, registerManagerService } from "./manager-service.js";
import { SocketRecords } from "./socket-records.js";

/** A workload that runs until killed. */
class StubInstance implements Instance {
  readonly exit = new Deferred<ExitStatus>();
  readonly signals: number[] = [];
  async start() {
    return 4242;
  }
  async kill(signal: number) {
    this.signals.push(signal);
    this.exit.resolve({ exitStatus: 128 + signal, exitedAt: new Date() });
  }
  wait() {
    return this.exit.promise;
  }
  async delete() {}
}

/**
 * A manager over stub instances, with sandbox sockets in a temp dir, a fake containerd events
 * service collecting what each sandbox publishes, and helpers to make bundles.
 */
async function setup(t: { after(fn: () => Promise<void> | void): void }) {
  const dir = mkdtempSync(path.join(tmpdir(), "manager-test-"));
  const containerd = path.join(dir, "containerd.sock");
  const events: Envelope[] = [];
  const eventsServer = new Server().register(EventsDefinition, {
    forward: (req) => {
      if (req.envelope) events.push(req.envelope);
      return {};
    },
  });
  await eventsServer.listen(`${containerd}.ttrpc`);
  const instances: StubInstance[] = [];
  const records = new SocketRecords(path.join(dir, "records"));
  const manager = new ManagerService({
    instances: () => {
      const i = new StubInstance();
      instances.push(i);
      return i;
    },
    log: silentLogger,
    records,
    socketPathOf: (_address, namespace, group) => path.join(dir, "s", `${namespace}-${group}`),
  });
  t.after(async () => {
    await manager.stop(100);
    await eventsServer.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const bundle = (id: string, annotations: Record<string, string> = {}) => {
    const b = path.join(dir, "bundles", id);
    mkdirSync(path.join(b, "rootfs"), { recursive: true });
    writeFileSync(
      path.join(b, "config.json"),
      JSON.stringify({ process: { args: ["/app.wasm"] }, root: { path: "rootfs" }, annotations }),
    );
    return b;
  };
  const where = { namespace: "ns", containerdAddress: containerd, ttrpcAddress: "" };
  const create = (id: string, annotations?: Record<string, string>) =>
    manager.create({ ...where, id, workingDirectory: bundle(id, annotations) });
  /** containerd's side of a sandbox: a task client on its socket. */
  const dial = async (socketPath: string) => {
    const client = await Client.connect(socketPath);
    t.after(() => client.close());
    const task = createClient(TaskDefinition, client, { service: "containerd.task.v2.Task" });
    return { client, task };
  };
  const recorded = () => readdirSync(path.join(dir, "records"));
  return { dir, manager, instances, events, bundle, where, create, dial, recorded };
}

describe("ManagerService", () => {
  it("opens one sandbox per group: a pod's containers share it, others get their own", async (t) => {
    const { create, manager, where } = await setup(t);
    const pod = { "io.kubernetes.cri.sandbox-id": "pod1" };
    const a = await create("pod1", pod);
    const b = await create("app1", pod);
    const c = await create("alone");
    assert.equal(a.socketPath, b.socketPath);
    assert.notEqual(a.socketPath, c.socketPath);
    assert.equal(manager.size, 2);
    assert.deepEqual(await manager.connect({ ...where, id: "pod1" }), a);
    await assert.rejects(manager.connect({ ...where, id: "nope" }), { code: Code.NotFound });
  });

  it("refuses a create without the fields it needs", async (t) => {
    const { manager, where, bundle } = await setup(t);
    await assert.rejects(manager.create({ ...where, id: "", workingDirectory: bundle("x") }), {
      code: Code.InvalidArgument,
      message: /id is empty/,
    });
    await assert.rejects(manager.create({ ...where, id: "x", workingDirectory: "rel/dir" }), {
      code: Code.InvalidArgument,
      message: /not an absolute path/,
    });
  });

  it("serves the task service on the sandbox socket and publishes its events to the containerd that asked", async (t) => {
    const { create, dial, events, bundle, recorded } = await setup(t);
    const { socketPath } = await create("c1");
    assert.equal(recorded().length, 1, "the socket is noted for a later daemon");
    const { task } = await dial(socketPath);
    await task.create({ id: "c1", bundle: bundle("c1") });
    await task.start({ id: "c1" });
    await task.kill({ id: "c1", signal: 15 });
    assert.equal((await task.wait({ id: "c1" })).exitStatus, 143);
    await task.delete({ id: "c1" });
    await task.shutdown({ id: "c1" });
    for (let i = 0; i < 100 && existsSync(socketPath); i++) await sleep(10);
    assert.equal(existsSync(socketPath), false, "a shutdown with no task left closes the sandbox");
    assert.deepEqual(recorded(), []);
    for (let i = 0; i < 100 && events.length < 4; i++) await sleep(10);
    assert.deepEqual(
      events.map((e) => [e.namespace, e.topic]),
      ["/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"].map((t) => ["ns", t]),
    );
  });

  it("delete ends and removes a task containerd lost, answering its exit; nothing to do is fine", async (t) => {
    const { create, dial, bundle, manager, where, instances } = await setup(t);
    const { socketPath } = await create("c2");
    const { task, client } = await dial(socketPath);
    await task.create({ id: "c2", bundle: bundle("c2") });
    await task.start({ id: "c2" });
    await client.close();
    const removed = await manager.delete({ ...where, id: "c2" });
    assert.equal(removed.found, true);
    assert.equal(removed.exitStatus, 137);
    assert.deepEqual(instances[0]!.signals, [9]);
    for (let i = 0; i < 100 && manager.size > 0; i++) await sleep(10);
    assert.equal(manager.size, 0, "the empty sandbox closed once containerd's connection went");
    assert.equal((await manager.delete({ ...where, id: "c2" })).found, false);
  });

  it("a probe that connects and leaves does not close a sandbox whose task is yet to come", async (t) => {
    const { create, dial, bundle } = await setup(t);
    const { socketPath } = await create("c3");
    const probe = await dial(socketPath);
    await probe.client.close();
    await sleep(50);
    const { task } = await dial(socketPath);
    await task.create({ id: "c3", bundle: bundle("c3") });
  });

  it("stop ends every running task with SIGTERM, removes the sockets and refuses new sandboxes", async (t) => {
    const { create, dial, bundle, manager, instances, events } = await setup(t);
    const sockets = [];
    for (const id of ["s1", "s2"]) {
      const { socketPath } = await create(id);
      const { task } = await dial(socketPath);
      await task.create({ id, bundle: bundle(id) });
      await task.start({ id });
      sockets.push(socketPath);
    }
    await manager.stop(1_000);
    assert.deepEqual(
      instances.map((i) => i.signals),
      [[15], [15]],
    );
    assert.deepEqual(
      sockets.filter((s) => existsSync(s)),
      [],
    );
    assert.equal(events.filter((e) => e.topic === "/tasks/exit").length, 2, "exits published");
    await assert.rejects(create("late"), { code: Code.Unavailable });
  });

  it("answers over ttrpc through registerManagerService", async (t) => {
    const { manager, dir, where, bundle } = await setup(t);
    const server = new Server();
    registerManagerService(server, manager);
    const socket = path.join(dir, "manager.sock");
    await server.listen(socket);
    t.after(() => server.close());
    const client = await Client.connect(socket);
    t.after(() => client.close());
    const remote = createClient(ManagerDefinition, client);
    const { socketPath } = await remote.create({
      ...where,
      id: "r1",
      workingDirectory: bundle("r1"),
    });
    assert.equal((await remote.connect({ ...where, id: "r1" })).socketPath, socketPath);
    assert.equal((await remote.delete({ ...where, id: "r1" })).found, false);
  });
});

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}
