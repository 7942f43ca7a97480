// Issue 4's stress test at a small size (`make stress` runs N=1000, M=8): N containers of the
// demo, M at a time, each a full `ctr run --rm` through a private containerd — no failures, and
// afterwards no shim process, socket, mount, FIFO or bundle left. No timing is asserted.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { prepareEnvironment } from "../../bench/environment.js";
import { runStress, settleLeaks } from "../../bench/stress-driver.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const TOTAL = 40;
const CONCURRENCY = 4;

describe("stress: normal mode through containerd", () => {
  it(`runs ${TOTAL} containers ${CONCURRENCY} at a time with no failure and nothing left behind`, async (t) => {
    const workDir = mkdtempSync(path.join(tmpdir(), "stress-test-"));
    t.after(() => rmSync(workDir, { recursive: true, force: true }));
    const env = await prepareEnvironment({ workDir, only: ["normal"] });
    t.after(() => env.close());
    const setup = env.setups.find((s) => s.key === "normal");
    assert.ok(setup, "normal mode must be built");

    const result = await runStress(env.containerd, setup, {
      total: TOTAL,
      concurrency: CONCURRENCY,
      idPrefix: "stress",
    });
    assert.deepEqual(result.failures, [], "every container must print the hello and exit 0");
    assert.equal(result.latenciesMs.length, TOTAL);
    t.diagnostic(`${result.tasksPerSecond.toFixed(2)} tasks/s (informational)`);

    const leaks = await settleLeaks(env.containerd, result.ids);
    assert.deepEqual(leaks, { processes: [], sockets: [], mounts: [], bundles: [], fifos: [] });
  });
});
