// Issue 4: crashes and restarts — a shim killed with SIGKILL, containerd restarted under running
// containers, and misbehaving containers beside a healthy sibling in one pod's shim.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startContainerd, type Containerd } from "../harness/containerd.js";
import { binDir, demoImageTar, requireBuilt } from "./fixtures.js";
import { runDetached, taskStatus, waitForStatus as waitFor } from "./ctr-tasks.js";
import { bundles, mountsUnder, shimProcesses } from "./leaks.js";
import path from "node:path";

const runtime = "io.containerd.v8.v1";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("normal-mode shims survive faults", () => {
  let c: Containerd;
  let n = 0;
  const id = (what: string) => `${what}-${++n}`;
  const detached = (cid: string, args: string[], flags: string[] = []) =>
    runDetached(c, runtime, cid, args, { flags });
  const status = (cid: string) => taskStatus(c, cid);
  const waitForStatus = (cid: string, want: string | undefined) => waitFor(c, cid, want);

  const cleanUp = async (...cids: string[]) => {
    for (const cid of cids) {
      await c.ctr(["task", "kill", "-s", "SIGKILL", cid]);
      await waitForStatus(cid, "STOPPED").catch(() => {});
      await c.ctr(["task", "rm", cid]);
      assert.equal((await c.ctr(["container", "rm", cid])).code, 0);
    }
  };
  const nothingLeft = async () => {
    for (let i = 0; i < 250 && shimProcesses(c.address).length > 0; i++) await sleep(20);
    assert.deepEqual(shimProcesses(c.address), []);
    assert.deepEqual(mountsUnder(c.dir), []);
    assert.deepEqual(bundles(path.join(c.dir, "state"), c.namespace), []);
  };

  before(async () => {
    requireBuilt();
    c = await startContainerd({ binDir });
    assert.equal((await c.ctr(["image", "import", demoImageTar])).code, 0);
  });
  after(() => c?.stop());

  it("reports 137 and cleans up when the shim is killed with SIGKILL mid-run", async () => {
    const cid = id("crash");
    const events = c.spawnCtr(["events"]);
    let seen = "";
    events.stdout!.on("data", (d: Buffer) => (seen += d.toString()));
    try {
      await detached(cid, ["daemon"]);
      const [pid] = c.shimPids();
      assert.ok(pid, "the shim runs");
      process.kill(pid, "SIGKILL");
      await waitForStatus(cid, undefined);
      for (let i = 0; i < 250 && !seen.includes(`/tasks/exit {"container_id":"${cid}"`); i++)
        await sleep(20);
      assert.match(seen, new RegExp(`/tasks/exit \\{"container_id":"${cid}".*"exit_status":137`));
      assert.equal((await c.ctr(["container", "rm", cid])).code, 0);
      await nothingLeft();
    } finally {
      events.kill();
    }
  });

  it("keeps running containers across a containerd restart, and kill still works", async () => {
    const cid = id("restart");
    await detached(cid, ["daemon"]);
    await c.restart();
    await waitForStatus(cid, "RUNNING");
    const killed = await c.ctr(["task", "kill", "-s", "SIGTERM", cid]);
    assert.equal(killed.code, 0, killed.stderr);
    await waitForStatus(cid, "STOPPED");
    assert.equal((await c.ctr(["task", "rm", cid])).code, 0);
    assert.equal((await c.ctr(["container", "rm", cid])).code, 0);
    await nothingLeft();
  });

  it("a trapping, a looping and a memory-bombing container leave their pod's sibling running", async () => {
    const pod = ["--annotation", "io.kubernetes.cri.sandbox-id=pod-faults"];
    const healthy = id("healthy");
    await detached(healthy, ["daemon"], pod);
    const trap = id("trap");
    const loop = id("loop");
    const bomb = id("bomb");
    await detached(trap, ["trap"], pod);
    await detached(loop, ["loop"], pod);
    await detached(bomb, ["alloc", "4000"], [...pod, "--memory-limit", String(64 * 2 ** 20)]);
    assert.equal(c.shimPids().length, 1, "one shim serves the whole pod");
    await waitForStatus(trap, "STOPPED");
    await waitForStatus(bomb, "STOPPED");
    await cleanUp(loop);
    await sleep(300);
    assert.equal(await status(healthy), "RUNNING");
    const metrics = await c.ctr(["task", "metrics", healthy]);
    assert.equal(metrics.code, 0, "the shim still answers for the healthy container");
    await c.ctr(["task", "rm", trap]);
    await c.ctr(["task", "rm", bomb]);
    for (const cid of [trap, bomb]) assert.equal((await c.ctr(["container", "rm", cid])).code, 0);
    await cleanUp(healthy);
    await nothingLeft();
  });
});
