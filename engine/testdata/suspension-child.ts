// The half of suspension.test.ts that runs rewritten modules: JSPI needs
// `--experimental-wasm-stack-switching` on node's command line, so the test spawns
//   node --experimental-wasm-stack-switching --import tsx suspension-child.ts CASE [ARG]
// and this prints one JSON line of what CASE observed, for the test to assert on.
import { readFileSync } from "node:fs";
import initWabt from "wabt";
import { Wasi, WasiExit } from "../../wasi/index.js";
import { limitMemory, oomGlobalName } from "../memory-limit.js";
import { makeSuspendable, suspendingStartExport, yieldImport } from "../suspension.js";

type ValueType = "i32" | "i64" | "f32" | "f64" | "externref" | "funcref";
interface FunctionType {
  parameters: ValueType[];
  results: ValueType[];
}
type AnyFunction = (...args: never[]) => unknown;
/** V8 11.3's experimental constructor (not in TypeScript's lib). */
const WasmFunction = (WebAssembly as unknown as Record<string, unknown>).Function as new (
  type: FunctionType,
  fn: AnyFunction,
  options?: { suspending?: "first"; promising?: "first" },
) => AnyFunction;

const suspending = (type: FunctionType, fn: AnyFunction) =>
  new WasmFunction(type, fn, { suspending: "first" });
/** The promising wrapper of an instance's `__runwasi_start`. */
const promising = (instance: WebAssembly.Instance) =>
  new WasmFunction(
    { parameters: [], results: ["externref"] },
    instance.exports[suspendingStartExport] as AnyFunction,
    { promising: "first" },
  ) as () => unknown;

const wabt = await initWabt();
function wat(text: string): Uint8Array {
  const m = wabt.parseWat("test.wat", text, { tail_call: true });
  try {
    m.resolveNames();
    m.validate();
    return m.toBinary({ write_debug_names: true }).buffer;
  } finally {
    m.destroy();
  }
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const i32ToI32: FunctionType = { parameters: ["externref", "i32"], results: ["i32"] };
const yieldType: FunctionType = { parameters: ["externref"], results: [] };

/** env.get (suspending, i32 -> i32) and env.log (not), called by _start. */
const getAndLog = `(module
  (import "env" "get" (func $get (param i32) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (func (export "_start")
    (call $log (call $get (i32.const 5)))
    (call $log (call $get (i32.const 0))))
  (func (export "pure") (result i32) (i32.const 9)))`;

function rewrite(text: string | Uint8Array, fuel = 1000) {
  const bytes = typeof text === "string" ? wat(text) : text;
  return makeSuspendable(bytes, {
    exportName: "_start",
    suspending: (m, n) => m === "env" && n === "get",
    fuel,
  });
}

function instantiate(
  bytes: Uint8Array,
  env: { get?: (x: number) => unknown; log?: (x: number) => void },
  yieldFn: () => unknown = () => undefined,
) {
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    env: { get: suspending(i32ToI32, env.get ?? ((x) => x)), log: env.log ?? (() => {}) },
    [yieldImport.module]: { [yieldImport.name]: suspending(yieldType, yieldFn) },
  });
}

const describeError = (err: unknown) =>
  err instanceof Error ? { name: err.constructor.name, message: err.message } : { value: err };

const cases: Record<string, (arg?: string) => Promise<unknown>> = {
  /** A Promise suspends; a plain value does not; what the JS function is passed. */
  async basics() {
    const { bytes } = rewrite(getAndLog);
    const events: string[] = [];
    const argLists: unknown[][] = [];
    const instance = instantiate(bytes, {
      get: (...args: number[]) => {
        argLists.push(args);
        const x = args[0]!;
        events.push(`get ${x}`);
        if (x === 0) return 42;
        return sleep(20).then(() => {
          events.push("resolve");
          return x * 2;
        });
      },
      log: (v) => events.push(`log ${v}`),
    });
    const run = promising(instance);
    const returned = run();
    events.push("returned");
    const isPromise = returned instanceof Promise;
    const value = await returned;
    // The same module where nothing suspends: the wrapper returns the value, not a Promise.
    const fast = instantiate(bytes, { get: (x) => x + 1, log: (v) => events.push(`fast ${v}`) });
    const fastReturned = promising(fast)();
    return {
      isPromise,
      value: value ?? null,
      events,
      argLists,
      fastIsPromise: fastReturned instanceof Promise,
      fastReturned: fastReturned ?? null,
    };
  },

  /** Throws and rejections from a suspending import, before and after a suspension. */
  async throws() {
    const { bytes } = rewrite(getAndLog);
    const out: Record<string, unknown> = {};
    const error = new Error("from the host");
    const attempt = async (name: string, get: (x: number) => unknown) => {
      const run = promising(instantiate(bytes, { get }));
      let returned: unknown;
      try {
        returned = run();
      } catch (err) {
        out[name] = { how: "sync throw", same: err === error };
        return;
      }
      try {
        await returned;
        out[name] = { how: "resolved" };
      } catch (err) {
        out[name] = { how: "rejection", same: err === error };
      }
    };
    await attempt("throwFirst", () => {
      throw error;
    });
    await attempt("rejectFirst", () => Promise.reject(error));
    await attempt("throwAfterSuspending", (x) => {
      if (x === 0) throw error;
      return tick().then(() => 1);
    });
    await attempt("rejectAfterSuspending", (x) =>
      x === 0 ? Promise.reject(error) : tick().then(() => 1),
    );
    return out;
  },

  /** The original exports, called without a suspender. */
  async originalExports() {
    const { bytes } = rewrite(getAndLog);
    const instance = instantiate(bytes, { get: (x) => x });
    const out: Record<string, unknown> = { pure: (instance.exports.pure as () => number)() };
    try {
      (instance.exports._start as () => void)();
      out.start = "returned";
    } catch (err) {
      out.start = describeError(err);
    }
    return out;
  },

  /** Many instances of one module suspended at once on this thread. */
  async many(arg = "200") {
    const count = Number(arg);
    const { bytes } = rewrite(`(module
      (import "env" "get" (func $get (param i32) (result i32)))
      (import "env" "log" (func $log (param i32)))
      (func (export "_start") (local $i i32) (local $sum i32)
        (loop $next
          (local.set $sum (i32.add (local.get $sum) (call $get (local.get $i))))
          (br_if $next (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                                 (i32.const 10))))
        (call $log (local.get $sum))))`);
    const module = new WebAssembly.Module(bytes);
    const order: number[] = [];
    let suspended = 0;
    let maxSuspended = 0;
    const sums: number[] = [];
    const runs = Array.from({ length: count }, (_, id) => {
      const instance = new WebAssembly.Instance(module, {
        env: {
          get: suspending(i32ToI32, async (i: number) => {
            order.push(id);
            maxSuspended = Math.max(maxSuspended, ++suspended);
            await sleep(Math.floor(Math.random() * 5));
            suspended--;
            return id * 100 + i;
          }),
          log: (sum: number) => (sums[id] = sum),
        },
        runwasi: { yield: suspending(yieldType, () => undefined) },
      });
      return promising(instance)();
    });
    await Promise.all(runs);
    const expected = sums.map((_, id) => id * 1000 + 45);
    let switches = 0;
    for (let i = 1; i < order.length; i++) if (order[i] !== order[i - 1]) switches++;
    return { count: sums.filter((s, id) => s === expected[id]).length, maxSuspended, switches };
  },

  /** A spinning instance yields to a sibling, then its yield throws to kill it. */
  async spin() {
    const { bytes } = rewrite(`(module (func (export "_start") (loop $forever (br $forever))))`);
    const kill = new Error("killed");
    let yields = 0;
    let siblingDoneAtYield = -1;
    const spinner = promising(
      instantiate(bytes, {}, () => {
        yields++;
        if (siblingDoneAtYield >= 0 && yields > siblingDoneAtYield + 5) throw kill;
        return tick();
      }),
    )() as Promise<unknown>;
    const sibling = promising(
      instantiate(rewrite(getAndLog).bytes, { get: (x) => sleep(10).then(() => x) }),
    )() as Promise<unknown>;
    await sibling;
    siblingDoneAtYield = yields;
    let outcome: unknown;
    try {
      await spinner;
      outcome = "returned";
    } catch (err) {
      outcome = { same: err === kill, ...describeError(err) };
    }
    return { siblingDoneAtYield, yields, outcome };
  },

  /** Unbounded recursion after a suspension; then the thread still works. */
  async stackOverflow() {
    const { bytes } = rewrite(`(module
      (import "env" "get" (func $get (param i32) (result i32)))
      (func $down (param i32) (result i32)
        (i32.add (call $down (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
      (func (export "_start") (drop (call $down (call $get (i32.const 1))))))`);
    let outcome: unknown;
    try {
      await promising(instantiate(bytes, { get: (x) => tick().then(() => x) }))();
      outcome = "returned";
    } catch (err) {
      outcome = describeError(err);
    }
    const logged: number[] = [];
    await promising(
      instantiate(rewrite(getAndLog).bytes, {
        get: (x) => tick().then(() => x + 1),
        log: (v) => logged.push(v),
      }),
    )();
    return { outcome, after: logged };
  },

  /** Every kind of function reference is renumbered; names follow their functions. */
  async renumber() {
    const { bytes } = rewrite(`(module
      (import "env" "log" (func $log (param i32)))
      (import "env" "get" (func $get (param i32) (result i32)))
      (type $i2i (func (param i32) (result i32)))
      (table $t 8 funcref)
      (elem (table $t) (i32.const 0) func $ten $get)
      (elem $later funcref (ref.func $twenty))
      (global $g funcref (ref.func $thirty))
      (global $started (mut i32) (i32.const 0))
      (func $ten (param i32) (result i32) (i32.const 10))
      (func $twenty (param i32) (result i32) (i32.const 20))
      (func $thirty (param i32) (result i32) (i32.const 30))
      (func $forty (param i32) (result i32) (i32.add (local.get 0) (i32.const 40)))
      (func $tail (param i32) (result i32) (return_call $forty (local.get 0)))
      (func $init (global.set $started (i32.const 7)))
      (func $boom (export "boom") unreachable)
      (start $init)
      (export "get" (func $get))
      (export "table" (table $t))
      (func (export "_start")
        (call $log (global.get $started))
        (call $log (call_indirect (type $i2i) (i32.const 0) (i32.const 0)))
        (call $log (call_indirect (type $i2i) (i32.const 3) (i32.const 1)))
        (table.init $t $later (i32.const 2) (i32.const 0) (i32.const 1))
        (call $log (call_indirect (type $i2i) (i32.const 0) (i32.const 2)))
        (table.set $t (i32.const 3) (global.get $g))
        (call $log (call_indirect (type $i2i) (i32.const 0) (i32.const 3)))
        (call $log (call $tail (i32.const 2)))
        (call $log (call $get (i32.const 4)))))`);
    const logged: number[] = [];
    const instance = instantiate(bytes, {
      get: (x) => tick().then(() => x * 100),
      log: (v) => logged.push(v),
    });
    await promising(instance)();
    let stack = "";
    try {
      (instance.exports.boom as () => void)();
    } catch (err) {
      stack = (err as Error).stack ?? "";
    }
    const get = instance.exports.get as AnyFunction;
    return { logged, getArity: get.length, stack };
  },

  /** A clang-built wasi-libc program on the project's WASI host, two at once. */
  async cProgram(wasmPath) {
    const { bytes, suspendingImports } = makeSuspendable(readFileSync(wasmPath!), {
      exportName: "_start",
      suspending: (m) => m === "wasi_snapshot_preview1",
      fuel: 10_000,
    });
    const module = new WebAssembly.Module(bytes);
    const events: string[] = [];
    const runOne = async (id: string, sleepMs: number) => {
      const wasi = new Wasi({ args: ["prog", String(sleepMs)] });
      const calls = wasi.imports.wasi_snapshot_preview1 as unknown as Record<string, AnyFunction>;
      const bound: { memory?: WebAssembly.Memory } = {}; // once instantiated
      let stdout = "";
      let yields = 0;
      const host: Record<string, AnyFunction> = {
        fd_write: (fd: number, iovs: number, count: number, written: number) => {
          const view = new DataView(bound.memory!.buffer);
          let total = 0;
          for (let i = 0; i < count; i++) {
            const base = view.getUint32(iovs + 8 * i, true);
            const length = view.getUint32(iovs + 8 * i + 4, true);
            stdout += Buffer.from(bound.memory!.buffer, base, length).toString();
            total += length;
          }
          view.setUint32(written, total, true);
          events.push(`${id} write fd ${fd}`);
          return 0;
        },
        // Clock subscriptions only: resolved by a timer while the thread runs others.
        poll_oneoff: async (subs: number, out: number, count: number, nevents: number) => {
          const view = new DataView(bound.memory!.buffer);
          let ns = 0n;
          for (let i = 0; i < count; i++) {
            if (view.getUint8(subs + 48 * i + 8) !== 0) return 58; // ENOTSUP
            ns = view.getBigUint64(subs + 48 * i + 24, true);
          }
          events.push(`${id} sleep`);
          await sleep(Number(ns / 1_000_000n));
          events.push(`${id} woke`);
          const fresh = new DataView(bound.memory!.buffer);
          fresh.setBigUint64(out, fresh.getBigUint64(subs, true), true); // userdata
          fresh.setUint16(out + 8, 0, true); // error
          fresh.setUint8(out + 10, 0); // type: clock
          fresh.setUint32(nevents, 1, true);
          return 0;
        },
      };
      const imports: Record<string, Record<string, AnyFunction>> = {
        runwasi: {
          yield: suspending(yieldType, () => {
            yields++;
          }),
        },
        wasi_snapshot_preview1: {},
      };
      for (const imp of WebAssembly.Module.imports(module)) {
        if (imp.module !== "wasi_snapshot_preview1") continue;
        const type = (imp as unknown as { type: FunctionType }).type;
        imports[imp.module]![imp.name] = suspending(type, host[imp.name] ?? calls[imp.name]!);
      }
      const instance = new WebAssembly.Instance(module, imports);
      bound.memory = instance.exports.memory as WebAssembly.Memory;
      wasi.initialize(instance);
      let code = 0;
      try {
        await promising(instance)();
      } catch (err) {
        if (!(err instanceof WasiExit)) throw err;
        code = err.code;
      } finally {
        wasi.close();
      }
      events.push(`${id} exit ${code}`);
      return { code, stdout, yields };
    };
    const started = performance.now();
    const [a, b] = await Promise.all([runOne("a", 300), runOne("b", 200)]);
    return { a, b, events, ms: performance.now() - started, suspendingImports };
  },

  /** memory.grow past a limit, with limitMemory applied before or after the rewrite. */
  async memoryLimit() {
    const source = wat(`(module
      (import "env" "get" (func $get (param i32) (result i32)))
      (import "env" "log" (func $log (param i32)))
      (memory (export "memory") 1)
      (func (export "_start")
        (call $log (memory.grow (call $get (i32.const 0))))
        (call $log (memory.size))))`);
    const limit = 4 * 65536;
    const variants = {
      limitFirst: rewrite(limitMemory(source, limit).bytes).bytes,
      limitAfter: limitMemory(rewrite(source).bytes, limit).bytes,
    };
    const out: Record<string, unknown> = {};
    for (const [name, bytes] of Object.entries(variants)) {
      for (const pages of [2, 10]) {
        const logged: number[] = [];
        const instance = instantiate(bytes, {
          get: () => tick().then(() => pages),
          log: (v) => logged.push(v),
        });
        let error: unknown = null;
        try {
          await promising(instance)();
        } catch (err) {
          error = describeError(err);
        }
        const oom = (instance.exports[oomGlobalName] as WebAssembly.Global).value as number;
        out[`${name} grow ${pages}`] = { logged, error, oom };
      }
    }
    return out;
  },
};

const [name, arg] = process.argv.slice(2);
const run = cases[name!];
if (!run) throw new Error(`no case ${name}`);
process.stdout.write(JSON.stringify(await run(arg)) + "\n");
