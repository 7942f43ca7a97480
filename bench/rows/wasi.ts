// Row e, WASI: our host (wasi/) against node:wasi, each sample a fresh child process
// (runners/wasi-child.ts) because node:wasi may crash V8 under repeated instantiation
// (architecture.md, decision 1) — a crash is recorded as a failed sample, not a failed bench.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { failureOf, runNode } from "../child.js";
import type { BenchContext, RowResult } from "../context.js";
import type { Row } from "../report.js";
import { median, rotation } from "../stats.js";

type Host = "ours" | "node";

/**
 * Where the file-heavy program works: a tmpfs, so that the figure is the hosts' own cost. On
 * this machine's ext4 the same run's time varies 2x from one sample to the next (CPU time too,
 * both hosts alike), which buries the difference between the hosts; tmpfs also leaves the kernel's
 * share smaller, which makes the ratio harsher on the slower host, not kinder.
 */
const TMPFS = "/dev/shm";
const HOSTS: readonly Host[] = ["ours", "node"];

/** Per host: the figure of each successful sample, and why the others failed. */
type Tally = Record<Host, { values: number[]; failures: string[] }>;

const emptyTally = (): Tally => ({
  ours: { values: [], failures: [] },
  node: { values: [], failures: [] },
});

/** Measures hello instance cost and a file-heavy program; see README.md, row e. */
export async function wasi(ctx: BenchContext): Promise<RowResult> {
  const p = ctx.params;
  const instances = emptyTally();
  for (let round = 0; round < p.wasiInstanceSamples; round++) {
    for (const host of rotation(HOSTS, round)) {
      const r = await runNode(ctx.runners.wasiChild, [
        "instances",
        host,
        ctx.programs.helloWasm,
        String(p.wasiInstances),
        String(Math.min(50, p.wasiInstances)),
      ]);
      record(
        instances[host],
        r.code === 0 ? JSON.parse(r.stdout).usPerInstance : undefined,
        failureOf(r),
      );
    }
    ctx.progress(`wasi: hello round ${round + 1}/${p.wasiInstanceSamples}`);
  }

  const files = emptyTally();
  const filesBase = existsSync(TMPFS) ? TMPFS : ctx.workDir;
  for (let round = 0; round < p.wasiFileSamples; round++) {
    for (const host of rotation(HOSTS, round)) {
      const dir = mkdtempSync(path.join(filesBase, "runwasi-bench-files-"));
      try {
        const r = await runNode(ctx.runners.wasiChild, [
          "files",
          host,
          ctx.programs.filesWasm,
          String(p.wasiFiles),
          dir,
        ]);
        record(files[host], r.code === 0 ? JSON.parse(r.stdout).ms : undefined, failureOf(r));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    ctx.progress(`wasi: files round ${round + 1}/${p.wasiFileSamples}`);
  }

  const rows: Row[] = [
    row(
      "e1",
      "WASI hello, instantiate + run in a warm isolate: our wasi/ vs node:wasi",
      "µs",
      instances,
      {
        kind: "maxRatio",
        value: 0.25,
        source: "issue 5",
      },
    ),
    row(
      "e2",
      `WASI file-heavy (${p.wasiFiles} files: create, write, read, stat, readdir, unlink): our wasi/ vs node:wasi`,
      "ms",
      files,
      { kind: "maxRatio", value: 1.5, source: "issue 5" },
    ),
  ];
  return {
    rows,
    samples: {
      helloInstancesPerSample: p.wasiInstances,
      helloUsPerInstance: instances,
      files: p.wasiFiles,
      filesMs: files,
    },
  };
}

function record(
  tally: { values: number[]; failures: string[] },
  value: number | undefined,
  why: string,
): void {
  if (value === undefined) tally.failures.push(why);
  else tally.values.push(value);
}

function row(id: string, name: string, unit: string, tally: Tally, target: Row["target"]): Row {
  const failed = (h: Host) => tally[h].failures.length;
  const notes = HOSTS.filter((h) => failed(h) > 0).map(
    (h) =>
      `${h === "ours" ? "ours" : "node:wasi"} failed ${failed(h)}/${failed(h) + tally[h].values.length}`,
  );
  const value = (h: Host) => (tally[h].values.length > 0 ? median(tally[h].values) : undefined);
  return {
    id,
    name,
    unit,
    ours: value("ours"),
    baseline: value("node"),
    target,
    note: notes.length > 0 ? notes.join(", ") : undefined,
  };
}
