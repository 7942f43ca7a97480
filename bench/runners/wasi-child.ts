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
import { Wasi } from "../../wasi/index.js";

type Host = "ours" | "node";

/** Runs an instance of `module` once with `args`; returns its exit code. */
type RunOnce = (module: WebAssembly.Module, args: readonly string[]) => number;

function runner(host: Host, stdout: number, preopen?: { guest: string; host: string }): RunOnce {
  if (host === "ours") {
    return (module, args) => {
      const wasi = new Wasi({
        args,
        stdout,
        stderr: 2,
        preopens: preopen ? [{ guestPath: preopen.guest, hostPath: preopen.host }] : [],
      });
      return wasi.start(new WebAssembly.Instance(module, wasi.imports));
    };
  }
  return (module, args) => {
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

function instances(host: Host, file: string, count: number, warmup: number): object {
  const module = new WebAssembly.Module(readFileSync(file));
  const devNull = openSync("/dev/null", "w");
  const run = runner(host, devNull);
  for (let i = 0; i < warmup; i++) check(run(module, ["hello"]));
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) check(run(module, ["hello"]));
  const elapsedNs = Number(process.hrtime.bigint() - start);
  closeSync(devNull);
  return { usPerInstance: elapsedNs / 1e3 / count };
}

function files(host: Host, file: string, count: number, dir: string): object {
  const module = new WebAssembly.Module(readFileSync(file));
  const devNull = openSync("/dev/null", "w");
  const run = runner(host, devNull, { guest: "/sandbox", host: dir });
  const start = process.hrtime.bigint();
  check(run(module, ["files", String(count), "/sandbox"]));
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
const result =
  what === "instances"
    ? instances(host, file, Number(count), Number(extra))
    : files(host, file, Number(count), extra);
process.stdout.write(JSON.stringify(result) + "\n");
