// "suspend" mode: a call that must wait returns a Promise of its errno that settles when the call
// is done (the thread stays free meanwhile), with the same effects as "park" mode; a call with
// nothing to wait for still returns a number; interrupts and close() end a wait at once; and
// startAsync runs an asynchronous entry with start's contract. The imports are called straight
// from JS against a bare WebAssembly.Memory.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Errno, Wasi, WasiExit, WasiInterrupted, type WasiOptions } from "./index.js";
import type { PREVIEW1_FUNCTIONS } from "./index.js";
import { ClockId, Eventtype, Fdflags, PREVIEW1, SUBCLOCK_ABSTIME, UNSTABLE } from "./abi.js";
import { fifo } from "./testdata/fifo.js";

type T = { after: (fn: () => void) => void };
type Call = (...args: (number | bigint)[]) => number | Promise<number>;
type Calls = Record<(typeof PREVIEW1_FUNCTIONS)[number], Call>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A Wasi bound to a fresh memory (8 pages, 512 KiB), closed when the test ends. */
function bound(t: T, options: WasiOptions = {}) {
  const interrupt = new Int32Array(new SharedArrayBuffer(4));
  const wasi = new Wasi({ blocking: "suspend", interrupt, ...options });
  const memory = new WebAssembly.Memory({ initial: 8 });
  wasi.initialize({ exports: { memory } } as unknown as WebAssembly.Instance);
  t.after(() => wasi.close());
  const calls = (ns: "wasi_snapshot_preview1" | "wasi_unstable") =>
    wasi.imports[ns] as unknown as Calls;
  const view = () => new DataView(memory.buffer);
  const bytes = () => new Uint8Array(memory.buffer);
  const stop = () => {
    Atomics.store(interrupt, 0, 1);
    Atomics.notify(interrupt, 0);
  };
  return { wasi, p1: calls("wasi_snapshot_preview1"), calls, view, bytes, interrupt, stop };
}

function tempDir(t: T): string {
  const dir = mkdtempSync(path.join(tmpdir(), "wasi-suspend-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A FIFO opened non-blocking at both ends (as containerd's stdio), closed after the test. */
function pipe(t: T): [number, number] {
  const [r, w] = fifo(path.join(tempDir(t), "p"));
  const ends = { r, w };
  t.after(() => {
    for (const fd of [ends.r, ends.w]) {
      try {
        closeSync(fd);
      } catch {
        /* closed by the test */
      }
    }
  });
  return [r, w];
}

/** Writes a clock subscription at `at`: userdata, clock id, timeout (ns), flags. */
function clockSub(
  view: DataView,
  at: number,
  userdata: bigint,
  id: number,
  timeout: bigint,
  flags = 0,
  layout = PREVIEW1,
): void {
  view.setBigUint64(at, userdata, true);
  view.setUint8(at + 8, Eventtype.CLOCK);
  view.setUint32(at + layout.subClockId, id, true);
  view.setBigUint64(at + layout.subClockTimeout, timeout, true);
  view.setUint16(at + layout.subClockFlags, flags, true);
}

/** Writes an fd_read subscription at `at`. */
function fdReadSub(view: DataView, at: number, userdata: bigint, fd: number): void {
  view.setBigUint64(at, userdata, true);
  view.setUint8(at + 8, Eventtype.FD_READ);
  view.setUint32(at + PREVIEW1.subFd, fd, true);
}

/** The event poll_oneoff wrote at `at`. */
function event(view: DataView, at: number) {
  return {
    userdata: view.getBigUint64(at, true),
    error: view.getUint16(at + 8, true),
    type: view.getUint8(at + 10),
    nbytes: view.getBigUint64(at + 16, true),
    flags: view.getUint16(at + 24, true),
  };
}

/** Writes iovecs at `at` for the given [ptr, len] pairs. */
function iovecs(view: DataView, at: number, pairs: [number, number][]): void {
  pairs.forEach(([ptr, len], i) => {
    view.setUint32(at + i * 8, ptr, true);
    view.setUint32(at + i * 8 + 4, len, true);
  });
}

/** Fills a pipe until it would block; returns how many bytes went in. */
function fill(w: number): number {
  const chunk = Buffer.alloc(4096, 0x2e);
  let n = 0;
  for (;;) {
    try {
      n += writeSync(w, chunk);
    } catch (error) {
      if ((error as { code?: string }).code === "EAGAIN") return n;
      throw error;
    }
  }
}

/** Reads what is in a non-blocking pipe now (nothing: an empty buffer; EOF: null). */
function readNow(r: number): Buffer | null {
  const buf = Buffer.alloc(65536);
  try {
    const n = readSync(r, buf, 0, buf.length, null);
    return n === 0 ? null : buf.subarray(0, n);
  } catch (error) {
    if ((error as { code?: string }).code === "EAGAIN") return Buffer.alloc(0);
    throw error;
  }
}

/** Asserts that a promise rejects with WasiInterrupted within `ms` of now. */
async function rejectsSoon(result: unknown, ms: number): Promise<void> {
  const started = performance.now();
  await assert.rejects(result as Promise<number>, WasiInterrupted);
  const took = performance.now() - started;
  assert.ok(took < ms, `took ${took.toFixed(1)} ms to reject`);
}

test("poll_oneoff: a 50 ms relative sleep is a Promise that resolves after it, event written", async (t) => {
  const { p1, view } = bound(t);
  clockSub(view(), 0, 0xabcdefn, ClockId.MONOTONIC, 50_000_000n);
  const started = performance.now();
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 5);
  const result = p1.poll_oneoff(0, 1024, 1, 2048);
  assert.ok(result instanceof Promise, "a sleep must return a Promise");
  assert.equal(await result, Errno.SUCCESS);
  clearInterval(ticker);
  const took = performance.now() - started;
  assert.ok(took >= 49.9, `woke after ${took} ms`);
  assert.ok(took < 500, `woke after ${took} ms`);
  assert.ok(ticks >= 3, "the thread was not free while the guest slept");
  assert.equal(view().getUint32(2048, true), 1);
  assert.deepEqual(event(view(), 1024), {
    userdata: 0xabcdefn,
    error: Errno.SUCCESS,
    type: Eventtype.CLOCK,
    nbytes: 0n,
    flags: 0,
  });
});

test("poll_oneoff: absolute deadlines (monotonic and realtime); the earliest of several wins", async (t) => {
  const { p1, view } = bound(t);
  const v = view();
  clockSub(v, 0, 1n, ClockId.MONOTONIC, process.hrtime.bigint() + 60_000_000n, SUBCLOCK_ABSTIME);
  clockSub(v, 48, 2n, ClockId.MONOTONIC, 5_000_000_000n); // a relative 5 s: not the one to wake
  let started = performance.now();
  let result = p1.poll_oneoff(0, 1024, 2, 2048);
  assert.ok(result instanceof Promise);
  assert.equal(await result, Errno.SUCCESS);
  let took = performance.now() - started;
  assert.ok(took >= 59 && took < 1000, `monotonic: woke after ${took} ms`);
  assert.equal(v.getUint32(2048, true), 1);
  assert.equal(event(v, 1024).userdata, 1n);

  const deadline = BigInt(Date.now() + 60) * 1_000_000n;
  clockSub(v, 0, 3n, ClockId.REALTIME, deadline, SUBCLOCK_ABSTIME);
  started = performance.now();
  result = p1.poll_oneoff(0, 1024, 1, 2048);
  assert.ok(result instanceof Promise);
  assert.equal(await result, Errno.SUCCESS);
  took = performance.now() - started;
  assert.ok(took >= 40 && took < 1000, `realtime: woke after ${took} ms`);
  assert.ok(BigInt(Date.now()) * 1_000_000n >= deadline);
  assert.equal(event(v, 1024).userdata, 3n);
});

test("poll_oneoff under wasi_unstable (56-byte subscriptions) suspends too", async (t) => {
  const { calls, view } = bound(t);
  clockSub(view(), 0, 9n, ClockId.MONOTONIC, 20_000_000n, 0, UNSTABLE);
  const started = performance.now();
  const result = calls("wasi_unstable").poll_oneoff(0, 1024, 1, 2048);
  assert.ok(result instanceof Promise);
  assert.equal(await result, Errno.SUCCESS);
  assert.ok(performance.now() - started >= 19.9);
  assert.equal(event(view(), 1024).userdata, 9n);
});

test("calls with nothing to wait for return a number, not a Promise", (t) => {
  const [r, w] = pipe(t);
  const { p1, view, bytes } = bound(t, { stdin: r, stdout: w });
  const v = view();
  clockSub(v, 0, 1n, ClockId.MONOTONIC, 0n); // already due
  assert.equal(p1.poll_oneoff(0, 1024, 1, 2048), Errno.SUCCESS);
  clockSub(v, 0, 1n, ClockId.MONOTONIC, 1n, SUBCLOCK_ABSTIME); // in the past
  assert.equal(p1.poll_oneoff(0, 1024, 1, 2048), Errno.SUCCESS);
  bytes().set(Buffer.from("hello"), 4096);
  iovecs(v, 100, [[4096, 5]]);
  assert.equal(p1.fd_write(1, 100, 1, 200), Errno.SUCCESS); // a FIFO with room
  assert.equal(v.getUint32(200, true), 5);
  fdReadSub(v, 0, 7n, 0); // readable now
  assert.equal(p1.poll_oneoff(0, 1024, 1, 2048), Errno.SUCCESS);
  assert.equal(event(v, 1024).nbytes, 5n);
  iovecs(v, 100, [[8192, 64]]);
  assert.equal(p1.fd_read(0, 100, 1, 200), Errno.SUCCESS); // the peeked bytes
  assert.equal(Buffer.from(bytes().subarray(8192, 8197)).toString(), "hello");
  assert.equal(p1.fd_read(7, 100, 1, 200), Errno.BADF);
  assert.equal(p1.sched_yield(), Errno.SUCCESS);
});

test("fd_read on an empty FIFO resolves with the bytes once written, then with EOF", async (t) => {
  const [r, w] = pipe(t);
  const { p1, view, bytes } = bound(t, { stdin: r });
  iovecs(view(), 100, [
    [4096, 3],
    [8192, 100],
  ]);
  const result = p1.fd_read(0, 100, 2, 200);
  assert.ok(result instanceof Promise, "a read of an empty pipe must return a Promise");
  await sleep(30);
  writeSync(w, "hello world");
  assert.equal(await result, Errno.SUCCESS);
  assert.equal(view().getUint32(200, true), 11);
  assert.equal(Buffer.from(bytes().subarray(4096, 4099)).toString(), "hel");
  assert.equal(Buffer.from(bytes().subarray(8192, 8200)).toString(), "lo world");

  const eof = p1.fd_read(0, 100, 2, 200);
  assert.ok(eof instanceof Promise);
  await sleep(20);
  closeSync(w);
  view().setUint32(200, 1234, true);
  assert.equal(await eof, Errno.SUCCESS);
  assert.equal(view().getUint32(200, true), 0);
});

test("poll_oneoff on an empty FIFO resolves when data arrives; fd_read gets the peeked bytes", async (t) => {
  const [r, w] = pipe(t);
  const { p1, view, bytes } = bound(t, { stdin: r });
  const v = view();
  fdReadSub(v, 0, 5n, 0);
  clockSub(v, 48, 6n, ClockId.MONOTONIC, 5_000_000_000n);
  const result = p1.poll_oneoff(0, 1024, 2, 2048);
  assert.ok(result instanceof Promise);
  await sleep(25);
  writeSync(w, "ping");
  assert.equal(await result, Errno.SUCCESS);
  assert.equal(v.getUint32(2048, true), 1);
  assert.deepEqual(event(v, 1024), {
    userdata: 5n,
    error: Errno.SUCCESS,
    type: Eventtype.FD_READ,
    nbytes: 4n,
    flags: 0,
  });
  iovecs(v, 100, [[4096, 64]]);
  assert.equal(p1.fd_read(0, 100, 1, 200), Errno.SUCCESS);
  assert.equal(v.getUint32(200, true), 4);
  assert.equal(Buffer.from(bytes().subarray(4096, 4100)).toString(), "ping");
});

test("fd_write to a full FIFO resolves with the full count once; bytes in order, none twice", async (t) => {
  const [r, w] = pipe(t);
  const { p1, view, bytes } = bound(t, { stdout: w });
  const prefill = fill(w);
  // Two iovecs, 200 KB: more than the pipe holds, so the write goes out in several pieces.
  const sizes = [70_000, 130_000];
  const payload = Buffer.alloc(sizes[0]! + sizes[1]!);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + (i >> 11)) % 251;
  bytes().set(payload.subarray(0, sizes[0]), 4096);
  bytes().set(payload.subarray(sizes[0]), 4096 + 80_000);
  iovecs(view(), 100, [
    [4096, sizes[0]!],
    [4096 + 80_000, sizes[1]!],
  ]);
  let settled = 0;
  const result = p1.fd_write(1, 100, 2, 200);
  assert.ok(result instanceof Promise, "a write to a full pipe must return a Promise");
  void (result as Promise<number>).then(() => settled++);
  await sleep(30);
  assert.equal(settled, 0, "resolved while the pipe was still full");
  // Drain slowly, in small steps, so the write resumes several times.
  const got: Buffer[] = [];
  let have = 0;
  while (have < prefill + payload.length) {
    const chunk = readNow(r);
    assert.ok(chunk !== null, "unexpected EOF");
    got.push(chunk);
    have += chunk.length;
    await sleep(chunk.length === 0 ? 2 : 1);
  }
  assert.equal(await result, Errno.SUCCESS);
  assert.equal(settled, 1);
  assert.equal(view().getUint32(200, true), payload.length);
  const all = Buffer.concat(got);
  assert.equal(all.length, prefill + payload.length);
  assert.ok(all.subarray(0, prefill).every((b) => b === 0x2e));
  assert.ok(all.subarray(prefill).equals(payload), "the bytes differ from what was written");
  await sleep(20);
  assert.equal(readNow(r)?.length, 0, "bytes were written twice");
});

test("an interrupt ends a suspended sleep, read and write within a few ms", async (t) => {
  const [r] = pipe(t);
  const [, w2] = pipe(t);
  const sleeper = bound(t);
  clockSub(sleeper.view(), 0, 1n, ClockId.MONOTONIC, 10_000_000_000n);
  const reader = bound(t, { stdin: r });
  iovecs(reader.view(), 100, [[4096, 64]]);
  const writer = bound(t, { stdout: w2 });
  fill(w2);
  iovecs(writer.view(), 100, [[4096, 1000]]);
  const waits = [
    [sleeper, sleeper.p1.poll_oneoff(0, 1024, 1, 2048)],
    [reader, reader.p1.fd_read(0, 100, 1, 200)],
    [writer, writer.p1.fd_write(1, 100, 1, 200)],
  ] as const;
  for (const [, result] of waits) assert.ok(result instanceof Promise);
  await sleep(30);
  for (const [wasi, result] of waits) {
    const rejected = rejectsSoon(result, 25);
    wasi.stop();
    await rejected;
  }
});

test("an interrupt wakes only its own Wasi; the others keep waiting", async (t) => {
  const a = bound(t);
  const b = bound(t);
  clockSub(a.view(), 0, 1n, ClockId.MONOTONIC, 10_000_000_000n);
  clockSub(b.view(), 0, 2n, ClockId.MONOTONIC, 80_000_000n);
  const ra = a.p1.poll_oneoff(0, 1024, 1, 2048);
  const started = performance.now();
  const rb = b.p1.poll_oneoff(0, 1024, 1, 2048);
  let bDone = false;
  void (rb as Promise<number>).then(() => (bDone = true));
  await sleep(10);
  const rejected = rejectsSoon(ra, 25);
  a.stop();
  await rejected;
  assert.equal(bDone, false);
  assert.equal(await rb, Errno.SUCCESS);
  assert.ok(performance.now() - started >= 79.9);
});

test("an interrupt already set rejects at once; close() ends a pending wait", async (t) => {
  const a = bound(t);
  clockSub(a.view(), 0, 1n, ClockId.MONOTONIC, 10_000_000_000n);
  a.stop();
  assert.throws(() => a.p1.poll_oneoff(0, 1024, 1, 2048), WasiInterrupted);
  const b = bound(t);
  clockSub(b.view(), 0, 1n, ClockId.MONOTONIC, 10_000_000_000n);
  const result = b.p1.poll_oneoff(0, 1024, 1, 2048);
  await sleep(5);
  const rejected = rejectsSoon(result, 25);
  b.wasi.close();
  await rejected;
});

test("FDFLAGS_NONBLOCK still gives EAGAIN at once, in both modes", (t) => {
  for (const blocking of ["suspend", "park"] as const) {
    const [r] = pipe(t); // empty
    const [, w] = pipe(t);
    const { p1, view } = bound(t, { stdin: r, stdout: w, blocking });
    fill(w);
    iovecs(view(), 100, [[4096, 64]]);
    assert.equal(p1.fd_fdstat_set_flags(0, Fdflags.NONBLOCK), Errno.SUCCESS);
    assert.equal(p1.fd_fdstat_set_flags(1, Fdflags.NONBLOCK), Errno.SUCCESS);
    const started = performance.now();
    assert.equal(p1.fd_write(1, 100, 1, 200), Errno.AGAIN, blocking);
    assert.equal(p1.fd_read(0, 100, 1, 200), Errno.AGAIN, blocking);
    assert.ok(performance.now() - started < 5, blocking);
  }
});

test("park mode: the same calls return numbers, blocking the thread as before", (t) => {
  const { p1, view } = bound(t, { blocking: "park" });
  clockSub(view(), 0, 4n, ClockId.MONOTONIC, 50_000_000n);
  const started = performance.now();
  const result = p1.poll_oneoff(0, 1024, 1, 2048);
  assert.equal(result, Errno.SUCCESS);
  assert.ok(performance.now() - started >= 49.9);
  assert.equal(event(view(), 1024).userdata, 4n);
  assert.throws(() => new Wasi({ blocking: "spin" as never }), TypeError);
});

test("fd_pread and fd_pwrite on a file return numbers in suspend mode", (t) => {
  const dir = tempDir(t);
  const { p1, view, bytes } = bound(t, {
    preopens: [{ guestPath: "/", hostPath: dir }],
  });
  const v = view();
  bytes().set(Buffer.from("f"), 50);
  // path_open(3, 0, "f", 1, CREAT, all rights, all rights, 0, fd at 60)
  assert.equal(p1.path_open(3, 0, 50, 1, 1, -1n, -1n, 0, 60), Errno.SUCCESS);
  const fd = v.getUint32(60, true);
  bytes().set(Buffer.from("abcdef"), 4096);
  iovecs(v, 100, [[4096, 6]]);
  assert.equal(p1.fd_pwrite(fd, 100, 1, 2n, 200), Errno.SUCCESS);
  assert.equal(v.getUint32(200, true), 6);
  iovecs(v, 100, [
    [8192, 3],
    [8300, 10],
  ]);
  assert.equal(p1.fd_pread(fd, 100, 2, 3n, 200), Errno.SUCCESS);
  assert.equal(v.getUint32(200, true), 5);
  assert.equal(Buffer.from(bytes().subarray(8192, 8195)).toString(), "bcd");
  assert.equal(Buffer.from(bytes().subarray(8300, 8302)).toString(), "ef");
});

/** A fake instance whose `_start` the entry below stands in for (the engine passes JSPI's). */
function fakeInstance() {
  const memory = new WebAssembly.Memory({ initial: 1 });
  return { exports: { memory, _start: () => {} } } as unknown as WebAssembly.Instance;
}

test("startAsync: 0 when the entry resolves, proc_exit's code, WasiInterrupted, fds closed", async () => {
  const interrupt = new Int32Array(new SharedArrayBuffer(4));
  const wasi = new Wasi({ blocking: "suspend", interrupt });
  const p1 = wasi.imports.wasi_snapshot_preview1 as unknown as Calls;
  const instance = fakeInstance();
  const memory = instance.exports["memory"] as WebAssembly.Memory;

  const started = performance.now();
  const code = await wasi.startAsync(instance, async () => {
    clockSub(new DataView(memory.buffer), 0, 1n, ClockId.MONOTONIC, 30_000_000n);
    assert.equal(await p1.poll_oneoff(0, 1024, 1, 2048), Errno.SUCCESS);
  });
  assert.equal(code, 0);
  assert.ok(performance.now() - started >= 29.9);
  assert.equal(p1.fd_write(1, 100, 0, 200), Errno.BADF, "the fd table outlived the run");

  assert.equal(await wasi.startAsync(instance, () => Promise.reject(new WasiExit(7))), 7);
  const entryFailed = new Error("trap");
  await assert.rejects(
    wasi.startAsync(instance, () => Promise.reject(entryFailed)),
    entryFailed,
  );

  const run = wasi.startAsync(instance, async () => {
    clockSub(new DataView(memory.buffer), 0, 1n, ClockId.MONOTONIC, 10_000_000_000n);
    await p1.poll_oneoff(0, 1024, 1, 2048);
  });
  await sleep(10);
  const rejected = rejectsSoon(run, 25);
  Atomics.store(interrupt, 0, 1);
  Atomics.notify(interrupt, 0);
  await rejected;
  await assert.rejects(
    wasi.startAsync(instance, () => Promise.resolve()),
    WasiInterrupted,
    "an interrupt set before the start",
  );
  Atomics.store(interrupt, 0, 0);
  await assert.rejects(
    wasi.startAsync(instance, () => Promise.resolve(), "missing"),
    TypeError,
  );
  assert.equal(await wasi.startAsync(instance, () => Promise.resolve()), 0);
});

test("no timer outlives an interrupted or closed run: the process exits at once", () => {
  const script = fileURLToPath(new URL("./testdata/suspend-exit.ts", import.meta.url));
  for (const how of ["interrupt", "close"]) {
    const started = performance.now();
    const child = spawnSync(process.execPath, ["--import", "tsx", script, how], {
      encoding: "utf8",
      timeout: 20_000,
    });
    const took = performance.now() - started;
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), "WasiInterrupted", how);
    assert.ok(took < 5000, `${how}: the child lived ${took} ms with a 30 s sleep pending`);
  }
});

test("under real JSPI, instances on one thread interleave while one waits (Node 20's API)", (t) => {
  const script = fileURLToPath(new URL("./testdata/jspi-run.ts", import.meta.url));
  const out = path.join(tempDir(t), "out");
  const child = spawnSync(
    process.execPath,
    ["--experimental-wasm-stack-switching", "--import", "tsx", script, out],
    { encoding: "utf8", timeout: 20_000 },
  );
  assert.equal(child.status, 0, child.stderr);
  if (child.stdout.trim() === "no-jspi") return t.skip("this node has no JSPI");
  const result = JSON.parse(child.stdout) as { codes: number[]; out: string; ms: number };
  // Run one after another they would print "AaBbCc"; suspended, each letter's sleep lets the
  // others run: A, B and C first, then b (30 ms), c (60 ms, then proc_exit(3)), a (120 ms).
  assert.equal(result.out, "ABCbca");
  assert.deepEqual(result.codes, [0, 0, 3]);
});
