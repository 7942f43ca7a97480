// Row a, cold start: the wall time of `ctr run --rm` of a hello, one container at a time, each
// setup in turn (rotated every round so none always goes first), medians of the timed runs.
import { requireEnv, setupOf, type BenchContext, type RowResult } from "../context.js";
import { helloRunArgs, setupNames, type SetupKey } from "../setups.js";
import { median, msSince, rotation } from "../stats.js";
import { describeFailure } from "../stress-driver.js";
import { comparisonRow, type Comparison, type Figure } from "./compare.js";
import { distributionChart } from "../svg.js";

/** Which figure each row compares, and the target its issue sets. */
const comparisons: readonly Comparison[] = [
  {
    id: "a1",
    ours: "normal",
    baseline: "runc",
    target: { kind: "maxRatio", value: 1, source: "issue 3" },
  },
  { id: "a2", ours: "normal", baseline: "node-runc" },
  {
    id: "a3",
    ours: "shared",
    baseline: "runc",
    target: { kind: "maxRatio", value: 0.5, source: "issue 6" },
  },
  { id: "a4", ours: "shared", baseline: "node-runc" },
];

/** Measures the cold start of every runnable setup; see README.md, row a. */
export async function coldStart(ctx: BenchContext): Promise<RowResult> {
  const env = requireEnv(ctx);
  const c = env.containerd;
  const { coldStartRuns: runs, coldStartWarmups: warmups } = ctx.params;
  const samples: Partial<Record<SetupKey, number[]>> = {};
  const failures: Partial<Record<SetupKey, string[]>> = {};
  for (const s of env.setups) {
    samples[s.key] = [];
    failures[s.key] = [];
  }
  let n = 0;
  for (let round = 0; round < warmups + runs; round++) {
    for (const s of rotation(env.setups, round)) {
      const id = `cold-${s.key}-${n++}`;
      const start = process.hrtime.bigint();
      const r = await c.ctr(["run", ...helloRunArgs(s, id)]);
      const ms = msSince(start);
      if (r.code !== 0 || r.stdout !== s.helloStdout) {
        failures[s.key]!.push(describeFailure({ id, ...r }));
      } else if (round >= warmups) samples[s.key]!.push(ms);
    }
    if (round >= warmups) ctx.progress(`cold start: round ${round - warmups + 1}/${runs}`);
  }

  const figure = (key: SetupKey): Figure => {
    const { setup, reason } = setupOf(env, key);
    if (!setup) return { note: reason };
    const values = samples[key]!;
    const failed = failures[key]!.length;
    if (values.length === 0) return { note: `all ${failed} runs failed` };
    return { value: median(values), note: failed > 0 ? `${failed} runs failed` : undefined };
  };
  const rows = comparisons.map((c) =>
    comparisonRow(
      c,
      `cold start \`ctr run --rm\`: ${setupNames[c.ours]} vs ${setupNames[c.baseline]}`,
      "ms",
      figure,
    ),
  );
  const chart = distributionChart(
    "Cold start: ctr run --rm of a hello, one at a time",
    "milliseconds (box: middle half, bar: median)",
    env.setups.map((s) => ({ label: setupNames[s.key], values: samples[s.key]! })),
  );
  return {
    rows,
    samples: { runs, warmups, ms: samples, failures },
    charts: { "cold-start.svg": chart },
  };
}
