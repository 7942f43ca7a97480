import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { wat } from "./testdata/wat.js";
import { importMemory, memoryImport } from "./memory-import.js";
import { limitMemory } from "./memory-limit.js";
import { MemoryPool } from "./memory-pool.js";
import type { RunRequest, RunResult } from "./protocol.js";
import { ModuleRunner } from "./run-module.js";
import { createUsage } from "./usage.js";

/**
 * A command that reports on stdout what it finds where the previous run left something: "clean"
 * or "dirty" for the word at 1024 (which it then sets), the first byte of its data segment (which
 * it then overwrites), and its memory's size in pages (after growing by `grow` pages).
 */
const snoop = (grow: number) =>
  wat(`(module
    (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 2 8)
    (data (i32.const 16) "A")
    (func (export "_start")
      ;; out[0] = 'c' or 'd', out[1] = data byte, out[2] = '0' + pages, out[3] = newline; at 64
      (i32.store8 (i32.const 64)
        (select (i32.const 100) (i32.const 99) (i32.load (i32.const 1024))))
      (i32.store (i32.const 1024) (i32.const 0xdeadbeef))
      (i32.store8 (i32.const 65) (i32.load8_u (i32.const 16)))
      (i32.store8 (i32.const 16) (i32.const 90))
      (drop (memory.grow (i32.const ${grow})))
      (i32.store8 (i32.const 66) (i32.add (i32.const 48) (memory.size)))
      (i32.store8 (i32.const 67) (i32.const 10))
      ;; iovec at 128: {64, 4}
      (i32.store (i32.const 128) (i32.const 64))
      (i32.store (i32.const 132) (i32.const 4))
      (drop (call $fd_write (i32.const 1) (i32.const 128) (i32.const 1) (i32.const 256)))))`);

const dir = mkdtempSync(path.join(tmpdir(), "runwasi-memory-pool-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the modules one after another on one runner; returns what each printed. */
function runAll(runner: ModuleRunner, modules: readonly Uint8Array[]): string[] {
  return modules.map((bytes, i) => {
    const rewritten = importMemory(bytes);
    assert.ok(rewritten, "the module's memory becomes an import");
    const out = path.join(dir, `out-${Math.random()}-${i}`);
    const stdout = openSync(out, "w");
    const request: RunRequest = {
      module: new WebAssembly.Module(rewritten.bytes),
      memory: rewritten.shape,
      exportName: "_start",
      args: ["snoop"],
      env: [],
      cwd: "/",
      preopens: [],
      stdin: undefined,
      stdout,
      stderr: undefined,
      interrupt: new Int32Array(new SharedArrayBuffer(4)),
      usage: createUsage(),
    };
    let result: RunResult | undefined;
    runner.run(request, (r) => (result = r));
    closeSync(stdout);
    assert.deepEqual(result, { kind: "exit", code: 0 });
    return readFileSync(out, "utf8");
  });
}

describe("memory reuse between instances", () => {
  it("imports the memory the module declared, with its limits and export", async () => {
    const rewritten = importMemory(await snoop(0));
    assert.deepEqual(rewritten?.shape, { initial: 2, maximum: 8 });
    const module = new WebAssembly.Module(rewritten!.bytes);
    assert.deepEqual(
      WebAssembly.Module.imports(module).find((i) => i.kind === "memory"),
      { ...memoryImport, kind: "memory" },
    );
    assert.ok(WebAssembly.Module.exports(module).some((e) => e.name === "memory"));
  });

  it("gives the next run a memory with nothing of the previous run in it", async () => {
    const runner = new ModuleRunner();
    const module = await snoop(0);
    assert.deepEqual(runAll(runner, [module, module, module]), ["cA2\n", "cA2\n", "cA2\n"]);
  });

  it("never hands on a memory that grew (the next module would see more pages)", async () => {
    const runner = new ModuleRunner();
    assert.deepEqual(runAll(runner, [await snoop(1), await snoop(0)]), ["cA3\n", "cA2\n"]);
  });

  it("keeps a memory limit's maximum (limit, then import)", async () => {
    const limited = limitMemory(await snoop(0), 4 * 65536).bytes;
    assert.deepEqual(importMemory(limited)?.shape, { initial: 2, maximum: 4 });
    assert.deepEqual(runAll(new ModuleRunner(), [limited, limited]), ["cA2\n", "cA2\n"]);
  });

  it("leaves alone modules without a memory of their own, or with a shared one", async () => {
    assert.equal(importMemory(await wat(`(module (func (export "_start")))`)), undefined);
    assert.equal(
      importMemory(await wat(`(module (import "env" "m" (memory 1)) (func (export "_start")))`)),
      undefined,
    );
    const shared = await wat(`(module (memory 1 1 shared))`, { threads: true });
    assert.equal(importMemory(shared), undefined);
  });

  it("holds no more than its byte budget, zeroed", () => {
    const pool = new MemoryPool(3 * 65536);
    const shape = { initial: 2, maximum: undefined };
    const a = pool.take(shape);
    const b = pool.take(shape);
    new Uint8Array(a.buffer)[100] = 1;
    pool.give(a, shape);
    pool.give(b, shape); // over budget: dropped
    assert.equal(pool.bytes, 2 * 65536);
    const again = pool.take(shape);
    assert.equal(again, a);
    assert.equal(new Uint8Array(again.buffer)[100], 0);
    assert.equal(pool.bytes, 0);
  });
});
