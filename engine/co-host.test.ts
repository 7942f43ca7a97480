import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { SUSPENDING_FUNCTIONS } from "../wasi/index.js";
import { waitingCallParams } from "./waiting-calls.js";

const root = path.resolve(import.meta.dirname, "..");
const child = path.join(import.meta.dirname, "testdata/co-host-child.ts");

/** Runs a scenario of testdata/co-host-child.ts in a node with JSPI on; its JSON report. */
async function scenario(name: string): Promise<Record<string, unknown>> {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS; // makes node several times slower to start
  delete env.NODE_OPTIONS; // node:test's own, for this process
  const args = ["--experimental-wasm-stack-switching", "--import", "tsx", child, name];
  const { stdout } = await promisify(execFile)(process.execPath, args, {
    cwd: root,
    env,
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
}

describe("co-hosting: many runs on one thread", () => {
  it("runs 50 sleeping modules on one thread at once, and stops each", async () => {
    const r = await scenario("many");
    assert.deepEqual(r["load"], [50], "all 50 on the one thread");
    assert.deepEqual(r["results"], Array(50).fill("interrupted"));
  });

  it("lets a sleeping run finish beside a spinning one, then stops the spinner; the thread goes on", async () => {
    const r = await scenario("spin");
    assert.deepEqual(r["napped"], { result: { kind: "exit", code: 3 }, output: "awake\n" });
    assert.deepEqual(r["loadWhileSpinning"], [1], "the spinner was still running");
    assert.ok((r["cpuMs"] as number) > 0, "the spinner's CPU is counted");
    assert.deepEqual(r["spun"], { kind: "interrupted" });
    assert.deepEqual(r["again"], { result: { kind: "exit", code: 0 }, output: "again\n" });
    assert.deepEqual(r["load"], [0], "the same thread, not a new one");
  });

  it("terminates a thread that a stopped run keeps from turning, and goes on with a new one", async () => {
    const r = await scenario("stuck");
    const stopped = { kind: "error", message: "the thread it shared with others stopped" };
    // The stuck run itself ends either way (its container reports the kill's status): with the
    // thread, or, when its read returns before the termination lands, by itself.
    assert.ok(r["stuck"], "the stuck run ended");
    assert.deepEqual(r["nap"], stopped, "its sibling ends with the thread");
    assert.equal(r["stuckRuns"], 2, "told how many runs the stuck thread took with it");
    assert.deepEqual(r["again"], { result: { kind: "exit", code: 0 }, output: "again\n" });
  });

  it("replaces idle threads after a burst, says the engine is idle, and runs on", async () => {
    const r = await scenario("idle");
    assert.deepEqual(r["results"], Array(6).fill("exit"));
    assert.equal(r["callsRightAfter"], 0, "not idle while a burst has just ended");
    assert.ok((r["idleCalls"] as number) >= 1, "told once its threads were replaced");
    assert.deepEqual(r["again"], { result: { kind: "exit", code: 0 }, output: "again\n" });
  });

  it("keeps a trap to its own run", async () => {
    const r = await scenario("trap");
    assert.equal((r["trapped"] as { kind: string }).kind, "trap");
    assert.deepEqual(r["napped"], { result: { kind: "exit", code: 0 }, output: "fine\n" });
  });

  it("wraps exactly the WASI calls that may wait", () => {
    assert.deepEqual(Object.keys(waitingCallParams).sort(), [...SUSPENDING_FUNCTIONS].sort());
  });
});
