// Row c, memory: K idle containers of a setup at once, then the PSS of every process that exists
// because of them, divided by K. Those processes are the shims serving this containerd (ours;
// runc's containerd-shim-runc-v2) and everything below them (runc's container processes), plus,
// in shared mode, how much the daemon grew since before the containers. Every setup runs at
// `memoryCounts` (10 and 100); shared mode also at `memorySharedOnlyCounts` (500), which the
// setups with a process per container cannot reach on the reference machine.
import { setTimeout as sleep } from "node:timers/promises";
import type { Containerd } from "../../test/harness/containerd.js";
import { requireEnv, setupOf, type BenchContext, type RowResult } from "../context.js";
import { processTrees, pssKiB, threadCount, treePssKiB } from "../pss.js";
import { setupNames, type ContainerSetup, type SetupKey } from "../setups.js";
import { median, rotation } from "../stats.js";
import { logLineChart } from "../svg.js";
import { comparisonRow, type Comparison, type Figure } from "./compare.js";

/** Containers started (and removed) at a time. */
const START_CONCURRENCY = 4;
/** PSS readings per measurement, a little apart; their median is the figure. */
const READINGS = 3;
/** ctr accepts many ids per `task rm` / `container rm`; this many per call. */
const IDS_PER_CALL = 25;
/** The shared daemon is settled once its thread count held this long (at most the max)… */
const DAEMON_STEADY_MS = 3000;
/** …and its PSS moved no more than this meanwhile. */
const DAEMON_STEADY_PSS_KIB = 512;
const DAEMON_SETTLE_MAX_MS = 60_000;

/** Rows per count; the id gets the count appended ("c1-10"). */
const comparisons: readonly Comparison[] = [
  { id: "c1", ours: "normal", baseline: "runc" },
  {
    id: "c2",
    ours: "shared",
    baseline: "runc",
    target: { kind: "maxValue", value: 5, source: "issue 6" },
  },
];

/** One measurement: `count` idle containers of a setup. */
interface Measurement {
  readonly count: number;
  /** PSS of the setup's processes, KiB, each reading. */
  readonly readingsKiB: number[];
  /** How many processes the last reading summed (shims, their children, the daemon). */
  readonly processes: number;
  /** Subtracted before dividing: the shared daemon's PSS before the containers started. */
  readonly baseKiB: number;
  /**
   * The shared daemon's threads before and with the containers: one worker thread per container
   * costs ~7 MiB of V8 heap each (engine/README.md, "Memory"), so this says where the PSS went.
   */
  readonly daemonThreads?: { readonly before: number; readonly with: number };
  readonly perContainerMiB: number;
  readonly error?: string;
}

/** Measures PSS per idle container for every runnable setup; see README.md, row c. */
export async function memory(ctx: BenchContext): Promise<RowResult> {
  const env = requireEnv(ctx);
  const c = env.containerd;
  const everySetup = new Set(ctx.params.memoryCounts);
  const counts = [...new Set([...everySetup, ...ctx.params.memorySharedOnlyCounts])].sort(
    (a, b) => a - b,
  );
  const runsAt = (key: SetupKey, count: number) => everySetup.has(count) || key === "shared";
  const results = new Map<SetupKey, Measurement[]>(env.setups.map((s) => [s.key, []]));
  let batch = 0;
  for (const [i, count] of counts.entries()) {
    for (const s of rotation(env.setups, i)) {
      if (!runsAt(s.key, count)) continue;
      const daemonPid = s.key === "shared" ? env.sharedDaemon?.pid : undefined;
      const m = await measure(
        c,
        s,
        count,
        `mem-${s.key}-${batch++}`,
        daemonPid,
        ctx.params.memorySettleMs,
      );
      results.get(s.key)!.push(m);
      const threads = m.daemonThreads
        ? ` (daemon threads ${m.daemonThreads.before} -> ${m.daemonThreads.with})`
        : "";
      ctx.progress(
        `memory: ${count} × ${s.key}: ${m.error ?? `${m.perContainerMiB.toFixed(1)} MiB per container${threads}`}`,
      );
    }
  }

  const figure =
    (count: number) =>
    (key: SetupKey): Figure => {
      const { setup, reason } = setupOf(env, key);
      if (!setup) return { note: reason };
      const m = results.get(key)!.find((r) => r.count === count);
      if (!m) return { note: `not run at ${count}: a process or more per container` };
      return m.error ? { note: m.error } : { value: m.perContainerMiB };
    };
  // Above the every-setup counts only the rows about shared mode are printed.
  const rows = counts.flatMap((count) =>
    comparisons
      .filter((c) => runsAt(c.ours, count))
      .map((c) =>
        comparisonRow(
          { ...c, id: `${c.id}-${count}` },
          `PSS per idle container, ${count} running: ${setupNames[c.ours]} vs ${setupNames[c.baseline]}`,
          "MiB",
          figure(count),
        ),
      ),
  );
  const chart = logLineChart(
    "Memory per idle container (PSS) against containers running",
    "containers running (log scale)",
    "MiB per container",
    env.setups.map((s) => ({
      label: setupNames[s.key],
      points: results
        .get(s.key)!
        .filter((m) => m.error === undefined)
        .map((m): [number, number] => [m.count, m.perContainerMiB]),
    })),
  );
  return {
    rows,
    samples: { counts, setups: Object.fromEntries(results) },
    charts: { "memory.svg": chart },
  };
}

async function measure(
  c: Containerd,
  setup: ContainerSetup,
  count: number,
  prefix: string,
  daemonPid: number | undefined,
  settleMs: number,
): Promise<Measurement> {
  const roots = () => [...c.shimPids(), ...(daemonPid === undefined ? [] : [daemonPid])];
  if (daemonPid !== undefined) await daemonSettled(daemonPid);
  const baseKiB = daemonPid === undefined ? 0 : treePssKiB([daemonPid]);
  const threadsBefore = daemonPid === undefined ? 0 : threadCount(daemonPid);
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  try {
    await startIdle(c, setup, ids);
    await sleep(settleMs);
    const readingsKiB: number[] = [];
    let processes = 0;
    for (let i = 0; i < READINGS; i++) {
      if (i > 0) await sleep(200);
      const pids = processTrees(roots());
      processes = pids.length;
      readingsKiB.push(pids.reduce((total, pid) => total + pssKiB(pid), 0));
    }
    const perContainerMiB = (median(readingsKiB) - baseKiB) / count / 1024;
    const daemonThreads =
      daemonPid === undefined ? undefined : { before: threadsBefore, with: threadCount(daemonPid) };
    return { count, readingsKiB, processes, baseKiB, perContainerMiB, daemonThreads };
  } catch (err) {
    const error = String(err);
    return { count, readingsKiB: [], processes: 0, baseKiB, perContainerMiB: Number.NaN, error };
  } finally {
    await removeAll(c, ids);
  }
}

/**
 * Waits until the shared daemon is at rest: its thread count and its PSS steady for
 * DAEMON_STEADY_MS. After the previous measurement's containers its pool may keep their workers
 * idle a while before ending them, and its co-hosting threads are replaced by fresh ones once
 * idle for 2 s (engine/co-host.ts; same count, less memory): a base read before either would let
 * the next containers reuse the workers and look free, or the replacement make them look
 * negative.
 */
async function daemonSettled(pid: number): Promise<void> {
  const deadline = Date.now() + DAEMON_SETTLE_MAX_MS;
  let threads = threadCount(pid);
  let pss = treePssKiB([pid]);
  let steadySince = Date.now();
  while (Date.now() - steadySince < DAEMON_STEADY_MS && Date.now() < deadline) {
    await sleep(250);
    const [nowThreads, nowPss] = [threadCount(pid), treePssKiB([pid])];
    if (nowThreads !== threads || Math.abs(nowPss - pss) > DAEMON_STEADY_PSS_KIB) {
      [threads, pss, steadySince] = [nowThreads, nowPss, Date.now()];
    }
  }
}

/** `ctr run -d` of every id, a few at a time; stdio to /dev/null so nothing fills a FIFO. */
async function startIdle(
  c: Containerd,
  setup: ContainerSetup,
  ids: readonly string[],
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const r = await c.ctr([
        "run",
        "-d",
        "--null-io",
        ...setup.runtimeFlags,
        setup.image,
        id,
        ...setup.idle,
      ]);
      if (r.code !== 0) throw new Error(`ctr run -d ${id}: exit ${r.code}: ${r.stderr.trim()}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(START_CONCURRENCY, ids.length) }, lane));
}

/** Kills and deletes the tasks and containers, then waits (≤ 20 s) for their shims to exit. */
async function removeAll(c: Containerd, ids: readonly string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += IDS_PER_CALL) {
    const chunk = ids.slice(i, i + IDS_PER_CALL);
    // Errors are expected for ids that never started; what matters is that nothing is left.
    await c.ctr(["task", "rm", "-f", ...chunk], { timeoutMs: 120_000 });
    await c.ctr(["container", "rm", ...chunk], { timeoutMs: 120_000 });
  }
  const deadline = Date.now() + 20_000;
  while (c.shimPids().length > 0 && Date.now() < deadline) await sleep(100);
}
