import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, it } from "node:test";
import type { Worker } from "node:worker_threads";
import { WarmWorkerPool } from "./warm-pool.js";

/** A worker script that only waits. */
function idleScript(t: { after(fn: () => void): void }): URL {
  const dir = mkdtempSync(path.join(tmpdir(), "warm-pool-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, "idle.cjs");
  writeFileSync(file, 'require("node:worker_threads").parentPort.on("message", () => {});');
  return pathToFileURL(file);
}

const exited = (w: Worker) => new Promise<void>((resolve) => w.once("exit", () => resolve()));
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("WarmWorkerPool", () => {
  it("keeps its warm workers after a burst, and terminates the surplus as it comes back", async (t) => {
    const pool = new WarmWorkerPool({ warm: 2, script: idleScript(t) });
    t.after(() => pool.close());
    pool.prewarm();
    const burst = [pool.take(), pool.take(), pool.take(), pool.take()];
    assert.equal(new Set(burst).size, 4);
    await turn(); // the pool refills to 2 idle workers
    const surplus = burst.map(exited);
    for (const w of burst) pool.release(w);
    // Two idle workers were spawned by the refill, so all four from the burst are surplus.
    await Promise.all(surplus);
    const kept = [pool.take(), pool.take()];
    assert.ok(
      kept.every((w) => !burst.includes(w)),
      "the warm ones are the refill's",
    );
    for (const w of kept) pool.release(w);
  });

  it("stops refilling once closed", async (t) => {
    const pool = new WarmWorkerPool({ warm: 1, script: idleScript(t) });
    const worker = pool.take();
    const gone = exited(worker);
    await pool.close();
    await turn();
    assert.throws(() => pool.take(), /closed/);
    pool.release(worker);
    await gone;
  });
});
