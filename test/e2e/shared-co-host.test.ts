// Shared mode's co-hosting, through containerd: running containers share the daemon's few worker
// threads (engine/co-host.ts), unless the operator turns it off with CONTAINERD_V8D_CO_HOST=0,
// when each gets a thread of its own. Both ways the containers run, answer Stats and stop when
// killed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startContainerd } from "../harness/containerd.js";
import { runDetached, taskStatus, waitForStatus } from "./ctr-tasks.js";
import { demoImage, demoImageTar, requireBuilt } from "./fixtures.js";
import { startV8d } from "./v8d.js";

const runtime = "io.containerd.v8d.v1";
const running = 4;

/** Starts `running` idle containers; returns how many threads the daemon gained for them. */
async function threadsFor(env: Record<string, string>): Promise<number> {
  requireBuilt();
  const v8d = await startV8d({ env });
  const c = await startContainerd(v8d.containerdOptions);
  try {
    assert.equal((await c.ctr(["image", "import", demoImageTar])).code, 0);
    const warm = await c.ctr(["run", "--rm", "--runtime", runtime, demoImage, "warm"]);
    assert.equal(warm.code, 0, warm.stderr);
    await sleep(300);
    const before = v8d.threads();
    const ids = Array.from({ length: running }, (_, i) => `idle-${i}`);
    for (const id of ids) await runDetached(c, runtime, id, ["daemon"], { context: v8d.log });
    await sleep(300);
    const gained = v8d.threads() - before;
    const metrics = await c.ctr(["task", "metrics", ids[0]!]);
    assert.equal(metrics.code, 0, metrics.stderr);
    for (const id of ids) {
      assert.equal(await taskStatus(c, id), "RUNNING");
      assert.equal((await c.ctr(["task", "kill", "-s", "SIGKILL", id])).code, 0);
      await waitForStatus(c, id, "STOPPED");
    }
    for (const id of ids) {
      const rm = await c.ctr(["task", "rm", id]);
      assert.equal(rm.code, 0, rm.stderr);
      assert.equal((await c.ctr(["container", "rm", id])).code, 0);
    }
    return gained;
  } finally {
    await v8d.stop();
    await c.stop();
  }
}

describe("shared mode co-hosts its containers", () => {
  it("runs idle containers on the threads it has, without a thread each", async () => {
    const gained = await threadsFor({});
    assert.ok(gained < running, `the daemon gained ${gained} threads for ${running} containers`);
  });

  it("gives each container a thread of its own with CONTAINERD_V8D_CO_HOST=0", async () => {
    const gained = await threadsFor({ CONTAINERD_V8D_CO_HOST: "0" });
    assert.ok(
      gained >= running - 1,
      `the daemon gained ${gained} threads for ${running} containers`,
    );
  });
});
