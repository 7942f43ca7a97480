// Row b, throughput: the stress driver (N hello containers, M at a time, each run as `ctr run --rm`
// would, through containerd's API) for every setup. The N tasks of a setup are split into rounds
// and the setups take turns round by round, so a busy stretch of the machine falls on all of
// them; tasks/s = tasks ÷ summed time.
import { requireEnv, setupOf, type BenchContext, type RowResult } from "../context.js";
import { setupNames, type SetupKey } from "../setups.js";
import { rotation, sum } from "../stats.js";
import { describeFailure, runStress } from "../stress-driver.js";
import { distributionChart } from "../svg.js";
import { comparisonRow, type Comparison, type Figure } from "./compare.js";

const comparisons: readonly Comparison[] = [
  {
    id: "b1",
    ours: "normal",
    baseline: "runc",
    target: { kind: "minRatio", value: 2, source: "issue 4" },
  },
  { id: "b2", ours: "normal", baseline: "node-runc" },
  {
    id: "b3",
    ours: "shared",
    baseline: "runc",
    target: { kind: "minRatio", value: 4, source: "issue 6" },
  },
];

interface Tally {
  tasks: number;
  elapsedMs: number;
  readonly roundRates: number[];
  readonly latenciesMs: number[];
  readonly failures: string[];
}

/** Measures tasks/s of every runnable setup; see README.md, row b. */
export async function throughput(ctx: BenchContext): Promise<RowResult> {
  const env = requireEnv(ctx);
  const { throughputTotal: total, throughputConcurrency: concurrency } = ctx.params;
  const rounds = Math.min(ctx.params.throughputRounds, total);
  const tallies = new Map<SetupKey, Tally>(
    env.setups.map((s) => [
      s.key,
      { tasks: 0, elapsedMs: 0, roundRates: [], latenciesMs: [], failures: [] },
    ]),
  );
  for (let round = 0; round < rounds; round++) {
    // Round sizes differ by at most one task and add up to `total`.
    const size = Math.floor((total * (round + 1)) / rounds) - Math.floor((total * round) / rounds);
    for (const s of rotation(env.setups, round)) {
      const r = await runStress(env.containerd, s, {
        total: size,
        concurrency,
        idPrefix: `tp-${s.key}-${round}`,
      });
      const t = tallies.get(s.key)!;
      t.tasks += r.total;
      t.elapsedMs += r.elapsedMs;
      t.roundRates.push(r.tasksPerSecond);
      t.latenciesMs.push(...r.latenciesMs);
      t.failures.push(...r.failures.map(describeFailure));
      ctx.progress(
        `throughput: round ${round + 1}/${rounds}, ${s.key}: ${r.tasksPerSecond.toFixed(2)} tasks/s`,
      );
    }
  }

  const figure = (key: SetupKey): Figure => {
    const { setup, reason } = setupOf(env, key);
    if (!setup) return { note: reason };
    const t = tallies.get(key)!;
    const failed = t.failures.length;
    return {
      value: t.tasks / (t.elapsedMs / 1000),
      note: failed > 0 ? `${failed} of ${t.tasks} tasks failed` : undefined,
    };
  };
  const rows = comparisons.map((c) =>
    comparisonRow(
      c,
      `throughput N=${total} M=${concurrency}: ${setupNames[c.ours]} vs ${setupNames[c.baseline]}`,
      "tasks/s",
      figure,
    ),
  );
  const chart = distributionChart(
    `Under load: ctr run --rm wall time, ${concurrency} at a time`,
    "milliseconds (box: middle half, bar: median)",
    env.setups.map((s) => ({ label: setupNames[s.key], values: tallies.get(s.key)!.latenciesMs })),
  );
  return {
    rows,
    samples: {
      total,
      concurrency,
      rounds,
      setups: Object.fromEntries(
        [...tallies].map(([key, t]) => [
          key,
          {
            tasks: t.tasks,
            elapsedMs: t.elapsedMs,
            tasksPerSecond: t.tasks / (t.elapsedMs / 1000),
            roundTasksPerSecond: t.roundRates,
            failures: t.failures,
            latencyMs: t.latenciesMs,
            meanLatencyMs: sum(t.latenciesMs) / Math.max(1, t.latenciesMs.length),
          },
        ]),
      ),
    },
    charts: { "throughput-latency.svg": chart },
  };
}
