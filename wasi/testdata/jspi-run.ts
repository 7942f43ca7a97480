// Test support (suspend.test.ts), run in a child node with --experimental-wasm-stack-switching:
// three instances on this one thread under JSPI (Node 20's API: WebAssembly.Function with
// suspending/promising, the suspender an externref first parameter), each with a "suspend" Wasi
// and run by startAsync. Each writes its letter, sleeps (poll_oneoff), writes it in lower case;
// "C" then calls proc_exit(3). Prints {codes, out, ms} as JSON, or "no-jspi".

import { closeSync, openSync, readFileSync } from "node:fs";
import wabtInit from "wabt";
import { Wasi } from "../index.js";

type Fn = (...args: never[]) => unknown;
type WasmFunction = new (
  type: { parameters: string[]; results: string[] },
  fn: Fn,
  options: { suspending?: "first"; promising?: "first" },
) => Fn;
const WasmFunction = (WebAssembly as unknown as { Function?: WasmFunction }).Function;

const wat = `(module
  (import "wasi" "fd_write" (func $write (param externref i32 i32 i32 i32) (result i32)))
  (import "wasi" "poll_oneoff" (func $poll (param externref i32 i32 i32 i32) (result i32)))
  (import "wasi" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func $put (param $s externref) (param $ch i32)
    (i32.store8 (i32.const 300) (local.get $ch))
    (i32.store (i32.const 200) (i32.const 300))
    (i32.store (i32.const 204) (i32.const 1))
    (drop (call $write (local.get $s) (i32.const 1) (i32.const 200) (i32.const 1) (i32.const 400))))
  (func (export "run") (param $s externref) (param $ms i32) (param $ch i32)
    (call $put (local.get $s) (local.get $ch))
    (i32.store8 (i32.const 8) (i32.const 0))
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.mul (i64.extend_i32_u (local.get $ms)) (i64.const 1000000)))
    (i32.store16 (i32.const 40) (i32.const 0))
    (drop (call $poll (local.get $s) (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 500)))
    (call $put (local.get $s) (i32.add (local.get $ch) (i32.const 32)))
    (if (i32.eq (local.get $ch) (i32.const 67)) (then (call $exit (i32.const 3))))))`;

async function main(outPath: string): Promise<void> {
  if (WasmFunction === undefined) {
    process.stdout.write("no-jspi\n");
    return;
  }
  const wabt = await wabtInit();
  const parsed = wabt.parseWat("jspi.wat", wat, { reference_types: true });
  const module = new WebAssembly.Module(parsed.toBinary({}).buffer);
  parsed.destroy();
  const out = openSync(outPath, "a");
  const i32x4 = { parameters: ["externref", "i32", "i32", "i32", "i32"], results: ["i32"] };
  const runOne = (ms: number, letter: string): Promise<number> => {
    const wasi = new Wasi({ blocking: "suspend", stdout: out });
    const p1 = wasi.imports.wasi_snapshot_preview1 as Record<
      "fd_write" | "poll_oneoff" | "proc_exit",
      Fn
    >;
    const suspending = (fn: Fn) => new WasmFunction(i32x4, fn, { suspending: "first" });
    const instance = new WebAssembly.Instance(module, {
      wasi: {
        fd_write: suspending(p1.fd_write),
        poll_oneoff: suspending(p1.poll_oneoff),
        proc_exit: p1.proc_exit,
      },
    });
    const run = new WasmFunction(
      { parameters: ["i32", "i32"], results: ["externref"] },
      instance.exports["run"] as Fn,
      { promising: "first" },
    ) as unknown as (ms: number, ch: number) => Promise<unknown>;
    return wasi.startAsync(instance, () => run(ms, letter.charCodeAt(0)), "run");
  };
  const started = performance.now();
  const codes = await Promise.all([runOne(120, "A"), runOne(30, "B"), runOne(60, "C")]);
  const ms = performance.now() - started;
  closeSync(out);
  process.stdout.write(`${JSON.stringify({ codes, out: readFileSync(outPath, "utf8"), ms })}\n`);
}

await main(process.argv[2] as string);
