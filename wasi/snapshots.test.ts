// The import object: every preview1 function is there, wasi_unstable differs where snapshot 0 did
// (whence numbering, filestat and subscription layouts), the ABI numbers match wasi-libc's
// wasi/api.h, and guest memory growth is picked up by the cached views.

import { test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Errno, PREVIEW1_FUNCTIONS, Wasi, WasiExit } from "./index.js";
import { Fdflags, Filetype, Oflags, Rights } from "./abi.js";
import { compileWat } from "./testdata/build.js";

test("the import object has all 46 preview1 functions under both names", () => {
  const wasi = new Wasi();
  const p1 = wasi.imports.wasi_snapshot_preview1;
  assert.equal(PREVIEW1_FUNCTIONS.length, 46);
  for (const name of PREVIEW1_FUNCTIONS) assert.equal(typeof p1[name], "function", name);
  assert.deepEqual(Object.keys(p1).sort(), [...PREVIEW1_FUNCTIONS].sort());
  const unstable = Object.keys(wasi.imports.wasi_unstable).sort();
  assert.deepEqual(unstable, PREVIEW1_FUNCTIONS.filter((n) => n !== "sock_accept").sort());
});

test("errno, rights, filetype and flag numbers match wasi-libc's wasi/api.h", () => {
  const header = readFileSync("/usr/include/wasm32-wasi/wasi/api.h", "utf8");
  const defines = new Map<string, bigint>();
  for (const m of header.matchAll(
    /#define __WASI_(\w+) \(\(?\w*\)?\(?(?:UINT\d+_C\()?(\d+)(?:\)|ULL)?(?: << (\d+))?/g,
  )) {
    const value = BigInt(m[2] as string) << BigInt(m[3] ?? 0);
    defines.set(m[1] as string, value);
  }
  const check = (prefix: string, table: Record<string, number | bigint>) => {
    for (const [name, value] of Object.entries(table)) {
      const want = defines.get(`${prefix}_${name}`);
      assert.equal(want, BigInt(value), `${prefix}_${name}`);
    }
  };
  check("ERRNO", Errno);
  check("RIGHTS", Rights);
  check("FILETYPE", Filetype);
  check("OFLAGS", Oflags);
  check("FDFLAGS", Fdflags);
});

/** A guest that creates "f", writes "hello world", seeks 5 back from the end, stats and sleeps. */
function program(ns: string, whenceEnd: number, clockIdAt: number, timeoutAt: number): string {
  return `(module
    (import "${ns}" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
    (import "${ns}" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
    (import "${ns}" "fd_seek" (func $seek (param i32 i64 i32 i32) (result i32)))
    (import "${ns}" "fd_filestat_get" (func $fstat (param i32 i32) (result i32)))
    (import "${ns}" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 100) "f")
    (data (i32.const 200) "\\2c\\01\\00\\00\\0b\\00\\00\\00")
    (data (i32.const 300) "hello world")
    (func (export "_start")
      (i32.store (i32.const 600) (call $open (i32.const 3) (i32.const 0) (i32.const 100)
        (i32.const 1) (i32.const 1) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 400)))
      (i32.store (i32.const 604)
        (call $write (i32.load (i32.const 400)) (i32.const 200) (i32.const 1) (i32.const 408)))
      (i32.store (i32.const 608) (call $seek (i32.load (i32.const 400)) (i64.const -5)
        (i32.const ${whenceEnd}) (i32.const 416)))
      (i32.store (i32.const 612) (call $fstat (i32.load (i32.const 400)) (i32.const 500)))
      (i64.store (i32.const 700) (i64.const 42))
      (i32.store (i32.const ${700 + clockIdAt}) (i32.const 1))
      (i64.store (i32.const ${700 + timeoutAt}) (i64.const 1000000))
      (i32.store (i32.const 616)
        (call $poll (i32.const 700) (i32.const 800) (i32.const 1) (i32.const 440)))))`;
}

for (const [ns, whenceEnd, clockIdAt, timeoutAt, sizeAt, nlinkAt, nlink64] of [
  ["wasi_snapshot_preview1", 2, 16, 24, 32, 24, true],
  ["wasi_unstable", 1, 24, 32, 24, 20, false],
] as const) {
  test(`${ns}: whence, filestat and subscription layouts`, async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), "wasi-snap-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const module = await compileWat(program(ns, whenceEnd, clockIdAt, timeoutAt));
    const wasi = new Wasi({ preopens: [{ guestPath: "/", hostPath: dir }] });
    const instance = new WebAssembly.Instance(module, wasi.imports);
    assert.equal(wasi.start(instance), 0);
    const view = new DataView((instance.exports["memory"] as WebAssembly.Memory).buffer);
    assert.deepEqual(
      [600, 604, 608, 612, 616].map((at) => view.getUint32(at, true)),
      [0, 0, 0, 0, 0],
    );
    assert.equal(view.getUint32(408, true), 11);
    assert.equal(view.getBigUint64(416, true), 6n);
    assert.equal(view.getUint8(500 + 16), Filetype.REGULAR_FILE);
    assert.equal(view.getBigUint64(500 + sizeAt, true), 11n);
    const nlink = nlink64
      ? view.getBigUint64(500 + nlinkAt, true)
      : BigInt(view.getUint32(500 + nlinkAt, true));
    assert.equal(nlink, 1n);
    assert.equal(view.getUint32(440, true), 1);
    assert.equal(view.getBigUint64(800, true), 42n);
    assert.equal(readFileSync(path.join(dir, "f"), "utf8"), "hello world");
  });
}

test("fd_write after memory.grow writes from the grown memory", async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "wasi-grow-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const module = await compileWat(`(module
    (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 0) "before\\n")
    (func $print (param $ptr i32) (param $len i32)
      (i32.store (i32.const 16) (local.get $ptr))
      (i32.store (i32.const 20) (local.get $len))
      (drop (call $write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24))))
    (func (export "_start")
      (call $print (i32.const 0) (i32.const 7))
      (drop (memory.grow (i32.const 3)))
      (i32.store (i32.const 200000) (i32.const 0x0a746661))
      (call $print (i32.const 199999) (i32.const 5))))`);
  const out = path.join(dir, "out");
  const fd = openSync(out, "w");
  try {
    const wasi = new Wasi({ stdout: fd });
    assert.equal(wasi.start(new WebAssembly.Instance(module, wasi.imports)), 0);
  } finally {
    closeSync(fd);
  }
  assert.equal(readFileSync(out, "latin1"), "before\n\x00aft\n");
});

test("a pointer past the end of memory is EFAULT, not a host exception", async () => {
  const module = await compileWat(`(module
    (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1)
    (func (export "_start")
      (i32.store (i32.const 16) (i32.const 65530))
      (i32.store (i32.const 20) (i32.const 100))
      (call $exit (call $write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))))`);
  const fd = openSync("/dev/null", "w");
  try {
    const wasi = new Wasi({ stdout: fd });
    assert.equal(wasi.start(new WebAssembly.Instance(module, wasi.imports)), Errno.FAULT);
  } finally {
    closeSync(fd);
  }
});

test("a shared memory (threads) works for paths, random bytes and writes", async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "wasi-shared-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const module = await compileWat(
    `(module
    (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
    (memory (export "memory") 1 1 shared)
    (data (i32.const 100) "out")
    (func (export "_start")
      (i32.store (i32.const 600) (call $open (i32.const 3) (i32.const 0) (i32.const 100)
        (i32.const 3) (i32.const 1) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 400)))
      (i32.store (i32.const 604) (call $random (i32.const 1000) (i32.const 16)))
      (i32.store (i32.const 200) (i32.const 1000))
      (i32.store (i32.const 204) (i32.const 16))
      (i32.store (i32.const 608)
        (call $write (i32.load (i32.const 400)) (i32.const 200) (i32.const 1) (i32.const 408)))))`,
    true,
  );
  const wasi = new Wasi({ preopens: [{ guestPath: "/", hostPath: dir }] });
  const instance = new WebAssembly.Instance(module, wasi.imports);
  assert.equal(wasi.start(instance), 0);
  const memory = instance.exports["memory"] as WebAssembly.Memory;
  const view = new DataView(memory.buffer);
  assert.deepEqual(
    [600, 604, 608].map((at) => view.getUint32(at, true)),
    [0, 0, 0],
  );
  const written = readFileSync(path.join(dir, "out"));
  assert.deepEqual([...written], [...new Uint8Array(memory.buffer, 1000, 16)]);
  assert.notDeepEqual([...written], new Array(16).fill(0));
});

test("an interrupt word that is not shared is refused at construction", () => {
  assert.throws(() => new Wasi({ interrupt: new Int32Array(1) }), TypeError);
});

test("a reactor is initialized, called several times, and closed with its fds", async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "wasi-reactor-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const module = await compileWat(`(module
    (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1)
    (global $fd (mut i32) (i32.const -1))
    (data (i32.const 100) "log")
    (data (i32.const 300) "tick\\n")
    (func (export "_initialize")
      (drop (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 3)
        (i32.const 1) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 400)))
      (global.set $fd (i32.load (i32.const 400))))
    (func (export "tick") (result i32)
      (i32.store (i32.const 200) (i32.const 300))
      (i32.store (i32.const 204) (i32.const 5))
      (call $write (global.get $fd) (i32.const 200) (i32.const 1) (i32.const 208)))
    (func (export "quit") (call $exit (i32.const 9))))`);
  const before = readdirSync("/proc/self/fd").length;
  const wasi = new Wasi({ preopens: [{ guestPath: "/", hostPath: dir }] });
  const instance = new WebAssembly.Instance(module, wasi.imports);
  wasi.initialize(instance);
  const tick = instance.exports["tick"] as () => number;
  assert.deepEqual([tick(), tick(), tick()], [0, 0, 0]);
  assert.throws(() => wasi.start(instance), /already running/);
  assert.throws(
    () => (instance.exports["quit"] as () => void)(),
    (e: unknown) => e instanceof WasiExit && e.code === 9,
  );
  assert.ok(readdirSync("/proc/self/fd").length > before); // the log and the preopen are open
  wasi.close();
  wasi.close();
  assert.equal(readdirSync("/proc/self/fd").length, before);
  assert.equal(readFileSync(path.join(dir, "log"), "utf8"), "tick\n".repeat(3));
});
