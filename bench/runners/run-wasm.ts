// Runs a WASI command module in a fresh Node, on the main thread, with the project's WASI host and
// this process's stdio: the same engine and host the shim uses, without containerd, a shim or a
// worker around it — the floor for the shim in the compute row. Bundled to
// build/bench/runners/run-wasm.cjs.
//
//   node run-wasm.cjs MODULE.wasm [ARGS...]   exits with the module's exit code
import { readFileSync } from "node:fs";
import { Wasi } from "../../wasi/index.js";

const [file, ...args] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write("usage: run-wasm MODULE.wasm [ARGS...]\n");
  process.exit(2);
}
const module = new WebAssembly.Module(readFileSync(file));
const wasi = new Wasi({ args: [file, ...args], stdout: 1, stderr: 2 });
process.exitCode = wasi.start(new WebAssembly.Instance(module, wasi.imports));
