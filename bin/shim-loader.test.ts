// The built shims' Node side (scripts/build.js, scripts/code-cache.js): each loader runs its
// bundle, and V8 takes the code cache made at build time — a rejected cache would cost every
// container's start the whole compile again, and nothing else would notice.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";

const binDir = path.resolve(import.meta.dirname, "../dist/bin");
const loaders = existsSync(binDir)
  ? readdirSync(binDir).filter((f) => /^containerd-shim-.*-v\d+\.cjs$/.test(f))
  : [];

/** Runs `node <script> …args` as the launcher does: no NODE_EXTRA_CA_CERTS, no NODE_OPTIONS. */
function node(args: string[]) {
  const env = { ...process.env };
  delete env["NODE_EXTRA_CA_CERTS"];
  delete env["NODE_OPTIONS"];
  return spawnSync(process.execPath, args, { env, encoding: "utf8" });
}

describe("shim loaders", { skip: loaders.length === 0 && "not built (make build)" }, () => {
  for (const loader of loaders) {
    const file = path.join(binDir, loader);

    it(`${loader} runs its bundle (-v prints the runtime)`, () => {
      const r = node([file, "-v"]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /Runtime: io\.containerd\.\w+\.v\d+/);
    });

    it(`${loader}: V8 accepts the bundle's code cache`, () => {
      // Records what the loader's vm.Script made of its cachedData, then runs the loader.
      const probe = `
        const vm = require("node:vm");
        const Script = vm.Script;
        vm.Script = class extends Script {
          constructor(source, options) {
            super(source, options);
            process.on("exit", () => process.stderr.write("cache " + this.cachedDataRejected));
          }
        };
        process.argv = [process.argv[0], ${JSON.stringify(file)}, "-v"];
        require(${JSON.stringify(file)});
      `;
      const r = node(["-e", probe]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, "cache false", "true: rejected; undefined: no cache given");
    });
  }
});
