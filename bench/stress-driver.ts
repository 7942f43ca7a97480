// The stress driver of issue 4: N containers in total, M at a time, each a full
// create/start/wait/delete through containerd, and afterwards a search for anything left behind.
//
// Two clients run the containers, the same for every setup so the ratios stay fair:
// - "api" (the default): containerd's gRPC API from this process, the calls `ctr run --rm` makes
//   (test/containerd-api/run.ts). This is how Kubernetes and other daemons drive containerd; it
//   measures containerd and the runtime rather than the start of a Go client process, which
//   costs ~14 ms of CPU per container on both sides (architecture.md, decision 6) and so pulls
//   every ratio towards 1.
// - "ctr": one `ctr run --rm` process per container, the path a person at a shell takes.
import { readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ContainerdApi } from "../test/containerd-api/client.js";
import { makeTemplate, runRm } from "../test/containerd-api/run.js";
import type { Containerd } from "../test/harness/containerd.js";
import { bundles, mountsUnder, shimProcesses, shimSockets } from "../test/e2e/leaks.js";
import { helloRunArgs, type ContainerSetup } from "./setups.js";
import { msSince } from "./stats.js";

/** How the driver asks containerd for a container: its gRPC API, or a `ctr` process each. */
export type StressClient = "api" | "ctr";

/** How much to run. */
export interface StressOptions {
  /** Default "api"; see the top of this file. */
  readonly client?: StressClient;
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
  /** Set when the client itself failed (an API error, ctr's timeout or spawn error). */
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
  /** Wall time of every task (create to removal), in completion order. */
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
  const runOne = await taskRunner(c, setup, options.client ?? "api", timeoutMs);
  const lane = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const start = process.hrtime.bigint();
      const failure = await runOne.run(id);
      if (failure) failures.push(failure);
      latenciesMs.push(msSince(start));
      options.onTask?.(latenciesMs.length, failures.length);
    }
  };
  const start = process.hrtime.bigint();
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
  } finally {
    await runOne.close();
  }
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

/** Runs one hello container; resolves with what went wrong, or undefined when all went right. */
interface TaskRunner {
  run(id: string): Promise<TaskFailure | undefined>;
  close(): Promise<void>;
}

/** A runner of `setup`'s hello through `client`; the API's template is made here, untimed. */
async function taskRunner(
  c: Containerd,
  setup: ContainerSetup,
  client: StressClient,
  timeoutMs: number,
): Promise<TaskRunner> {
  if (client === "ctr") {
    return {
      run: async (id) => {
        try {
          const r = await c.ctr(["run", ...helloRunArgs(setup, id)], { timeoutMs });
          return r.code === 0 && r.stdout === setup.helloStdout ? undefined : { id, ...r };
        } catch (err) {
          return { id, code: null, stdout: "", stderr: "", error: String(err) };
        }
      },
      close: async () => {},
    };
  }
  const api = new ContainerdApi(c.address, c.namespace);
  const logDir = await mkdtemp(path.join(tmpdir(), "stress-logs-"));
  const close = async () => {
    api.close();
    await rm(logDir, { recursive: true, force: true });
  };
  try {
    const template = await makeTemplate(c, api, setup.runtimeFlags, setup.image, setup.hello);
    return {
      run: async (id) => {
        try {
          const r = await runRm(api, template, id, logDir);
          const ok = r.exitStatus === 0 && r.output === setup.helloStdout;
          return ok ? undefined : { id, code: r.exitStatus, stdout: r.output, stderr: "" };
        } catch (err) {
          return { id, code: null, stdout: "", stderr: "", error: String(err) };
        }
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
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
