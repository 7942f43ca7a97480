// Row d, compute: the n-body kernel (bench/programs/compute.c) through the normal-mode shim,
// through shared mode (co-hosted: the module carries a fuel counter at its loop heads,
// engine/suspension.ts), in a fresh Node directly (our WASI host, main thread: the floor for our
// engine), and compiled natively with gcc -O2 (the physical reference). The program times its
// own kernel, so the kernel rows compare code generation alone; one row compares whole runs.
import { requireEnv, setupOf, type BenchContext, type RowResult } from "../context.js";
import { runChild, runNode, failureOf } from "../child.js";
import { COMPUTE_IMAGE } from "../environment.js";
import type { Row } from "../report.js";
import { median, msSince, rotation } from "../stats.js";

type Variant = "shim" | "shared" | "node" | "native";

/** One run: the kernel's own time and the whole command's wall time. */
interface Sample {
  readonly kernelMs: number;
  readonly wallMs: number;
  readonly checksum: string;
}

/** Measures the compute kernel three ways; see README.md, row d. */
export async function compute(ctx: BenchContext): Promise<RowResult> {
  const env = requireEnv(ctx);
  const { computeSteps: steps, computeSamples: runs } = ctx.params;
  const normal = setupOf(env, "normal").setup;
  const shared = setupOf(env, "shared").setup;
  const throughCtr = async (runtimeFlags: readonly string[]): Promise<Sample> => {
    const start = process.hrtime.bigint();
    const id = `compute-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const r = await env.containerd.ctr(
      ["run", "--rm", ...runtimeFlags, COMPUTE_IMAGE, id, "/compute.wasm", String(steps)],
      { timeoutMs: 300_000 },
    );
    const wallMs = msSince(start);
    if (r.code !== 0) throw new Error(`ctr run: exit ${r.code}: ${r.stderr.trim()}`);
    return { ...parse(r.stdout), wallMs };
  };
  const run: Record<Variant, () => Promise<Sample>> = {
    shim: () => throughCtr(normal?.runtimeFlags ?? []),
    shared: () => throughCtr(shared?.runtimeFlags ?? []),
    node: async () => {
      const r = await runNode(ctx.runners.runWasm, [ctx.programs.computeWasm, String(steps)]);
      if (r.code !== 0) throw new Error(`node run-wasm: ${failureOf(r)}`);
      return { ...parse(r.stdout), wallMs: r.wallMs };
    },
    native: async () => {
      const r = await runChild(ctx.programs.computeNative, [String(steps)]);
      if (r.code !== 0) throw new Error(`native compute: ${failureOf(r)}`);
      return { ...parse(r.stdout), wallMs: r.wallMs };
    },
  };
  const variants: Variant[] = [
    ...(normal ? (["shim"] as const) : []),
    ...(shared ? (["shared"] as const) : []),
    "node",
    "native",
  ];
  const samples: Record<Variant, Sample[]> = { shim: [], shared: [], node: [], native: [] };
  const errors: string[] = [];
  for (let round = 0; round < runs; round++) {
    for (const v of rotation(variants, round)) {
      try {
        samples[v].push(await run[v]());
      } catch (err) {
        errors.push(`${v}: ${String(err)}`);
      }
    }
    ctx.progress(`compute: round ${round + 1}/${runs}`);
  }

  const kernel = (v: Variant) => orUndefined(median(samples[v].map((s) => s.kernelMs)));
  const wall = (v: Variant) => orUndefined(median(samples[v].map((s) => s.wallMs)));
  // Every variant must compute the same thing, or the comparison means nothing.
  const checksums = new Set(Object.values(samples).flatMap((list) => list.map((s) => s.checksum)));
  const note =
    errors.length > 0
      ? `${errors.length} runs failed`
      : checksums.size > 1
        ? `checksums differ: ${[...checksums].join(", ")}`
        : normal
          ? undefined
          : "normal mode not built";
  const rows: Row[] = [
    {
      id: "d1",
      name: `compute kernel (n-body, ${steps} steps): wasm through the shim vs the same wasm in Node directly`,
      unit: "ms",
      ours: kernel("shim"),
      baseline: kernel("node"),
      note,
    },
    {
      id: "d2",
      name: "compute kernel: wasm through the shim vs native gcc -O2",
      unit: "ms",
      ours: kernel("shim"),
      baseline: kernel("native"),
      note,
    },
    {
      id: "d3",
      name: "compute, whole run: `ctr run --rm` through the shim vs `node` running the module",
      unit: "ms",
      ours: wall("shim"),
      baseline: wall("node"),
      note,
    },
    {
      id: "d4",
      name: "compute kernel: wasm through shared mode (co-hosted, with fuel checks) vs the same wasm in Node directly",
      unit: "ms",
      ours: kernel("shared"),
      baseline: kernel("node"),
      note: shared ? note : "shared mode not built",
    },
  ];
  return { rows, samples: { steps, runs: samples, errors } };
}

/** compute.c prints "<checksum> <kernel ms>". */
function parse(stdout: string): { kernelMs: number; checksum: string } {
  const [checksum, ms] = stdout.trim().split(/\s+/);
  const kernelMs = Number(ms);
  if (checksum === undefined || !Number.isFinite(kernelMs)) {
    throw new Error(`unexpected output from compute: ${JSON.stringify(stdout)}`);
  }
  return { kernelMs, checksum };
}

function orUndefined(v: number): number | undefined {
  return Number.isFinite(v) ? v : undefined;
}
