// Stdio over non-blocking FIFOs, as containerd hands them to a shim: readiness through
// poll_oneoff, data that arrives late, a vanished reader, and an interrupt of a parked write.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Errno, Wasi, WasiInterrupted } from "./index.js";
import { compileC } from "./testdata/build.js";
import { fifo } from "./testdata/fifo.js";
import { startWorker } from "./testdata/worker.js";

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), "wasi-stdio-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("poll_oneoff on a stdin FIFO wakes when data arrives and reports the hangup", async (t) => {
  const dir = tempDir(t);
  const [r, w] = fifo(path.join(dir, "in"));
  t.after(() => closeSync(r));
  const out = openSync(path.join(dir, "out"), "w");
  t.after(() => closeSync(out));
  const worker = await startWorker(t);
  const started = performance.now();
  const done = worker(compileC("testdata/poll_stdin.c"), { stdin: r, stdout: out });
  await sleep(100);
  writeSync(w, "ping\n");
  await sleep(100);
  closeSync(w);
  assert.deepEqual(await done, { code: 0 });
  assert.ok(performance.now() - started < 4000, "poll waited for its timeout instead of stdin");
  assert.equal(
    readFileSync(path.join(dir, "out"), "utf8"),
    "ready 5 hangup 0 read 5 ping\nready 0 hangup 1 read 0 \n",
  );
});

test("a blocked stdin read returns data written later, then EOF when the writer closes", async (t) => {
  const dir = tempDir(t);
  const [r, w] = fifo(path.join(dir, "in"));
  const [outR, outW] = fifo(path.join(dir, "out"));
  t.after(() => (closeSync(r), closeSync(outR), closeSync(outW)));
  const errPath = path.join(dir, "err");
  const err = openSync(errPath, "w");
  t.after(() => closeSync(err));
  const worker = await startWorker(t);
  const done = worker(compileC("testdata/cat.c"), { stdin: r, stdout: outW, stderr: err });
  for (const chunk of ["one ", "two ", "three"]) {
    await sleep(30);
    writeSync(w, chunk);
  }
  closeSync(w);
  assert.deepEqual(await done, { code: 0 });
  const buf = Buffer.alloc(100);
  const n = readSync(outR, buf);
  assert.equal(buf.subarray(0, n).toString(), "one two three");
  assert.equal(readFileSync(errPath, "utf8"), "copied 13\n");
});

test("writing to a FIFO whose reader is gone is EPIPE for the guest", (t) => {
  const dir = tempDir(t);
  const [r, w] = fifo(path.join(dir, "out"));
  closeSync(r);
  t.after(() => closeSync(w));
  const errPath = path.join(dir, "err");
  const err = openSync(errPath, "w");
  t.after(() => closeSync(err));
  const wasi = new Wasi({ stdout: w, stderr: err });
  assert.equal(wasi.start(new WebAssembly.Instance(compileC("testdata/epipe.c"), wasi.imports)), 0);
  assert.equal(readFileSync(errPath, "utf8"), `write -1 errno ${Errno.PIPE}\n`);
});

test("an interrupt ends a write parked on a full pipe within 100 ms", async (t) => {
  const dir = tempDir(t);
  const [r, w] = fifo(path.join(dir, "out"));
  t.after(() => (closeSync(r), closeSync(w)));
  const worker = await startWorker(t);
  const interrupt = new Int32Array(new SharedArrayBuffer(4));
  // Nobody reads: the pipe fills after 64 KiB and the guest parks in fd_write.
  const done = worker(compileC("testdata/spew.c"), {
    args: ["spew", String(10 << 20)],
    stdout: w,
    interrupt,
  });
  await sleep(300);
  const t0 = performance.now();
  Atomics.store(interrupt, 0, 1);
  Atomics.notify(interrupt, 0);
  const result = await done;
  assert.equal(result.error, new WasiInterrupted().name);
  assert.ok(performance.now() - t0 < 100);
});

test("undefined stdio acts as /dev/null: reads are EOF, writes are swallowed", (t) => {
  const dir = tempDir(t);
  const errPath = path.join(dir, "err");
  const err = openSync(errPath, "w");
  t.after(() => closeSync(err));
  const wasi = new Wasi({ stderr: err });
  assert.equal(wasi.start(new WebAssembly.Instance(compileC("testdata/cat.c"), wasi.imports)), 0);
  assert.equal(readFileSync(errPath, "utf8"), "copied 0\n");
  const quiet = new Wasi();
  assert.equal(
    quiet.start(new WebAssembly.Instance(compileC("testdata/spew.c"), quiet.imports)),
    0,
  );
});
