// Bundles each shipped program into one CommonJS file under dist/bin: start-up time is a feature
// (architecture doc, "Shipping": unbundled ESM graphs load slowly, CJS starts ~8 ms sooner).
import { build } from "esbuild";
import { chmodSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";

/** dist/bin/<name> ← source. Programs get a shebang and the executable bit. */
const programs = {
  "containerd-shim-v8-v1": "bin/containerd-shim-v8-v1.ts",
  runwasi: "bin/runwasi.ts",
  // Shared mode: the daemon (a plain program) and its thin shim (a launcher + bundle, as above).
  "containerd-v8d": "bin/containerd-v8d.ts",
  "containerd-shim-v8d-v1": "bin/containerd-shim-v8d-v1.ts",
  // The host-builder example, built so the tests can run it through containerd.
  "containerd-shim-example-v1": "examples/custom-host/containerd-shim-example-v1.ts",
};
/** Worker entry points, loaded by a program from beside itself. */
const workers = {
  "v8-worker.cjs": "engine/worker-main.ts",
  // The WAT assembler is large (wabt) and rarely needed: its own file, loaded on first use.
  "wat.cjs": "engine/wat.ts",
};

/** Keeps `import("./wat.js")` a runtime load of the sibling wat.cjs instead of inlining wabt. */
const watExternal = {
  name: "wat-external",
  setup(b) {
    b.onResolve({ filter: /^\.\/wat\.js$/ }, () => ({ path: "./wat.cjs", external: true }));
  },
};

mkdirSync("dist/bin", { recursive: true });
// The programs have no extension, so Node takes their module type from the nearest package.json:
// without this one, the repository's `"type": "module"` would make it load them as ESM.
writeFileSync("dist/package.json", JSON.stringify({ type: "commonjs" }) + "\n");
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
  plugins: [watExternal],
};
const jobs = [];
for (const [name, entry] of Object.entries(programs)) {
  if (!existsSync(entry)) continue;
  // A shim is its launcher (answers the common `delete` without starting Node) plus its bundle.
  const isShim = name.startsWith("containerd-shim-");
  const outfile = isShim ? `dist/bin/${name}.cjs` : `dist/bin/${name}`;
  jobs.push(
    build({ ...common, entryPoints: [entry], outfile, banner: { js: "#!/usr/bin/env node" } }).then(
      () => {
        chmodSync(outfile, 0o755);
        if (isShim) {
          copyFileSync("shim/cli/launcher.sh", `dist/bin/${name}`);
          chmodSync(`dist/bin/${name}`, 0o755);
        }
      },
    ),
  );
}
for (const [name, entry] of Object.entries(workers)) {
  if (!existsSync(entry)) continue;
  jobs.push(build({ ...common, entryPoints: [entry], outfile: `dist/bin/${name}` }));
}
await Promise.all(jobs);
