// Issue 4's stress test at a small size (`make stress` runs N=1000, M=8): N containers of the
// demo, M at a time, each a full create/start/wait/delete through a private containerd — driven
// by containerd's API as in the bench, and by a `ctr run --rm` each — in normal and shared mode:
// no failures, and afterwards no shim process, socket, mount, FIFO or bundle left. No timing is
// asserted.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { prepareEnvironment } from "../../bench/environment.js";
import { runStress, settleLeaks } from "../../bench/stress-driver.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** Each case: a setup, the client that drives containerd, and how many containers. */
const cases = [
  { key: "normal", client: "api", total: 40, concurrency: 4 },
  { key: "normal", client: "ctr", total: 12, concurrency: 4 },
  { key: "shared", client: "api", total: 40, concurrency: 4 },
] as const;

for (const { key, client, total, concurrency } of cases) {
  describe(`stress: ${key} mode through containerd (${client} client)`, () => {
    it(`runs ${total} containers ${concurrency} at a time with no failure and nothing left behind`, async (t) => {
      const workDir = mkdtempSync(path.join(tmpdir(), "stress-test-"));
      t.after(() => rmSync(workDir, { recursive: true, force: true }));
      const env = await prepareEnvironment({ workDir, only: [key] });
      t.after(() => env.close());
      const setup = env.setups.find((s) => s.key === key);
      assert.ok(setup, `${key} mode must be built`);

      const result = await runStress(env.containerd, setup, {
        total,
        concurrency,
        idPrefix: `stress-${key}-${client}`,
        client,
      });
      assert.deepEqual(result.failures, [], "every container must print the hello and exit 0");
      assert.equal(result.latenciesMs.length, total);
      t.diagnostic(`${result.tasksPerSecond.toFixed(2)} tasks/s (informational)`);

      const leaks = await settleLeaks(env.containerd, result.ids);
      assert.deepEqual(leaks, { processes: [], sockets: [], mounts: [], bundles: [], fifos: [] });
    });
  });
}
