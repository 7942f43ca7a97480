// The Wasi class: options in, an import object out, and `start` to run a command instance with
// every fd it opened closed afterwards.

import { PREVIEW1, UNSTABLE, type Layout } from "./abi.js";
import type { Calls, WasiContext } from "./context.js";
import { WasiExit } from "./exit.js";
import { FdTable, stdioEntry, type Preopen } from "./fd-table.js";
import { createFdCalls } from "./fd-calls.js";
import { createFdIo } from "./fd-io.js";
import { checkInterrupt } from "./host-io.js";
import { GuestMemory } from "./memory.js";
import { createPathCalls } from "./path-calls.js";
import { createPathOpen } from "./path-open.js";
import { createPoll } from "./poll.js";
import { createProcCalls, lazyStringTable, type StringTable } from "./proc-calls.js";
import { createReaddir } from "./readdir.js";
import { createSockCalls } from "./sock-calls.js";
import { cancelWaits, type Blocking } from "./wait.js";

/** How to run one WASI program. */
export interface WasiOptions {
  /** argv as the guest sees it; argv[0] is conventionally the program's name. */
  args?: readonly string[];
  /** The environment as "KEY=value" strings. */
  env?: readonly string[];
  /** Directories the guest may reach, each confined to its host directory; fds 3, 4, ... */
  preopens?: readonly Preopen[];
  /**
   * The guest's working directory. WASI has no cwd: wasi-libc keeps its own, always "/" at start
   * (it resolves relative paths against it by preopen name). So this sets `PWD` in the guest's
   * environment (unless `env` has one) for programs that `chdir(getenv("PWD"))`. See README.md.
   */
  cwd?: string;
  /** Host fds for the guest's 0, 1, 2; they may be non-blocking. Undefined acts as /dev/null. */
  stdin?: number;
  stdout?: number;
  stderr?: number;
  /**
   * An Int32Array over a SharedArrayBuffer; a controller stores non-zero at index 0 and calls
   * Atomics.notify to make every blocking call throw WasiInterrupted. The embedder resets it.
   */
  interrupt?: Int32Array;
  /** Most guest fds open at once (EMFILE beyond); default 1024. */
  maxFds?: number;
  /**
   * What a call that must wait does (a sleep, an empty or full pipe): "park" (default) blocks the
   * thread on the interrupt word; "suspend" returns a Promise of the errno instead, for an
   * embedder that runs the instance under JSPI (see README.md, "Suspending instead of parking").
   * A call that need not wait returns its errno synchronously either way.
   */
  blocking?: Blocking;
}

/** The import object: both snapshot names a module may import from. */
export interface WasiImports extends WebAssembly.Imports {
  wasi_snapshot_preview1: Calls;
  wasi_unstable: Calls;
}

/** Every preview1 function (the witx order), for ENOSYS-free completeness checks. */
export const PREVIEW1_FUNCTIONS = [
  "args_get",
  "args_sizes_get",
  "environ_get",
  "environ_sizes_get",
  "clock_res_get",
  "clock_time_get",
  "fd_advise",
  "fd_allocate",
  "fd_close",
  "fd_datasync",
  "fd_fdstat_get",
  "fd_fdstat_set_flags",
  "fd_fdstat_set_rights",
  "fd_filestat_get",
  "fd_filestat_set_size",
  "fd_filestat_set_times",
  "fd_pread",
  "fd_prestat_get",
  "fd_prestat_dir_name",
  "fd_pwrite",
  "fd_read",
  "fd_readdir",
  "fd_renumber",
  "fd_seek",
  "fd_sync",
  "fd_tell",
  "fd_write",
  "path_create_directory",
  "path_filestat_get",
  "path_filestat_set_times",
  "path_link",
  "path_open",
  "path_readlink",
  "path_remove_directory",
  "path_rename",
  "path_symlink",
  "path_unlink_file",
  "poll_oneoff",
  "proc_exit",
  "proc_raise",
  "sched_yield",
  "random_get",
  "sock_accept",
  "sock_recv",
  "sock_send",
  "sock_shutdown",
] as const;

/**
 * The calls that may return a Promise in "suspend" mode (those that can wait): an embedder wraps
 * these, and only these, as suspending imports.
 */
export const SUSPENDING_FUNCTIONS = [
  "fd_pread",
  "fd_pwrite",
  "fd_read",
  "fd_write",
  "poll_oneoff",
  "sock_recv",
  "sock_send",
] as const;

/** argv and environ, encoded when first asked for. */
type Strings = () => StringTable;

/** One snapshot's namespace: every preview1 function by name. */
type Namespace = Record<
  (typeof PREVIEW1_FUNCTIONS)[number],
  (...args: never[]) => number | Promise<number>
>;

function calls(ctx: WasiContext, layout: Layout, args: Strings, env: Strings): Namespace {
  const proc = createProcCalls(ctx, args, env);
  const poll = createPoll(ctx, layout);
  const io = createFdIo(ctx, layout);
  const sock = createSockCalls(ctx, io);
  const fd = createFdCalls(ctx, layout);
  const { fd_readdir } = createReaddir(ctx);
  const path = createPathCalls(ctx, layout);
  const { path_open } = createPathOpen(ctx);
  // One object literal (checked complete by its type), not Object.assign or spread of the
  // groups: those give V8 a dictionary-mode object, measured 2–5 µs more per Wasi here (spread
  // ~70 µs), where a literal of fixed shape costs well under one.
  return {
    args_get: proc.args_get,
    args_sizes_get: proc.args_sizes_get,
    environ_get: proc.environ_get,
    environ_sizes_get: proc.environ_sizes_get,
    clock_res_get: poll.clock_res_get,
    clock_time_get: poll.clock_time_get,
    fd_advise: fd.fd_advise,
    fd_allocate: fd.fd_allocate,
    fd_close: fd.fd_close,
    fd_datasync: fd.fd_datasync,
    fd_fdstat_get: fd.fd_fdstat_get,
    fd_fdstat_set_flags: fd.fd_fdstat_set_flags,
    fd_fdstat_set_rights: fd.fd_fdstat_set_rights,
    fd_filestat_get: fd.fd_filestat_get,
    fd_filestat_set_size: fd.fd_filestat_set_size,
    fd_filestat_set_times: fd.fd_filestat_set_times,
    fd_pread: io.fd_pread,
    fd_prestat_get: fd.fd_prestat_get,
    fd_prestat_dir_name: fd.fd_prestat_dir_name,
    fd_pwrite: io.fd_pwrite,
    fd_read: io.fd_read,
    fd_readdir,
    fd_renumber: fd.fd_renumber,
    fd_seek: io.fd_seek,
    fd_sync: fd.fd_sync,
    fd_tell: io.fd_tell,
    fd_write: io.fd_write,
    path_create_directory: path.path_create_directory,
    path_filestat_get: path.path_filestat_get,
    path_filestat_set_times: path.path_filestat_set_times,
    path_link: path.path_link,
    path_open,
    path_readlink: path.path_readlink,
    path_remove_directory: path.path_remove_directory,
    path_rename: path.path_rename,
    path_symlink: path.path_symlink,
    path_unlink_file: path.path_unlink_file,
    poll_oneoff: poll.poll_oneoff,
    proc_exit: proc.proc_exit,
    proc_raise: proc.proc_raise,
    sched_yield: poll.sched_yield,
    random_get: proc.random_get,
    sock_accept: sock.sock_accept,
    sock_recv: sock.sock_recv,
    sock_send: sock.sock_send,
    sock_shutdown: sock.sock_shutdown,
  };
}

/** wasi_unstable: the same calls with snapshot 0's layouts, less sock_accept (new in preview1). */
function unstableCalls(ctx: WasiContext, args: Strings, env: Strings): Calls {
  const unstable: Calls = {};
  for (const [name, fn] of Object.entries(calls(ctx, UNSTABLE, args, env))) {
    if (name !== "sock_accept") unstable[name] = fn;
  }
  return unstable;
}

/**
 * A WASI preview1 host for one program configuration. Reusable: each `start` gets a fresh fd table
 * (stdio plus freshly opened preopens) and closes everything when the run ends.
 */
export class Wasi {
  /** Pass to WebAssembly.instantiate; the same object every time. */
  readonly imports: WasiImports;
  readonly #ctx: WasiContext;
  readonly #options: WasiOptions;
  #running = false;

  constructor(options: WasiOptions = {}) {
    this.#options = options;
    if (
      options.interrupt !== undefined &&
      !(options.interrupt.buffer instanceof SharedArrayBuffer)
    ) {
      // Atomics.wait only works on shared memory; fail here, not in the first blocking call.
      throw new TypeError("wasi: interrupt must be an Int32Array over a SharedArrayBuffer");
    }
    const blocking = options.blocking ?? "park";
    if (blocking !== "park" && blocking !== "suspend") {
      throw new TypeError(`wasi: blocking must be "park" or "suspend", not ${String(blocking)}`);
    }
    const env = [...(options.env ?? [])];
    if (options.cwd !== undefined && !env.some((e) => e.startsWith("PWD="))) {
      env.push(`PWD=${options.cwd}`);
    }
    this.#ctx = {
      mem: new GuestMemory(),
      fds: new FdTable(0),
      interrupt: options.interrupt ?? new Int32Array(new SharedArrayBuffer(4)),
      pending: blocking === "suspend" ? new Set() : undefined,
    };
    const args = lazyStringTable(options.args ?? []);
    const environ = lazyStringTable(env);
    const ctx = this.#ctx;
    let unstable: Calls | undefined;
    this.imports = {
      wasi_snapshot_preview1: calls(ctx, PREVIEW1, args, environ),
      // Built on first use: WebAssembly.instantiate reads only the namespaces a module imports,
      // and almost every module imports preview1 alone.
      get wasi_unstable(): Calls {
        return (unstable ??= unstableCalls(ctx, args, environ));
      },
    };
  }

  /**
   * Runs a command: calls `exportName` (default `_start`) and returns the exit code — 0 when it
   * returns, else proc_exit's code. Throws WasiInterrupted when interrupted; a trap propagates as
   * the engine's RuntimeError. Every fd the guest opened is closed before this returns or throws.
   */
  start(instance: WebAssembly.Instance, exportName = "_start"): number {
    const entry = this.#attach(instance, exportName, true) as () => unknown;
    try {
      checkInterrupt(this.#ctx.interrupt);
      entry();
      return 0;
    } catch (error) {
      if (error instanceof WasiExit) return error.code;
      throw error;
    } finally {
      this.close();
    }
  }

  /**
   * Runs a command whose entry is asynchronous: `start`'s contract, awaiting `entry` — for a
   * "suspend" Wasi, the embedder's JSPI promising wrapper of the instance's `exportName` (checked
   * to exist, default `_start`). Resolves to 0 when `entry` resolves, to proc_exit's code when it
   * rejects with WasiExit; rejects with WasiInterrupted when interrupted, and with a trap as the
   * engine's RuntimeError. Every fd the guest opened is closed before it settles.
   */
  async startAsync(
    instance: WebAssembly.Instance,
    entry: () => Promise<unknown>,
    exportName = "_start",
  ): Promise<number> {
    this.#attach(instance, exportName, true);
    try {
      checkInterrupt(this.#ctx.interrupt);
      await entry();
      return 0;
    } catch (error) {
      if (error instanceof WasiExit) return error.code;
      throw error;
    } finally {
      this.close();
    }
  }

  /**
   * For reactors (modules that export functions to call rather than a `_start`): binds the
   * instance, opens the fd table and calls `_initialize` if it is exported. Its exports may then
   * be called any number of times; a `proc_exit` inside one throws `WasiExit` to the caller.
   * End with `close()`, which closes every fd the guest opened.
   */
  initialize(instance: WebAssembly.Instance): void {
    const init = this.#attach(instance, "_initialize", false);
    try {
      checkInterrupt(this.#ctx.interrupt);
      if (init !== undefined) (init as () => unknown)();
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /**
   * Closes every fd of the current run and unbinds the instance. A call still waiting in "suspend"
   * mode rejects with WasiInterrupted. Idempotent; never throws.
   */
  close(): void {
    if (!this.#running) return;
    cancelWaits(this.#ctx);
    this.#ctx.fds.closeAll();
    this.#ctx.fds = new FdTable(0);
    this.#ctx.mem.unbind();
    this.#running = false;
  }

  /** Binds an instance and opens a fresh fd table; returns the named export, if a function. */
  #attach(instance: WebAssembly.Instance, name: string, required: boolean): unknown {
    if (this.#running) throw new Error("wasi: this Wasi is already running an instance");
    const { memory } = instance.exports;
    const entry = instance.exports[name];
    if (!(memory instanceof WebAssembly.Memory)) {
      throw new TypeError("wasi: the instance does not export its memory as `memory`");
    }
    if (required && typeof entry !== "function") {
      throw new TypeError(`wasi: the instance does not export a function \`${name}\``);
    }
    const fds = this.#openTable();
    this.#running = true;
    this.#ctx.fds = fds;
    this.#ctx.mem.bind(memory);
    return typeof entry === "function" ? entry : undefined;
  }

  #openTable(): FdTable {
    const o = this.#options;
    if ((o.preopens?.length ?? 0) > 0 && process.platform !== "linux") {
      // Confinement walks paths through /proc/self/fd (path-resolution.ts).
      throw new Error("wasi: preopens need Linux (/proc/self/fd)");
    }
    const fds = new FdTable(o.maxFds);
    try {
      fds.add(stdioEntry(o.stdin));
      fds.add(stdioEntry(o.stdout));
      fds.add(stdioEntry(o.stderr));
      for (const preopen of o.preopens ?? []) fds.addPreopen(preopen);
    } catch (error) {
      fds.closeAll();
      throw error;
    }
    return fds;
  }
}
