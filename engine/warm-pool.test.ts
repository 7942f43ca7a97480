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

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe("WarmWorkerPool", () => {
  it("reuses the workers that come back, and ends the surplus once it sat idle", async (t) => {
    const pool = new WarmWorkerPool({ warm: 2, surplusIdleMs: 200, script: idleScript(t) });
    t.after(() => pool.close());
    pool.prewarm();
    const burst = [pool.take(), pool.take(), pool.take(), pool.take()];
    assert.equal(new Set(burst).size, 4);
    await turn(); // the pool refills to 2 idle workers
    for (const w of burst) pool.release(w);
    assert.equal(pool.idle, 6);
    // A steady stream of containers takes back a worker that just finished: no thread boot.
    const again = pool.take();
    assert.ok(burst.includes(again), "the next container reuses a returned worker");
    pool.release(again);
    // Once the burst is over, the pool shrinks back to its warm workers, ending those idle longest.
    await until(() => pool.idle === 2);
    const kept = [pool.take(), pool.take()];
    assert.ok(
      kept.every((w) => burst.includes(w)),
      "the warm ones are the most recently used",
    );
    await Promise.all(burst.filter((w) => !kept.includes(w)).map(exited));
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
