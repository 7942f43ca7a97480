import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { wat } from "./testdata/wat.js";
import { Wasi } from "../wasi/index.js";
import { MemoryLimitError, limitMemory, oomGlobalName } from "./memory-limit.js";

const wasmtest = path.resolve(import.meta.dirname, "../build/wasm/wasmtest.wasm");
const mib = 2 ** 20;

const grower = (memory: string) =>
  wat(`(module (memory (export "memory") ${memory})
    (global $g (mut i32) (i32.const 7))
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
    (func (export "size") (result i32) (memory.size))
    (func (export "other") (result i32) (global.get $g)))`);

function instantiate(bytes: Uint8Array) {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  return instance.exports as Record<string, unknown> & {
    grow(pages: number): number;
    size(): number;
    other(): number;
  };
}

describe("memory limit", () => {
  it("lets a module grow up to the limit", async () => {
    const { bytes, stopsOnOom } = limitMemory(await grower("1"), 4 * 65536);
    assert.equal(stopsOnOom, true);
    const e = instantiate(bytes);
    assert.equal(e.grow(3), 1);
    assert.equal(e.size(), 4);
    assert.equal(e.other(), 7, "existing globals keep their index");
  });

  it("stops a module that grows past the limit, flagging it as out of memory", async () => {
    const e = instantiate(limitMemory(await grower("1"), 4 * 65536).bytes);
    assert.throws(() => e.grow(4), WebAssembly.RuntimeError);
    assert.equal((e[oomGlobalName] as WebAssembly.Global).value, 1);
  });

  it("keeps a module's own smaller maximum", async () => {
    const e = instantiate(limitMemory(await grower("1 2"), 64 * 65536).bytes);
    assert.throws(() => e.grow(2), WebAssembly.RuntimeError);
  });

  it("refuses a module that needs more than the limit at start", async () => {
    assert.throws(() => limitMemory(Buffer.from([]), 0), /not a wasm module/);
    const big = await grower("10");
    assert.throws(() => limitMemory(big, 2 * 65536), MemoryLimitError);
    assert.throws(() => limitMemory(big, 2 * 65536), /needs 0\.6 MiB of memory at start/);
  });

  it("caps a real wasi-libc program: small allocations work, a large one is stopped", () => {
    const { bytes } = limitMemory(readFileSync(wasmtest), 16 * mib);
    const module = new WebAssembly.Module(bytes);
    const run = (args: string[]) => {
      const wasi = new Wasi({ args: ["wasmtest", ...args] });
      const instance = new WebAssembly.Instance(module, wasi.imports);
      try {
        return { code: wasi.start(instance), oom: 0 };
      } catch (err) {
        const flag = (instance.exports[oomGlobalName] as WebAssembly.Global).value as number;
        return { code: -1, oom: flag, err };
      }
    };
    assert.deepEqual(run(["alloc", "4"]), { code: 0, oom: 0 });
    const over = run(["alloc", "64"]);
    assert.equal(over.oom, 1);
    assert.ok(over.err instanceof WebAssembly.RuntimeError);
  });
});
