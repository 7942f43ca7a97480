// One scenario of co-host.test.ts, in a node started with --experimental-wasm-stack-switching
// (JSPI cannot be switched on later). Prints one JSON line: what the test asserts on.
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CoHostThreads } from "../co-host.js";
import { compileModule } from "../module-loader.js";
import type { RunRequest, RunResult } from "../protocol.js";
import { createUsage, readUsage } from "../usage.js";
import { wat } from "./wat.js";

// The built worker (make build): a worker thread does not inherit tsx's loader.
const script = new URL("../../dist/bin/v8-worker.cjs", import.meta.url);
const dir = mkdtempSync(path.join(tmpdir(), "runwasi-co-host-"));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A command: sleeps `ms` (poll_oneoff on the monotonic clock), prints `text`, exits `code`. */
function sleeper(ms: number, text: string, code = 0): string {
  const bytes = [...Buffer.from(text)].map((b) => `\\${b.toString(16).padStart(2, "0")}`).join("");
  return `(module
    (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1)
    (data (i32.const 512) "${bytes}")
    (func (export "_start")
      (i32.store8 (i32.const 8) (i32.const 0))                 ;; a clock subscription
      (i32.store (i32.const 16) (i32.const 1))                 ;; monotonic
      (i64.store (i32.const 24) (i64.const ${ms * 1_000_000})) ;; relative timeout, ns
      (drop (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))
      (i32.store (i32.const 256) (i32.const 512))
      (i32.store (i32.const 260) (i32.const ${text.length}))
      (drop (call $write (i32.const 1) (i32.const 256) (i32.const 1) (i32.const 264)))
      (call $exit (i32.const ${code}))))`;
}

const spinner = `(module (memory (export "memory") 1)
  (func (export "_start") (loop $l (br $l))))`;
/** Reads stdin once. */
/** Says "reading" on stdout, then reads stdin once. */
const reader = `(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 128) "reading\\0a")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 128))
    (i32.store (i32.const 4) (i32.const 8))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 32)))
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 16))
    (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 32)))))`;
const trapper = `(module (memory (export "memory") 1)
  (func (export "_start") (unreachable)))`;

async function compile(text: string) {
  const bytes = Buffer.from(await wat(text));
  return compileModule(bytes, "/t.wasm", { coHostExport: "_start" });
}

/** Starts a run on the threads, its stdout going to a file of its own. */
async function start(threads: CoHostThreads, text: string, name: string, stdin?: number) {
  const compiled = await compile(text);
  if (!compiled.coHosted) throw new Error(`${name} was not rewritten for co-hosting`);
  const out = path.join(dir, name);
  const stdout = openSync(out, "w");
  const request: RunRequest = {
    module: compiled.module,
    memory: compiled.memory,
    exportName: "_start",
    args: [name],
    env: [],
    cwd: "/",
    preopens: [],
    stdin,
    stdout,
    stderr: undefined,
    interrupt: new Int32Array(new SharedArrayBuffer(4)),
    usage: createUsage(),
  };
  const run = threads.host(request);
  const ended = run.ended.then((result: RunResult) => {
    closeSync(stdout);
    return { result, output: readFileSync(out, "utf8") };
  });
  return { run, ended, usage: request.usage };
}

const scenarios: Record<string, () => Promise<object>> = {
  /** 50 sleeping runs on one thread at once; each stopped. */
  async many() {
    const threads = new CoHostThreads({ threads: 1, script });
    const runs = await Promise.all(
      Array.from({ length: 50 }, (_, i) => start(threads, sleeper(60_000, "x"), `s${i}`)),
    );
    await sleep(500);
    const load = threads.load;
    for (const r of runs) r.run.stop();
    const ended = await Promise.all(runs.map((r) => r.ended));
    await threads.close();
    return { load, results: ended.map((e) => e.result.kind) };
  },

  /** A spinning run beside a sleeping one: the sleeper still finishes; the spinner stops. */
  async spin() {
    const threads = new CoHostThreads({ threads: 1, script });
    const spin = await start(threads, spinner, "spin");
    const nap = await start(threads, sleeper(100, "awake\n", 3), "nap");
    const napped = await nap.ended;
    const loadWhileSpinning = threads.load;
    const cpu = readUsage(spin.usage).userNs;
    spin.run.stop();
    const spun = await spin.ended;
    const after = await start(threads, sleeper(10, "again\n"), "after");
    const again = await after.ended;
    const load = threads.load;
    await threads.close();
    return { napped, loadWhileSpinning, spun: spun.result, cpuMs: cpu / 1e6, again, load };
  },

  /**
   * A run stuck where it cannot yield (here a read on a blocking fd, which the engine never hands
   * a module: containerd's FIFOs are opened non-blocking) and stopped: its thread is terminated
   * once it has not turned its event loop for `stuckMs`, which takes effect when the stuck call
   * returns (V8 cannot stop a thread inside a system call; a byte written later ends the read),
   * and its sibling ends with it. The next run gets a new thread.
   */
  async stuck() {
    const fifo = path.join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    const blocking = openSync(fifo, "r+"); // O_RDWR, blocking: a read waits for data
    const writer = openSync(fifo, "w");
    let stuckRuns = 0;
    // Once the thread is being terminated, a byte ends the read, and the termination lands.
    const onStuck = (runs: number) => {
      stuckRuns = runs;
      writeSync(writer, "x");
    };
    const threads = new CoHostThreads({ threads: 1, script, stuckMs: 300, onStuck });
    const nap = await start(threads, sleeper(20_000, "never\n"), "nap");
    const stuck = await start(threads, reader, "stuck", blocking);
    // Stopped before its read, it would simply end: wait until it is in the read (a slow
    // machine may take a while to boot the thread).
    while (!readFileSync(path.join(dir, "stuck"), "utf8").includes("reading")) await sleep(20);
    await sleep(200);
    stuck.run.stop();
    const [stuckEnd, napEnd] = await Promise.all([stuck.ended, nap.ended]);
    closeSync(writer);
    closeSync(blocking);
    const after = await start(threads, sleeper(10, "again\n"), "after");
    const again = await after.ended;
    await threads.close();
    return { stuck: stuckEnd.result, nap: napEnd.result, stuckRuns, again };
  },

  /** After a burst, idle threads are replaced by fresh ones and the owner hears it is idle. */
  async idle() {
    let idleCalls = 0;
    const threads = new CoHostThreads({
      threads: 2,
      script,
      recycleIdleMs: 100,
      onIdle: () => idleCalls++,
    });
    threads.prewarm();
    const runs = await Promise.all(
      Array.from({ length: 6 }, (_, i) => start(threads, sleeper(20, "z"), `b${i}`)),
    );
    const results = (await Promise.all(runs.map((r) => r.ended))).map((e) => e.result.kind);
    const callsRightAfter = idleCalls;
    await sleep(600);
    const after = await start(threads, sleeper(10, "again\n"), "after");
    const again = await after.ended;
    await threads.close();
    return { results, callsRightAfter, idleCalls, again };
  },

  /** A trapping run beside a sleeping one on the same thread. */
  async trap() {
    const threads = new CoHostThreads({ threads: 1, script });
    const nap = await start(threads, sleeper(200, "fine\n"), "nap");
    const trap = await start(threads, trapper, "trap");
    const trapped = await trap.ended;
    const napped = await nap.ended;
    await threads.close();
    return { trapped: trapped.result, napped };
  },
};

const name = process.argv[2] ?? "";
try {
  const scenario = scenarios[name];
  if (!scenario) throw new Error(`no scenario ${name}`);
  process.stdout.write(JSON.stringify(await scenario()) + "\n");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
