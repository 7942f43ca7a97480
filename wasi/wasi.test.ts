import { test } from "node:test";
import assert from "node:assert/strict";
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Errno, Wasi, WasiInterrupted, type WasiOptions } from "./index.js";
import { compileC, compileWat } from "./testdata/build.js";
import { fifo } from "./testdata/fifo.js";
import { startWorker } from "./testdata/worker.js";

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), "wasi-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs a program on this thread with stdout/stderr captured in files. */
function run(
  dir: string,
  module: WebAssembly.Module,
  options: WasiOptions = {},
): { code: number; stdout: string; stderr: string } {
  const outPath = path.join(dir, `stdout-${Math.random()}`);
  const errPath = path.join(dir, `stderr-${Math.random()}`);
  const stdout = openSync(outPath, "w");
  const stderr = openSync(errPath, "w");
  try {
    const wasi = new Wasi({ stdout, stderr, ...options });
    const code = wasi.start(new WebAssembly.Instance(module, wasi.imports));
    return { code, stdout: readFileSync(outPath, "utf8"), stderr: readFileSync(errPath, "utf8") };
  } finally {
    closeSync(stdout);
    closeSync(stderr);
  }
}

function openFdCount(): number {
  return readdirSync("/proc/self/fd").length;
}

test("hello world reaches a non-blocking pipe", (t) => {
  const dir = tempDir(t);
  const [r, w] = fifo(path.join(dir, "out"));
  t.after(() => (closeSync(r), closeSync(w)));
  const wasi = new Wasi({ args: ["hello"], stdout: w });
  const code = wasi.start(new WebAssembly.Instance(compileC("testdata/hello.c"), wasi.imports));
  assert.equal(code, 0);
  const buf = Buffer.alloc(100);
  const n = readSync(r, buf, 0, 100, null);
  assert.equal(buf.subarray(0, n).toString(), "hello, world\n");
});

test("the guest sees its args and environment", (t) => {
  const dir = tempDir(t);
  const result = run(dir, compileC("testdata/args_env.c"), {
    args: ["/app.wasm", "echo", "hé llo"],
    env: ["PATH=/", "A=1"],
  });
  assert.equal(result.code, 0);
  assert.equal(result.stdout, "arg 0=/app.wasm\narg 1=echo\narg 2=hé llo\nenv PATH=/\nenv A=1\n");
});

test("cwd is passed as PWD", (t) => {
  const dir = tempDir(t);
  const result = run(dir, compileC("testdata/args_env.c"), { args: ["x"], cwd: "/data" });
  assert.equal(result.stdout, "arg 0=x\nenv PWD=/data\n");
});

test("exit codes: main's return, exit(), and proc_exit", (t) => {
  const dir = tempDir(t);
  assert.equal(run(dir, compileC("testdata/args_env.c"), { env: ["EXIT_CODE=7"] }).code, 7);
  const exited = run(dir, compileC("testdata/exit.c"), { args: ["exit", "42"] });
  assert.deepEqual([exited.code, exited.stdout], [42, "exiting\n"]);
  assert.equal(run(dir, compileC("testdata/exit.c"), { args: ["exit"] }).code, 0);
});

test("a trap propagates as the engine's RuntimeError and fds are closed", async (t) => {
  const dir = tempDir(t);
  const module = await compileWat(`(module
    (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (func (export "_start") unreachable))`);
  const before = openFdCount();
  const wasi = new Wasi({ preopens: [{ guestPath: "/", hostPath: dir }] });
  assert.throws(
    () => wasi.start(new WebAssembly.Instance(module, wasi.imports)),
    WebAssembly.RuntimeError,
  );
  assert.equal(openFdCount(), before);
});

test("proc_exit from WAT returns its code and a custom export can be started", async () => {
  const module = await compileWat(`(module
    (import "wasi_unstable" "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1)
    (func (export "run") (call $exit (i32.const 300))))`);
  const wasi = new Wasi();
  assert.equal(wasi.start(new WebAssembly.Instance(module, wasi.imports), "run"), 300);
  // The same Wasi runs again.
  assert.equal(wasi.start(new WebAssembly.Instance(module, wasi.imports), "run"), 300);
});

test("files are created, written, read, stat'ed, listed and removed beneath a preopen", (t) => {
  const dir = tempDir(t);
  const before = openFdCount();
  const result = run(dir, compileC("testdata/files.c"), {
    preopens: [{ guestPath: "/sandbox", hostPath: dir }],
  });
  assert.equal(
    result.stdout.split("\n").find((l) => l.startsWith("FAIL")),
    undefined,
  );
  assert.equal(
    result.stdout,
    "size 11 regular 1\nread hello file\nseek read file\nappended size 16\n" +
      "entries 4 a 1 b 1\ndone\n",
  );
  assert.equal(result.code, 0);
  assert.equal(openFdCount(), before);
});

test("reading outside the preopen fails", (t) => {
  const dir = tempDir(t);
  const inside = path.join(dir, "inside");
  writeFileSync(path.join(dir, "canary"), "secret");
  mkdirSync(inside);
  symlinkSync("../canary", path.join(inside, "up"));
  symlinkSync(path.join(dir, "canary"), path.join(inside, "abs"));
  const module = compileC("testdata/escape_basic.c");
  const result = run(dir, module, { preopens: [{ guestPath: "/", hostPath: inside }] });
  assert.equal(result.stdout, "../canary: 76\n/../canary: 76\nup: 76\nabs: 44\n");
  assert.equal(readFileSync(path.join(dir, "canary"), "utf8"), "secret");
});

test("an interrupt ends sleep(1000) within 100 ms and the worker stays usable", async (t) => {
  const worker = await startWorker(t);
  const interrupt = new Int32Array(new SharedArrayBuffer(4));
  const sleeping = worker(compileC("testdata/sleep.c"), { args: ["sleep", "1000"], interrupt });
  await new Promise((r) => setTimeout(r, 200)); // let it reach poll_oneoff
  const t0 = performance.now();
  Atomics.store(interrupt, 0, 1);
  Atomics.notify(interrupt, 0);
  const result = await sleeping;
  const elapsed = performance.now() - t0;
  assert.equal(result.error, new WasiInterrupted().name);
  assert.ok(elapsed < 100, `interrupt took ${elapsed} ms`);
  Atomics.store(interrupt, 0, 0);
  const again = await worker(compileC("testdata/sleep.c"), {
    args: ["sleep", "10"],
    interrupt,
  });
  assert.deepEqual(again, { code: 0 });
});

test("one worker survives 30 interrupt cycles and still runs programs to completion", async (t) => {
  const worker = await startWorker(t);
  const interrupt = new Int32Array(new SharedArrayBuffer(4));
  const sleep = compileC("testdata/sleep.c");
  for (let i = 0; i < 30; i++) {
    Atomics.store(interrupt, 0, 0);
    const sleeping = worker(sleep, { args: ["sleep", "5000"], interrupt });
    await new Promise((r) => setTimeout(r, 5));
    Atomics.store(interrupt, 0, 1);
    Atomics.notify(interrupt, 0);
    assert.equal((await sleeping).error, new WasiInterrupted().name);
  }
  Atomics.store(interrupt, 0, 0);
  assert.deepEqual(await worker(sleep, { args: ["sleep", "1"], interrupt }), { code: 0 });
});

test("an interrupt ends a read blocked on an empty stdin FIFO", async (t) => {
  const dir = tempDir(t);
  const [r, w] = fifo(path.join(dir, "in"));
  t.after(() => (closeSync(r), closeSync(w)));
  const worker = await startWorker(t);
  const interrupt = new Int32Array(new SharedArrayBuffer(4));
  const reading = worker(compileC("testdata/cat.c"), { stdin: r, interrupt });
  await new Promise((res) => setTimeout(res, 200));
  const t0 = performance.now();
  Atomics.store(interrupt, 0, 1);
  Atomics.notify(interrupt, 0);
  const result = await reading;
  assert.equal(result.error, "WasiInterrupted");
  assert.ok(performance.now() - t0 < 100);
});

test("output is written in full when the reader is slow", async (t) => {
  const dir = tempDir(t);
  const [r, w] = fifo(path.join(dir, "out"));
  t.after(() => (closeSync(r), closeSync(w)));
  const worker = await startWorker(t);
  const total = 1 << 20;
  const done = worker(compileC("testdata/spew.c"), {
    args: ["spew", String(total)],
    stdout: w,
  });
  const chunks: Buffer[] = [];
  let received = 0;
  let finished: { code?: number } | undefined;
  void done.then((res) => (finished = res));
  while (received < total) {
    await new Promise((res) => setTimeout(res, 5));
    const buf = Buffer.alloc(16384);
    try {
      const n = readSync(r, buf, 0, buf.length, null);
      chunks.push(buf.subarray(0, n));
      received += n;
    } catch (error) {
      if ((error as { code?: string }).code !== "EAGAIN") throw error;
    }
  }
  assert.deepEqual(finished ?? (await done), { code: 0 });
  const data = Buffer.concat(chunks);
  assert.equal(data.length, total);
  for (let k = 0; k < total; k += 4099) assert.equal(data[k], 97 + (k % 26));
});

test("maxFds caps the guest's open files with EMFILE and nothing leaks", (t) => {
  const dir = tempDir(t);
  const before = openFdCount();
  const result = run(dir, compileC("testdata/emfile.c"), {
    preopens: [{ guestPath: "/sandbox", hostPath: dir }],
    maxFds: 64,
  });
  // 64 fds minus stdio and the preopen.
  assert.equal(result.stdout, `opened 60 then errno ${Errno.MFILE}\n`);
  assert.ok(openFdCount() <= before);
});

test("instances are reusable thousands of times without leaking fds", (t) => {
  const dir = tempDir(t);
  const module = compileC("testdata/hello.c");
  const out = openSync(path.join(dir, "out"), "w");
  t.after(() => closeSync(out));
  const once = () => {
    const wasi = new Wasi({ stdout: out, preopens: [{ guestPath: "/", hostPath: dir }] });
    return wasi.start(new WebAssembly.Instance(module, wasi.imports));
  };
  once();
  const before = openFdCount();
  for (let i = 1; i < 2000; i++) assert.equal(once(), 0);
  // Other tests' workers may still be closing theirs, so the count can only have gone down.
  assert.ok(openFdCount() <= before, `${openFdCount()} fds open, ${before} before`);
  assert.equal(readFileSync(path.join(dir, "out"), "utf8").length, 2000 * 13);
});
