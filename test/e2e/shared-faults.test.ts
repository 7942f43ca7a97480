// Issue 6 acceptance: shared mode under faults, through a private containerd and a private
// containerd-v8d — misbehaving sandboxes beside healthy ones, the daemon killed with SIGKILL or
// stopped with SIGTERM while containers run, the daemon restarted, and no daemon at all.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { startContainerd, type Containerd } from "../harness/containerd.js";
import { demoImage, demoImageTar, requireBuilt } from "./fixtures.js";
import { runDetached, taskStatus, waitForStatus as waitFor } from "./ctr-tasks.js";
import { bundles, mountsUnder, shimProcesses, shimSockets } from "./leaks.js";
import { startV8d, type V8d } from "./v8d.js";

const runtime = "io.containerd.v8d.v1";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("containerd-v8d under faults", () => {
  let v8d: V8d;
  let c: Containerd;
  const ids: string[] = [];
  let n = 0;
  const id = (what: string) => {
    const v = `${what}-${++n}`;
    ids.push(v);
    return v;
  };
  const detached = (cid: string, args: string[], flags: string[] = []) =>
    runDetached(c, runtime, cid, args, { flags, context: () => v8d.log() });
  const hello = async () => {
    const r = await c.ctr(["run", "--rm", "--runtime", runtime, demoImage, id("hello")]);
    assert.equal(r.stdout, "Hello from wasm!\n", r.stderr);
    assert.equal(r.code, 0);
  };
  const status = (cid: string) => taskStatus(c, cid);
  const waitForStatus = (cid: string, want: string | undefined) => waitFor(c, cid, want);
  /** Collects `ctr events` until stopped; `exitOf(cid)` waits for that container's exit status. */
  const watchEvents = () => {
    const events = c.spawnCtr(["events"]);
    let seen = "";
    events.stdout!.on("data", (d: Buffer) => (seen += d.toString()));
    return {
      exitOf: async (cid: string): Promise<number> => {
        const exit = new RegExp(
          `/tasks/exit \\{"container_id":"${cid}"[^\\n]*"exit_status":(\\d+)`,
        );
        for (let i = 0; i < 500 && !exit.test(seen); i++) await sleep(20);
        const m = exit.exec(seen);
        assert.ok(m, `no exit event for ${cid}:\n${seen}`);
        return Number(m[1]);
      },
      stop: () => events.kill(),
    };
  };
  const removeContainers = async (...cids: string[]) => {
    for (const cid of cids) {
      await c.ctr(["task", "rm", "-f", cid]);
      const r = await c.ctr(["container", "rm", cid]);
      assert.equal(r.code, 0, `${cid}: ${r.stderr}`);
    }
  };
  const nothingLeft = async () => {
    for (let i = 0; i < 250 && shimProcesses(c.address).length > 0; i++) await sleep(20);
    assert.deepEqual(shimProcesses(c.address), [], "no thin shim may be left running");
    assert.deepEqual(shimSockets(c.address, c.namespace, ids), [], "no sandbox socket may be left");
    assert.deepEqual(mountsUnder(c.dir), [], "no rootfs may stay mounted");
    assert.deepEqual(bundles(path.join(c.dir, "state"), c.namespace), [], "no bundle may be left");
  };

  before(async () => {
    requireBuilt();
    // A small default limit, so the bomb without a limit of its own meets it quickly.
    v8d = await startV8d({ args: ["--default-memory-limit", "128"] });
    c = await startContainerd(v8d.containerdOptions);
    assert.equal((await c.ctr(["image", "import", demoImageTar])).code, 0);
  });
  after(async () => {
    await v8d?.stop();
    await c?.stop();
  });

  it("a trapping, a looping and a memory-bombing sandbox leave the others and the daemon alone", async () => {
    const events = watchEvents();
    try {
      const pod = ["--annotation", "io.kubernetes.cri.sandbox-id=pod-faults"];
      const alone = id("healthy");
      const sibling = id("sibling");
      await detached(alone, ["daemon"]);
      await detached(sibling, ["daemon"], pod);
      const trap = id("trap");
      const loop = id("loop");
      const bomb = id("bomb");
      const limited = id("bomb-limited");
      await detached(trap, ["trap"], pod);
      await detached(loop, ["loop"]);
      await detached(bomb, ["alloc", "1000"]);
      await detached(limited, ["alloc", "1000"], ["--memory-limit", String(64 * 2 ** 20)]);
      assert.equal(await events.exitOf(trap), 134, "a trap ends its container with 134");
      assert.equal(await events.exitOf(bomb), 137, "the daemon's default limit OOM-kills a bomb");
      assert.equal(await events.exitOf(limited), 137, "so does the container's own limit");
      // While one sandbox spins a core, new containers still start and run.
      await hello();
      assert.equal(await status(loop), "RUNNING");
      assert.equal((await c.ctr(["task", "kill", "-s", "SIGKILL", loop])).code, 0);
      assert.equal(await events.exitOf(loop), 137);
      await sleep(200);
      assert.equal(await status(alone), "RUNNING");
      assert.equal(await status(sibling), "RUNNING", "the trap's pod sibling runs on");
      for (const cid of [alone, sibling]) {
        assert.equal((await c.ctr(["task", "kill", cid])).code, 0);
        assert.equal(await events.exitOf(cid), 143);
      }
      await removeContainers(alone, sibling, trap, loop, bomb, limited);
      await nothingLeft();
      assert.deepEqual(v8d.sandboxes(), []);
    } finally {
      events.stop();
    }
  });

  it("reports every container exited (137) when the daemon is killed with SIGKILL, and works again once restarted", async () => {
    const events = watchEvents();
    try {
      const running = [id("crash"), id("crash"), id("crash")];
      for (const cid of running) await detached(cid, ["daemon"]);
      const podded = id("crash-pod");
      await detached(
        podded,
        ["daemon"],
        ["--annotation", "io.kubernetes.cri.sandbox-id=pod-crash"],
      );
      running.push(podded);
      await v8d.kill("SIGKILL");
      // containerd sees each sandbox connection close and runs the thin shim's `delete`.
      for (const cid of running) {
        assert.equal(await events.exitOf(cid), 137, `${cid} is reported killed`);
        await waitForStatus(cid, undefined);
      }
      await removeContainers(...running);
      await nothingLeft();
      await v8d.restart();
      assert.deepEqual(v8d.sandboxes(), [], "the new daemon swept the dead one's notes");
      await hello();
      await nothingLeft();
    } finally {
      events.stop();
    }
  });

  it("stops running containers on SIGTERM and reports their exits, then works again once restarted", async () => {
    const events = watchEvents();
    try {
      const running = [id("term"), id("term")];
      for (const cid of running) await detached(cid, ["daemon"]);
      const started = Date.now();
      await v8d.kill("SIGTERM");
      assert.ok(Date.now() - started < 5_000, "the daemon stops promptly");
      for (const cid of running) {
        assert.equal(await events.exitOf(cid), 143, `${cid} is stopped with SIGTERM`);
        await waitForStatus(cid, undefined);
      }
      await removeContainers(...running);
      await nothingLeft();
      await v8d.restart();
      await hello();
    } finally {
      events.stop();
    }
  });

  it("keeps containers running across a containerd restart: containerd dials the sandbox again", async () => {
    const cid = id("survivor");
    await detached(cid, ["daemon"]);
    await c.restart();
    const after = watchEvents();
    try {
      await waitForStatus(cid, "RUNNING");
      assert.equal((await c.ctr(["task", "kill", cid])).code, 0);
      assert.equal(await after.exitOf(cid), 143, "events reach the restarted containerd");
      await waitForStatus(cid, "STOPPED");
      await removeContainers(cid);
      await nothingLeft();
      assert.deepEqual(v8d.sandboxes(), []);
    } finally {
      after.stop();
    }
  });

  it("fails ctr run with a clear error when the daemon is not running, and leaves nothing", async () => {
    await v8d.kill("SIGKILL");
    const cid = id("nodaemon");
    const r = await c.ctr(["run", "--rm", "--runtime", runtime, demoImage, cid]);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /containerd-v8d is not running at \S+manager\.sock \(E\w+\): start it with `systemctl start containerd-v8d`/,
    );
    await c.ctr(["container", "rm", cid]);
    await nothingLeft();
    await v8d.restart();
    await hello();
  });
});
