// Bundles each shipped program into one CommonJS file under dist/bin: start-up time is a feature
// (architecture doc, "Shipping": unbundled ESM graphs load slowly, CJS starts ~8 ms sooner).
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { writeCodeCache, writeLoader } from "./code-cache.js";

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
/**
 * Which of containerd's calls a shim's launcher answers itself (shim/cli/launcher.c): normal-mode
 * shims spawn their own daemon at `start`; the shared-mode client asks its daemon at `start`, and
 * at `delete` only while the sandbox's socket is still there.
 */
const launcherFastPaths = {
  "containerd-shim-v8-v1": ["FAST_START", "FAST_DELETE"],
  "containerd-shim-example-v1": ["FAST_START", "FAST_DELETE"],
  // After a normal teardown the daemon has already closed the sandbox and removed its socket.
  "containerd-shim-v8d-v1": ["FAST_START_MANAGER", "FAST_DELETE", "FAST_DELETE_UNLESS_SOCKET"],
};

/**
 * V8 flags a program needs on node's command line (its shebang, through `env -S`): the shared
 * daemon co-hosts containers on JSPI stacks (engine/co-host.ts), which V8 11.3 has only behind a
 * flag that cannot be set once node runs, and collects its garbage when idle after a burst.
 */
const nodeFlags = {
  "containerd-v8d": ["--experimental-wasm-stack-switching", "--expose-gc"],
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
  // import() becomes require(): a shim's bundle runs as a vm.Script (code-cache.js), where import()
  // would need an experimental loader hook.
  supported: { "dynamic-import": false },
  inject: ["scripts/import-meta-url.js"],
  plugins: [watExternal],
};
const jobs = [];
for (const [name, entry] of Object.entries(programs)) {
  if (!existsSync(entry)) continue;
  // A shim is its launcher (answers `start` and `delete` without starting Node), the loader the
  // launcher runs (<name>.cjs) and its bundle with the bundle's V8 code cache (code-cache.js).
  const isShim = name.startsWith("containerd-shim-");
  if (isShim) {
    const loader = `dist/bin/${name}.cjs`;
    const bundle = `dist/bin/${name}.bundle.cjs`;
    jobs.push(
      // Without comments and indentation the bundle is a third smaller and pure ASCII, which V8
      // reads and checks against its cache faster (~4 ms per start); the .map keeps the layout.
      build({ ...common, entryPoints: [entry], outfile: bundle, minifyWhitespace: true }).then(
        () => {
          writeLoader(loader, path.basename(bundle));
          writeCodeCache(loader, bundle);
          compileLauncher(name);
        },
      ),
    );
    continue;
  }
  const outfile = `dist/bin/${name}`;
  const flags = nodeFlags[name] ?? [];
  const shebang =
    flags.length > 0 ? `#!/usr/bin/env -S node ${flags.join(" ")}` : "#!/usr/bin/env node";
  jobs.push(
    build({ ...common, entryPoints: [entry], outfile, banner: { js: shebang } }).then(() =>
      chmodSync(outfile, 0o755),
    ),
  );
}
for (const [name, entry] of Object.entries(workers)) {
  if (!existsSync(entry)) continue;
  jobs.push(build({ ...common, entryPoints: [entry], outfile: `dist/bin/${name}` }));
}
await Promise.all(jobs);
compileMountAddon();

/**
 * The shim's binary is a small C launcher (shim/cli/launcher.c) that answers containerd's
 * `start` and `delete` without booting Node, and runs `<binary>.cjs` for everything else.
 */
function compileLauncher(name) {
  const fastPaths = launcherFastPaths[name] ?? [];
  const sources = ["shim/cli/launcher.c", "shim/cli/sha256.c"];
  // The shared-mode start: one ttrpc call to the daemon, in C.
  if (fastPaths.includes("FAST_START_MANAGER")) sources.push("shim/shared/manager-start.c");
  const flags = fastPaths.map((path) => `-D${path}`);
  execFileSync(
    "cc",
    ["-O2", "-Wall", "-Wextra", "-Werror", ...flags, "-o", `dist/bin/${name}`, ...sources],
    {
      stdio: "inherit",
    },
  );
}

/**
 * runwasi-mount.node (shim/native/mount.c): mount(2) and umount2(2) for the shims, so a
 * container's Create and Delete need no `mount`/`umount` process (shim/rootfs.ts). Built against
 * the headers of the Node that runs this build (Debian's nodejs ships them); without them the
 * shims run util-linux's commands instead, as they do from the TypeScript sources.
 */
function compileMountAddon() {
  const include = path.resolve(path.dirname(process.execPath), "../include/node");
  if (!existsSync(path.join(include, "node_api.h"))) {
    console.warn(`no Node-API headers in ${include}: the shims will mount with util-linux's mount`);
    return;
  }
  const flags = ["-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror", `-I${include}`];
  const out = "dist/bin/runwasi-mount.node";
  execFileSync("cc", [...flags, "-o", out, "shim/native/mount.c"], { stdio: "inherit" });
}
