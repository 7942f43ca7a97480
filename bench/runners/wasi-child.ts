// One sample of the WASI rows, in a process of its own: `node:wasi` can crash V8 when one isolate
// runs many instances (architecture.md, decision 1), and a crash must cost one sample, not the
// benchmark. Bundled to build/bench/runners/wasi-child.cjs; prints one JSON line.
//
//   wasi-child instances ours|node HELLO.wasm COUNT WARMUP
//       instantiates and runs the module COUNT times in this (warm) isolate, after WARMUP untimed
//       runs: {"usPerInstance": …}
//   wasi-child files ours|node FILES.wasm COUNT DIR
//       runs the file-heavy program once over COUNT files in DIR (preopened as /sandbox):
//       {"ms": …}
import { closeSync, openSync, readFileSync } from "node:fs";
import { WASI } from "node:wasi";
import { compileModule } from "../../engine/module-loader.js";
import type { RunRequest } from "../../engine/protocol.js";
import { ModuleRunner } from "../../engine/run-module.js";
import { createUsage } from "../../engine/usage.js";

type Host = "ours" | "node";

/** Runs an instance of the module once with `args`; returns its exit code. */
type RunOnce = (args: readonly string[]) => number;

/**
 * Ours runs exactly what a shim's worker thread runs for each container (engine/run-module.ts):
 * the module compiled as the engine compiles it, its memory reused from the previous run.
 */
async function runner(
  host: Host,
  file: string,
  stdout: number,
  preopen?: { guest: string; host: string },
): Promise<RunOnce> {
  const bytes = readFileSync(file);
  if (host === "ours") {
    const compiled = await compileModule(bytes, file);
    const moduleRunner = new ModuleRunner();
    const base: Omit<RunRequest, "args"> = {
      module: compiled.module,
      memory: compiled.memory,
      exportName: "_start",
      env: [],
      cwd: "/",
      preopens: preopen
        ? [{ guestPath: preopen.guest, hostPath: preopen.host, readOnly: false }]
        : [],
      stdin: undefined,
      stdout,
      stderr: 2,
      interrupt: new Int32Array(new SharedArrayBuffer(4)),
      usage: createUsage(),
    };
    return (args) => {
      let code = -1;
      moduleRunner.run({ ...base, args }, (result) => {
        if (result.kind !== "exit") throw new Error(`the run ended: ${JSON.stringify(result)}`);
        code = result.code;
      });
      return code;
    };
  }
  const module = new WebAssembly.Module(bytes);
  return (args) => {
    // A node:wasi object runs one instance only, so each run needs its own — as ours gets.
    const wasi = new WASI({
      version: "preview1",
      args: [...args],
      env: {},
      stdout,
      stderr: 2,
      returnOnExit: true,
      preopens: preopen ? { [preopen.guest]: preopen.host } : {},
    });
    // node:wasi's import object is typed loosely by @types/node; it is a WebAssembly.Imports.
    const imports = wasi.getImportObject() as WebAssembly.Imports;
    return wasi.start(new WebAssembly.Instance(module, imports));
  };
}

async function instances(host: Host, file: string, count: number, warmup: number) {
  const devNull = openSync("/dev/null", "w");
  const run = await runner(host, file, devNull);
  for (let i = 0; i < warmup; i++) check(run(["hello"]));
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) check(run(["hello"]));
  const elapsedNs = Number(process.hrtime.bigint() - start);
  closeSync(devNull);
  return { usPerInstance: elapsedNs / 1e3 / count };
}

async function files(host: Host, file: string, count: number, dir: string) {
  const devNull = openSync("/dev/null", "w");
  const run = await runner(host, file, devNull, { guest: "/sandbox", host: dir });
  const start = process.hrtime.bigint();
  check(run(["files", String(count), "/sandbox"]));
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  closeSync(devNull);
  return { ms };
}

function check(code: number): void {
  if (code !== 0) throw new Error(`the program exited ${code}`);
}

const [what, host, file, count, extra] = process.argv.slice(2);
if ((host !== "ours" && host !== "node") || file === undefined || extra === undefined) {
  process.stderr.write("usage: wasi-child instances|files ours|node FILE COUNT WARMUP|DIR\n");
  process.exit(2);
}
// No top-level await: the runner is bundled as CommonJS.
void (
  what === "instances"
    ? instances(host, file, Number(count), Number(extra))
    : files(host, file, Number(count), extra)
).then((result) => process.stdout.write(JSON.stringify(result) + "\n"));
