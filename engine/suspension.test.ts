import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { promisify } from "node:util";
import { wat } from "./testdata/wat.js";
import { limitMemory } from "./memory-limit.js";
import {
  SuspensionError,
  defaultFuel,
  makeSuspendable,
  suspendingStartExport,
  yieldImport,
} from "./suspension.js";

const root = path.resolve(import.meta.dirname, "..");
const child = path.join(import.meta.dirname, "testdata/suspension-child.ts");

/** Runs one case of testdata/suspension-child.ts in a node with JSPI on; its JSON report. */
async function inJspiNode(name: string, arg?: string): Promise<Record<string, unknown>> {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS; // makes node several times slower to start
  delete env.NODE_OPTIONS; // node:test's own, for this process
  const args = ["--experimental-wasm-stack-switching", "--import", "tsx", child, name];
  const { stdout } = await promisify(execFile)(process.execPath, arg ? [...args, arg] : args, {
    cwd: root,
    env,
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
}

const options = { exportName: "_start", suspending: () => true, fuel: 1000 };
const simple = `(module
  (import "env" "get" (func $get (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (drop (call $get (i32.const 1)))))`;

describe("makeSuspendable: the module it writes", () => {
  it("adds the suspender, the yield import and the start export, and keeps the originals", async () => {
    const { bytes, suspendingImports } = makeSuspendable(await wat(simple), options);
    assert.deepEqual(suspendingImports, ["env/get"]);
    const module = new WebAssembly.Module(bytes);
    assert.deepEqual(
      WebAssembly.Module.imports(module).map((i) => `${i.module}/${i.name}`),
      ["env/get", `${yieldImport.module}/${yieldImport.name}`],
    );
    assert.deepEqual(
      WebAssembly.Module.exports(module).map((e) => e.name),
      ["memory", "_start", suspendingStartExport],
    );
  });

  it("leaves the imports the predicate does not pick as they were", async () => {
    const source = `(module
      (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
      (import "env" "now" (func (result i32)))
      (func (export "_start")))`;
    const picked = makeSuspendable(await wat(source), {
      ...options,
      suspending: (m, n) => m === "wasi_snapshot_preview1" && n === "fd_write",
    });
    assert.deepEqual(picked.suspendingImports, ["wasi_snapshot_preview1/fd_write"]);
    // env.now is still (;) -> i32: a plain JS function satisfies it, a 0-result one would too.
    const instance = new WebAssembly.Instance(new WebAssembly.Module(picked.bytes), {
      wasi_snapshot_preview1: { fd_write: () => 0 },
      env: { now: () => 1 },
      runwasi: { yield: () => {} },
    });
    assert.equal(typeof instance.exports[suspendingStartExport], "function");
  });

  it("composes with limitMemory in either order", async () => {
    const source = await wat(`(module (memory 1)
      (func (export "_start") (drop (memory.grow (i32.const 1)))))`);
    const first = makeSuspendable(limitMemory(source, 4 * 65536).bytes, options).bytes;
    const second = limitMemory(makeSuspendable(source, options).bytes, 4 * 65536);
    assert.ok(WebAssembly.validate(first));
    assert.ok(WebAssembly.validate(second.bytes));
    assert.equal(second.stopsOnOom, true);
  });

  it("has a default fuel", () => {
    assert.ok(Number.isInteger(defaultFuel) && defaultFuel > 0);
  });
});

describe("makeSuspendable: what it refuses", () => {
  it("bytes that are not a module", () => {
    assert.throws(() => makeSuspendable(Buffer.from("hello"), options), SuspensionError);
    assert.throws(() => makeSuspendable(Buffer.from("hello"), options), /not a wasm module/);
  });

  it("a module that imports a shared memory", async () => {
    const bytes = await wat(
      `(module (import "env" "memory" (memory 1 1 shared)) (func (export "_start")))`,
      { threads: true },
    );
    assert.throws(() => makeSuspendable(bytes, options), /imports a shared memory/);
  });

  it("a module that waits on an atomic", async () => {
    const bytes = await wat(
      `(module (memory 1 1 shared) (func (export "_start")
        (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))))`,
      { threads: true },
    );
    assert.throws(() => makeSuspendable(bytes, options), /memory\.atomic\.wait/);
  });

  it("an entry that is missing, or not [] -> []", async () => {
    const bytes = await wat(`(module (func (export "_start") (param i32)))`);
    assert.throws(() => makeSuspendable(bytes, options), /must take no parameters/);
    assert.throws(
      () => makeSuspendable(bytes, { ...options, exportName: "main" }),
      /exports no function "main"/,
    );
  });

  it("a module already made suspendable", async () => {
    const once = makeSuspendable(await wat(simple), options).bytes;
    assert.throws(() => makeSuspendable(once, options), /already imports from "runwasi"/);
  });

  it("an instruction the walker does not know (call_ref, typed function references)", () => {
    // prettier-ignore
    const bytes = Uint8Array.from([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      0x01, 0x04, 0x01, 0x60, 0x00, 0x00, //                          type () -> ()
      0x03, 0x02, 0x01, 0x00, //                                      one function
      0x07, 0x0a, 0x01, 0x06, ...Buffer.from("_start"), 0x00, 0x00, // export "_start"
      0x0a, 0x07, 0x01, 0x05, 0x00, 0x14, 0x00, 0x00, 0x0b, //        call_ref 0 ...
    ]);
    assert.throws(() => makeSuspendable(bytes, options), SuspensionError);
    assert.throws(() => makeSuspendable(bytes, options), /unknown opcode 0x14/);
  });

  it("a fuel that is not a positive int32", async () => {
    const bytes = await wat(simple);
    for (const fuel of [0, -1, 1.5, 2 ** 31]) {
      assert.throws(() => makeSuspendable(bytes, { ...options, fuel }), RangeError);
    }
  });
});

describe("JSPI in V8 11.3 (a child node with --experimental-wasm-stack-switching)", () => {
  it("suspends on a Promise, returns a plain value without suspending, hides the suspender", async () => {
    const r = await inJspiNode("basics");
    // get(5) returned a Promise: the wrapper returned a Promise before the wasm went on.
    assert.equal(r.isPromise, true);
    assert.deepEqual(r.events, [
      "get 5",
      "returned",
      "resolve",
      "log 10", // the Promise's value is the import's result in wasm
      "get 0",
      "log 42", // a plain return goes on at once
      "fast 6",
      "fast 1",
    ]);
    assert.equal(r.value, null, "a [] -> [] entry resolves to undefined");
    // The JS function gets the original arguments only, not the suspender.
    assert.deepEqual(r.argLists, [[5], [0]]);
    // A run that never suspends: the wrapper returns its value directly, not a Promise.
    assert.equal(r.fastIsPromise, false);
  });

  it("passes the host's error object out: thrown before suspending, synchronously", async () => {
    const r = await inJspiNode("throws");
    assert.deepEqual(r, {
      throwFirst: { how: "sync throw", same: true },
      rejectFirst: { how: "rejection", same: true },
      throwAfterSuspending: { how: "rejection", same: true },
      rejectAfterSuspending: { how: "rejection", same: true },
    });
  });

  it("traps in a suspending import called through an original export", async () => {
    const r = await inJspiNode("originalExports");
    assert.equal(r.pure, 9, "code that reaches no suspending import runs as before");
    assert.deepEqual(r.start, {
      name: "RuntimeError",
      message: "invalid suspender object for suspend",
    });
  });

  it("runs 200 instances suspended at once on one thread", async () => {
    const r = await inJspiNode("many", "200");
    assert.equal(r.count, 200, "every instance computed its own sum");
    assert.equal(r.maxSuspended, 200);
    assert.ok((r.switches as number) > 1000, "their calls interleaved");
  });

  it("makes a spinning loop yield to a sibling, and lets the yield kill it", async () => {
    const r = await inJspiNode("spin");
    assert.ok((r.siblingDoneAtYield as number) > 0, "the sibling finished while it spun");
    assert.equal(r.yields, (r.siblingDoneAtYield as number) + 6);
    assert.deepEqual(r.outcome, { same: true, name: "Error", message: "killed" });
  });

  it("turns unbounded recursion into a RangeError, and the thread goes on", async () => {
    const r = await inJspiNode("stackOverflow");
    assert.deepEqual(r.outcome, {
      name: "RangeError",
      message: "Maximum call stack size exceeded",
    });
    assert.deepEqual(r.after, [6, 1]);
  });

  it("renumbers calls, tables, element segments, globals, start, exports and names", async () => {
    const r = await inJspiNode("renumber");
    // started by the start function; table entries (one the suspending import); a passive
    // segment of expressions; a funcref global; return_call; the import itself
    assert.deepEqual(r.logged, [7, 10, 300, 20, 30, 42, 400]);
    assert.equal(r.getArity, 1, "the exported import is its wrapper, of the original type");
    assert.match(r.stack as string, /at boom \(wasm:/, "the name section follows the renumbering");
  });

  it("composes with limitMemory (before or after) on memory.grow", async () => {
    const r = await inJspiNode("memoryLimit");
    for (const order of ["limitFirst", "limitAfter"]) {
      assert.deepEqual(r[`${order} grow 2`], { logged: [1, 3], error: null, oom: 0 });
      assert.deepEqual(r[`${order} grow 10`], {
        logged: [],
        error: { name: "RuntimeError", message: "unreachable" },
        oom: 1,
      });
    }
  });

  const hasClang = (() => {
    try {
      execFileSync("clang", ["--version"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  })();
  const dir = mkdtempSync(path.join(tmpdir(), "suspension-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(
    "runs two clang-built wasi-libc programs at once on the WASI host",
    { skip: !hasClang },
    async () => {
      const source = path.join(dir, "prog.c");
      const wasm = path.join(dir, "prog.wasm");
      writeFileSync(
        source,
        `#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(int argc, char **argv) {
  long ms = argc > 1 ? atol(argv[1]) : 10;
  unsigned sum = 0;
  for (unsigned i = 0; i < 3000000; i++) sum = sum * 31 + i;
  printf("sum %u\\n", sum);
  fflush(stdout);
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&ts, NULL); // poll_oneoff, answered by a timer
  printf("slept %ld\\n", ms);
  return 3;
}
`,
      );
      execFileSync("clang", ["--target=wasm32-wasi", "-O2", source, "-o", wasm]);
      const r = await inJspiNode("cProgram", wasm);
      const a = r.a as { code: number; stdout: string; yields: number };
      const b = r.b as { code: number; stdout: string; yields: number };
      assert.deepEqual([a.code, a.stdout], [3, "sum 637018976\nslept 300\n"]);
      assert.deepEqual([b.code, b.stdout], [3, "sum 637018976\nslept 200\n"]);
      assert.ok(a.yields > 0 && b.yields > 0, "the loop spent fuel");
      // Both slept at once: b (200 ms) woke and exited while a (300 ms) was still asleep.
      assert.deepEqual(r.events, [
        "a write fd 1",
        "a sleep",
        "b write fd 1",
        "b sleep",
        "b woke",
        "b write fd 1",
        "b exit 3",
        "a woke",
        "a write fd 1",
        "a exit 3",
      ]);
      assert.ok((r.ms as number) < 500, `the sleeps overlapped (${r.ms} ms, not 300 + 200)`);
      assert.ok((r.suspendingImports as string[]).includes("wasi_snapshot_preview1/poll_oneoff"));
    },
  );
});
