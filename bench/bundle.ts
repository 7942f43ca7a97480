// Bundles the child programs of bench/runners into one CommonJS file each, as scripts/build.js
// bundles the shims: a child started through tsx would spend ~300 ms compiling TypeScript, and
// the rows that time a whole process (compute wall time, load time) must see what users see.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";

const runnerDir = path.join(import.meta.dirname, "runners");

/** Paths of the bundled runners. */
export interface Runners {
  readonly wasiChild: string;
  readonly runWasm: string;
  readonly ttrpcChild: string;
  readonly loadApi: string;
  readonly empty: string;
}

/** Bundles every runner into `outDir` (fast: esbuild takes well under a second). */
export async function bundleRunners(outDir: string): Promise<Runners> {
  mkdirSync(outDir, { recursive: true });
  // The repository is "type": "module"; .cjs files are CommonJS whatever package.json says, but
  // a package.json here keeps any other file Node might look up beside them unambiguous too.
  writeFileSync(path.join(outDir, "package.json"), JSON.stringify({ type: "commonjs" }) + "\n");
  const names = {
    wasiChild: "wasi-child",
    runWasm: "run-wasm",
    ttrpcChild: "ttrpc-child",
    loadApi: "load-api",
    empty: "empty",
  } as const;
  const out = Object.fromEntries(
    Object.entries(names).map(([key, name]) => [key, path.join(outDir, `${name}.cjs`)]),
  ) as unknown as Runners;
  await Promise.all(
    Object.entries(names).map(([key, name]) =>
      build({
        entryPoints: [path.join(runnerDir, `${name}.ts`)],
        outfile: out[key as keyof Runners],
        bundle: true,
        platform: "node",
        target: "node20",
        format: "cjs",
        logLevel: "warning",
      }),
    ),
  );
  return out;
}
