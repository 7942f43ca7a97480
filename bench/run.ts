// `make bench` and `make bench-quick`: every comparison of issue 8 in one invocation against one
// private containerd, a markdown table on stdout, every sample in results.json and the charts as
// SVG beside it. See bench/README.md for what each row measures and how to read it.
//
//   node --import tsx bench/run.ts [--quick] [--out DIR] [--rows a,b,c,d,e,f] [-n N] [-m M]
//                                  [--publish]   (table into bench/README.md, charts into results/)
//
// Exits 1 when a row could not be measured at all (an error, not a missed target: targets are
// reported, never asserted).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { bundleRunners } from "./bundle.js";
import type { BenchContext, RowResult } from "./context.js";
import { prepareEnvironment, repoRoot, type Environment } from "./environment.js";
import { publishResults } from "./publish.js";
import { fullParams, quickParams, type Params } from "./params.js";
import { buildPrograms } from "./programs.js";
import { holds, markdownTable, ratioOf, type Row } from "./report.js";
import { coldStart } from "./rows/cold-start.js";
import { compute } from "./rows/compute.js";
import { memory } from "./rows/memory.js";
import { throughput } from "./rows/throughput.js";
import { ttrpc } from "./rows/ttrpc.js";
import { wasi } from "./rows/wasi.js";

/** The rows in table order; `containers` says which need the private containerd. */
const ROWS = {
  a: { title: "cold start", measure: coldStart, containers: true },
  b: { title: "throughput", measure: throughput, containers: true },
  c: { title: "memory", measure: memory, containers: true },
  d: { title: "compute", measure: compute, containers: true },
  e: { title: "WASI", measure: wasi, containers: false },
  f: { title: "ttrpc", measure: ttrpc, containers: false },
} satisfies Record<
  string,
  { title: string; measure: (ctx: BenchContext) => Promise<RowResult>; containers: boolean }
>;
type RowKey = keyof typeof ROWS;

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    out: { type: "string" },
    rows: { type: "string", default: Object.keys(ROWS).join(",") },
    n: { type: "string", short: "n" },
    m: { type: "string", short: "m" },
    publish: { type: "boolean", default: false },
  },
});
const quick = values.quick;
const base = quick ? quickParams : fullParams;
const params: Params = {
  ...base,
  throughputTotal: values.n === undefined ? base.throughputTotal : Number(values.n),
  throughputConcurrency: values.m === undefined ? base.throughputConcurrency : Number(values.m),
};
const selected = values.rows.split(",").filter((k): k is RowKey => k in ROWS);
const outDir = path.resolve(
  values.out ?? path.join(repoRoot, quick ? "build/bench-quick" : "build/bench"),
);
if (values.publish && (quick || selected.length !== Object.keys(ROWS).length)) {
  // The README shows one whole full run, never a partial or quick one.
  console.error("bench: --publish needs a full run of every row (no --quick, no --rows)");
  process.exit(2);
}
const started = new Date();
const progress = (message: string) => process.stderr.write(`bench: ${message}\n`);

mkdirSync(outDir, { recursive: true });
const workDir = mkdtempSync(path.join(tmpdir(), "bench-"));
let env: Environment | undefined;
const results: Array<{ key: RowKey; result?: RowResult; error?: string; seconds: number }> = [];
try {
  progress(`${quick ? "quick" : "full"} run, rows ${selected.join(",")}, output in ${outDir}`);
  // Built afresh into this run's scratch directory (a second or two): `make test` may run while
  // someone else's `make bench` does, and neither must read the other's half-written files.
  const [runners, programs] = await Promise.all([
    bundleRunners(path.join(workDir, "runners")),
    buildPrograms(path.join(workDir, "programs")),
  ]);
  if (selected.some((k) => ROWS[k].containers)) {
    env = await prepareEnvironment({ workDir, computeWasm: programs.computeWasm });
    progress(
      `containerd ${env.containerd.address}; setups: ${env.setups.map((s) => s.key).join(", ")}`,
    );
  }
  const ctx: BenchContext = { params, env, runners, programs, workDir, progress };
  for (const key of selected) {
    const t0 = Date.now();
    progress(`row ${key}: ${ROWS[key].title}`);
    try {
      results.push({
        key,
        result: await ROWS[key].measure(ctx),
        seconds: (Date.now() - t0) / 1000,
      });
    } catch (err) {
      progress(`row ${key} failed: ${err instanceof Error ? err.stack : String(err)}`);
      results.push({ key, error: String(err), seconds: (Date.now() - t0) / 1000 });
    }
  }
} finally {
  await env?.close();
  rmSync(workDir, { recursive: true, force: true });
}

const rows: Row[] = results.flatMap(({ key, result, error }) =>
  result
    ? [...result.rows]
    : [
        {
          id: key,
          name: `${ROWS[key].title}: failed`,
          unit: "",
          ours: undefined,
          baseline: undefined,
          note: error,
        },
      ],
);
const commit = gitCommit();
const elapsedS = (Date.now() - started.getTime()) / 1000;
const json = {
  date: started.toISOString(),
  commit,
  quick,
  elapsedSeconds: elapsedS,
  machine: {
    cpus: cpus().length,
    model: cpus()[0]?.model,
    loadavgAtEnd: loadavg(),
    node: process.version,
  },
  params,
  rows: rows.map((r) => ({ ...r, ratio: ratioOf(r), holds: holds(r) })),
  samples: Object.fromEntries(
    results.map(({ key, result, seconds }) => [key, { seconds, ...result?.samples }]),
  ),
};
writeFileSync(path.join(outDir, "results.json"), JSON.stringify(json, null, 1) + "\n");
for (const { result } of results) {
  for (const [name, svg] of Object.entries(result?.charts ?? {}))
    writeFileSync(path.join(outDir, name), svg);
}
console.log(
  `runwasi-node bench (${quick ? "quick" : "full"}), ${started.toISOString()}, commit ${commit}, ` +
    `${cpus().length} CPUs, ${elapsedS.toFixed(0)} s\n`,
);
const table = markdownTable(rows);
console.log(table);
progress(`results: ${path.join(outDir, "results.json")}`);
if (values.publish) {
  publishResults(outDir, table, {
    date: started.toISOString(),
    commit,
    elapsedSeconds: elapsedS,
    machine: `${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, Node ${process.version}`,
    loadavg: loadavg(),
  });
  progress("published into bench/README.md and bench/results/");
}
process.exitCode = results.some((r) => r.error !== undefined) ? 1 : 0;

function gitCommit(): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot })
      .toString()
      .trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], {
      cwd: repoRoot,
    })
      .toString()
      .trim();
    return dirty ? `${head} (uncommitted changes)` : head;
  } catch {
    return "unknown";
  }
}
