// `make bench-quick` as a smoke check in `make test` (issue 8): every row of the benchmark must
// produce a number on both sides. No timing is asserted — a shared CI machine makes any figure
// noise; the full run (`make bench`) is for reading figures.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";

const repoRoot = path.resolve(import.meta.dirname, "..");

interface ResultRow {
  readonly id: string;
  readonly name: string;
  readonly ours?: number;
  readonly baseline?: number;
  readonly note?: string;
}

/** Runs bench/run.ts --quick into `out`; resolves with its exit code and output. */
function runQuickBench(
  out: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "bench/run.ts", "--quick", "--out", out],
      {
        cwd: repoRoot,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("make bench-quick", () => {
  it("measures every row on both sides and writes the table, results.json and the charts", async (t) => {
    const out = mkdtempSync(path.join(tmpdir(), "bench-quick-"));
    t.after(() => rmSync(out, { recursive: true, force: true }));
    const r = await runQuickBench(out);
    assert.equal(r.code, 0, `bench failed:\n${r.stderr}`);
    const results = JSON.parse(readFileSync(path.join(out, "results.json"), "utf8")) as {
      rows: ResultRow[];
    };
    const prefixes = new Set(results.rows.map((row) => row.id[0]));
    assert.deepEqual([...prefixes].sort(), ["a", "b", "c", "d", "e", "f"]);
    for (const row of results.rows) {
      // Shared mode's rows say "not built" while dist/bin lacks it.
      if (row.note?.includes("not built")) continue;
      assert.equal(typeof row.ours, "number", `${row.id} ${row.name}: ours (${row.note})`);
      assert.equal(typeof row.baseline, "number", `${row.id} ${row.name}: baseline (${row.note})`);
      assert.ok(r.stdout.includes(`| ${row.id}. `), `the table on stdout lists ${row.id}`);
      // A note (a failed task, a node:wasi crash) qualifies a figure; shown, not asserted.
      if (row.note) t.diagnostic(`${row.id}: ${row.note}`);
    }
    for (const chart of ["cold-start.svg", "throughput-latency.svg", "memory.svg"]) {
      assert.match(readFileSync(path.join(out, chart), "utf8"), /^<svg [^]*<\/svg>\n$/);
    }
  });
});
