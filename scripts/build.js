// Bundles each shipped program into one CommonJS file under dist/bin: start-up time is a feature
// (architecture doc, "Shipping": unbundled ESM graphs load slowly, CJS starts ~8 ms sooner).
import { build } from "esbuild";
import { chmodSync, existsSync, mkdirSync } from "node:fs";

/** dist/bin/<name> ← source. Programs get a shebang and the executable bit. */
const programs = {
  "containerd-shim-v8-v1": "bin/containerd-shim-v8-v1.ts",
  runwasi: "bin/runwasi.ts",
};
/** Worker entry points, loaded by a program from beside itself. */
const workers = {
  "v8-worker.cjs": "engine/worker-main.ts",
};

mkdirSync("dist/bin", { recursive: true });
const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  sourcemap: "linked",
  logLevel: "warning",
  // import.meta.url has no meaning in CJS; bundles locate siblings through __filename instead.
  define: { "import.meta.url": "__importMetaUrl" },
  inject: ["scripts/import-meta-url.js"],
};
const jobs = [];
for (const [name, entry] of Object.entries(programs)) {
  if (!existsSync(entry)) continue;
  jobs.push(
    build({ ...common, entryPoints: [entry], outfile: `dist/bin/${name}`, banner: { js: "#!/usr/bin/env node" } }).then(
      () => chmodSync(`dist/bin/${name}`, 0o755),
    ),
  );
}
for (const [name, entry] of Object.entries(workers)) {
  if (!existsSync(entry)) continue;
  jobs.push(build({ ...common, entryPoints: [entry], outfile: `dist/bin/${name}` }));
}
await Promise.all(jobs);
