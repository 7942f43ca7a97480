// The stress driver of issue 4: N containers in total, M at a time, each a full
// create/start/wait/delete through containerd, and afterwards a search for anything left behind.
//
// Each task is one `ctr run --rm`. Driving containerd's gRPC API from here would save ctr's
// process start (~14 ms of CPU per task, architecture.md decision 6), but ctr is the same client
// for every setup — so the ratios stay fair — it is what the architecture's baselines were
// measured with, and it exercises the path users take (container, snapshot, FIFOs, task
// create/start/wait/delete, container delete) with containerd's own code rather than ours.
import { readdirSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Containerd } from "../test/harness/containerd.js";
import { bundles, mountsUnder, shimProcesses, shimSockets } from "../test/e2e/leaks.js";
import { helloRunArgs, type ContainerSetup } from "./setups.js";
import { msSince } from "./stats.js";

/** How much to run. */
export interface StressOptions {
  /** Containers in total (N). */
  readonly total: number;
  /** Containers at a time (M). */
  readonly concurrency: number;
  /** Container ids are `<prefix>-<n>`; keep it unique per containerd namespace. */
  readonly idPrefix: string;
  /** A task that takes longer fails (and its ctr is killed). Default 60 s. */
  readonly taskTimeoutMs?: number;
  /** Called after each task, e.g. for a progress line. */
  readonly onTask?: (done: number, failed: number) => void;
}

/** One task that did not print the expected output or exit 0. */
export interface TaskFailure {
  readonly id: string;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when ctr itself failed (timeout, spawn error). */
  readonly error?: string;
}

/** One line naming what went wrong with a task: exit status, output seen, stderr or error. */
export function describeFailure(f: TaskFailure): string {
  const stderr = f.stderr.trim().slice(0, 300);
  return (
    `${f.id}: exit ${f.code}, stdout ${JSON.stringify(f.stdout.slice(0, 100))}` +
    (stderr ? `, stderr ${JSON.stringify(stderr)}` : "") +
    (f.error ? `, ${f.error}` : "")
  );
}

/** What a stress run did. */
export interface StressResult {
  readonly total: number;
  readonly concurrency: number;
  readonly failures: readonly TaskFailure[];
  readonly elapsedMs: number;
  readonly tasksPerSecond: number;
  /** Wall time of every task's `ctr run --rm`, in completion order. */
  readonly latenciesMs: readonly number[];
  /** Every container id used, for the leak check. */
  readonly ids: readonly string[];
}

/** Runs `options.total` hello containers of `setup`, `options.concurrency` at a time. */
export async function runStress(
  c: Containerd,
  setup: ContainerSetup,
  options: StressOptions,
): Promise<StressResult> {
  const { total, concurrency } = options;
  const timeoutMs = options.taskTimeoutMs ?? 60_000;
  const ids = Array.from({ length: total }, (_, i) => `${options.idPrefix}-${i}`);
  const failures: TaskFailure[] = [];
  const latenciesMs: number[] = [];
  let next = 0;
  const lane = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const start = process.hrtime.bigint();
      try {
        const r = await c.ctr(["run", ...helloRunArgs(setup, id)], { timeoutMs });
        if (r.code !== 0 || r.stdout !== setup.helloStdout) failures.push({ id, ...r });
      } catch (err) {
        failures.push({ id, code: null, stdout: "", stderr: "", error: String(err) });
      }
      latenciesMs.push(msSince(start));
      options.onTask?.(latenciesMs.length, failures.length);
    }
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
  const elapsedMs = msSince(start);
  return {
    total,
    concurrency,
    failures,
    elapsedMs,
    tasksPerSecond: total / (elapsedMs / 1000),
    latenciesMs,
    ids,
  };
}

/** What containers left behind, by kind; every list empty means nothing leaked. */
export interface Leaks {
  readonly processes: readonly string[];
  readonly sockets: readonly string[];
  readonly mounts: readonly string[];
  readonly bundles: readonly string[];
  readonly fifos: readonly string[];
}

/** True when `leaks` lists nothing. */
export function nothingLeaked(leaks: Leaks): boolean {
  return Object.values(leaks).every((list: readonly string[]) => list.length === 0);
}

/** What is left now of the containers `ids` of containerd `c` (test/e2e/leaks.ts). */
export function findLeaks(c: Containerd, ids: readonly string[]): Leaks {
  return {
    processes: shimProcesses(c.address),
    sockets: shimSockets(c.address, c.namespace, ids),
    mounts: mountsUnder(c.dir),
    bundles: bundles(path.join(c.dir, "state"), c.namespace),
    fifos: fifosOf(ids),
  };
}

/**
 * Waits up to `graceMs` for nothing to be left: containerd does not wait for a shim to exit after
 * Shutdown, so a shim may take a moment to go (as in test/e2e/shim-normal.test.ts). Returns what
 * is still left then.
 */
export async function settleLeaks(
  c: Containerd,
  ids: readonly string[],
  graceMs = 5_000,
): Promise<Leaks> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const leaks = findLeaks(c, ids);
    if (nothingLeaked(leaks) || Date.now() > deadline) return leaks;
    await sleep(50);
  }
}

const FIFO_ROOT = "/run/containerd/fifo";

/**
 * ctr's stdio FIFOs left for these containers. ctr makes a randomly named directory per container
 * under /run/containerd/fifo holding `<id>-stdin`, `<id>-stdout`, `<id>-stderr`. The directory is
 * shared with every other containerd client on the host (other test runs included), so FIFOs are
 * matched by our container ids rather than by comparing directory listings.
 */
export function fifosOf(ids: readonly string[]): string[] {
  const ours = new Set(ids);
  const left: string[] = [];
  for (const dir of safeReaddir(FIFO_ROOT)) {
    for (const name of safeReaddir(path.join(FIFO_ROOT, dir))) {
      const id = name.replace(/-(stdin|stdout|stderr)$/, "");
      if (ours.has(id)) left.push(path.join(FIFO_ROOT, dir, name));
    }
  }
  return left;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
