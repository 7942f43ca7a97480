// Measures what loading the generated protobuf code (api/) plus ttrpc/ costs a fresh Node
// process, bundled the way the shims ship (esbuild, one CommonJS file): the wall time of
// `node bundle.cjs` against `node empty.cjs`, medians over interleaved runs. The figure is
// recorded in api/README.md; rerun after changing generator options or adding protos.
//
//   env -u NODE_EXTRA_CA_CERTS node --import tsx scripts/measure-api-load.ts [runs]
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { build } from "esbuild";

const runs = Number(process.argv[2] ?? 100);
const repo = path.resolve(import.meta.dirname, "..");
const dir = await mkdtemp(path.join(tmpdir(), "api-load-"));

// Touch every export so that nothing is tree-shaken away, and encode one message so the codec
// paths run at least once, as on a shim's first RPC.
const variants: Record<string, readonly string[]> = {
  "api + ttrpc": ["api", "ttrpc"],
  "api alone": ["api"],
  "ttrpc alone": ["ttrpc"],
  // Reference: what ttrpc's Node built-ins cost by themselves (net dominates, architecture.md).
  "node:net, fs": ["node:net", "node:fs/promises"],
};
const bundles: Record<string, string> = {};
for (const [name, layers] of Object.entries(variants)) {
  const slug = layers.join("-").replace(/[^a-z-]/g, "_");
  const entry = path.join(dir, `${slug}.ts`);
  await writeFile(
    entry,
    [
      ...layers.map((l, i) => {
        const from = l.startsWith("node:") ? l : path.join(repo, l, "index.ts");
        return `import * as m${i} from ${JSON.stringify(from)};`;
      }),
      `(globalThis as Record<string, unknown>).keep = [${layers.map((_, i) => `m${i}`).join(", ")}];`,
      ...(layers[0] === "api"
        ? ["m0.StateResponse.encode(m0.StateResponse.fromPartial({ id: 'x' })).finish();"]
        : []),
    ].join("\n"),
  );
  bundles[name] = path.join(dir, `${slug}.cjs`);
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    outfile: bundles[name],
    logLevel: "warning",
  });
}
const empty = path.join(dir, "empty.cjs");
await writeFile(empty, "");

// No NODE_EXTRA_CA_CERTS: it triples Node's start-up (architecture.md) and would drown the figure.
const { NODE_EXTRA_CA_CERTS: _slow, ...env } = process.env;
const timeOne = (file: string): number => {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [file], { env, stdio: "ignore" });
  if (result.status !== 0) throw new Error(`${file} failed: ${result.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
};
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};
// The minimum is the run least disturbed by other work on the machine.
const min = (values: number[]) => Math.min(...values);

// Interleaved, so that load on the machine hits every variant alike.
const files = { bare: empty, ...bundles };
const times: Record<string, number[]> = Object.fromEntries(Object.keys(files).map((k) => [k, []]));
for (const file of Object.values(files)) timeOne(file); // warm the page cache
for (let i = 0; i < runs; i++) {
  for (const [name, file] of Object.entries(files)) times[name]!.push(timeOne(file));
}
const bare = times.bare!;
console.log(
  `bare node: median ${median(bare).toFixed(1)} ms, min ${min(bare).toFixed(1)} ms (${runs} runs)`,
);
for (const [name, file] of Object.entries(bundles)) {
  const kib = ((await stat(file)).size / 1024).toFixed(0);
  const t = times[name]!;
  const byMedian = (median(t) - median(bare)).toFixed(1);
  const byMin = (min(t) - min(bare)).toFixed(1);
  console.log(
    `${name.padEnd(12)} ${kib.padStart(4)} KiB: +${byMedian} ms (median), +${byMin} ms (min)`,
  );
}
await rm(dir, { recursive: true, force: true });
