// Bundles the child programs of bench/runners into one CommonJS file each, as scripts/build.js
// bundles the shims: a child started through tsx would spend ~300 ms compiling TypeScript, and
// the rows that time a whole process (compute wall time, load time) must see what users see.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build, type BuildOptions } from "esbuild";
import { writeCodeCache, writeLoader } from "../scripts/code-cache.js";

const runnerDir = path.join(import.meta.dirname, "runners");

/** Paths of the bundled runners. */
export interface Runners {
  readonly wasiChild: string;
  readonly runWasm: string;
  readonly ttrpcChild: string;
  readonly loadApi: string;
  readonly empty: string;
}

/**
 * The runners whose start-up is the figure (row f3): shipped exactly as the shims are — a loader
 * running a whitespace-minified bundle with the V8 code cache made at build time
 * (scripts/code-cache.js) — so the row measures what a shim's start pays.
 */
const shippedLikeAShim = new Set<keyof Runners>(["loadApi", "empty"]);

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
    Object.entries(names).map(async ([key, name]) => {
      const outfile = out[key as keyof Runners];
      const options: BuildOptions = {
        entryPoints: [path.join(runnerDir, `${name}.ts`)],
        bundle: true,
        platform: "node",
        target: "node20",
        format: "cjs",
        logLevel: "warning",
      };
      if (!shippedLikeAShim.has(key as keyof Runners)) {
        await build({ ...options, outfile });
        return;
      }
      const bundle = path.join(outDir, `${name}.bundle.cjs`);
      await build({ ...options, outfile: bundle, minifyWhitespace: true });
      writeLoader(outfile, path.basename(bundle));
      writeCodeCache(outfile, bundle);
    }),
  );
  return out;
}
