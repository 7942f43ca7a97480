import { readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { Code, TtrpcError } from "../shim/index.js";
import { importMemory, type MemoryShape } from "./memory-import.js";
import { MemoryLimitError, limitMemory } from "./memory-limit.js";
import { SuspensionError, defaultFuel, makeSuspendable } from "./suspension.js";
import { mayWait } from "./waiting-calls.js";
import { WasmFormatError } from "./wasm-binary.js";

/** The module a container runs and the export it calls. */
export interface Entrypoint {
  /** The module's path inside the container, as written in `process.args[0]`. */
  readonly guestPath: string;
  /** The export to call: `_start` unless args[0] ends in `#name` (runwasi's convention). */
  readonly exportName: string;
}

/** Splits `process.args[0]` into the module path and the export to call. */
export function parseEntrypoint(arg0: string): Entrypoint {
  const hash = arg0.lastIndexOf("#");
  if (hash < 0) return { guestPath: arg0, exportName: "_start" };
  const exportName = arg0.slice(hash + 1);
  if (!exportName) {
    throw new TtrpcError(
      Code.InvalidArgument,
      `entrypoint "${arg0}" names an empty export after "#"`,
    );
  }
  return { guestPath: arg0.slice(0, hash), exportName };
}

/**
 * Finds the module inside the container's root, following symlinks only as far as they stay
 * inside it: an image must not be able to make the shim read a host file. Synchronous calls: a
 * local lookup is cheaper than a round trip through libuv's thread pool on every Create.
 */
export async function resolveModulePath(rootfs: string, guestPath: string): Promise<string> {
  const root = realpathSync(rootfs);
  const guestAbsolute = path.posix.resolve("/", guestPath);
  const candidate = path.join(root, guestAbsolute);
  let real: string;
  try {
    real = realpathSync(candidate);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new TtrpcError(
        Code.NotFound,
        `module ${guestPath} does not exist in the container's root filesystem ` +
          `(process.args[0]); check the image's entrypoint or the command given to run`,
      );
    }
    throw TtrpcError.from(err);
  }
  if (real !== root && !real.startsWith(root + path.sep)) {
    throw new TtrpcError(
      Code.InvalidArgument,
      `module ${guestPath} resolves outside the container's root filesystem`,
    );
  }
  return real;
}

const wasmMagic = [0x00, 0x61, 0x73, 0x6d];

/**
 * Reads and compiles the module: binary wasm, or WAT text (handy for small test images).
 * Every way it can be wrong becomes an INVALID_ARGUMENT that says what is wrong with which file.
 */
export async function loadModule(
  file: string,
  entry: Entrypoint,
  options: CompileOptions = {},
): Promise<CompiledModule> {
  // One synchronous read (modules are local files of a few MiB at most) instead of the several
  // thread-pool round trips of fs/promises' readFile, on every Create's path.
  const module = await compileModule(readFileSync(file), entry.guestPath, options);
  checkExport(module.module, entry);
  return module;
}

/**
 * A module as the engine runs it: the compiled code, and the shape of the memory the engine must
 * give each instance when the module's own memory became an import (memory-import.ts).
 */
export interface CompiledModule {
  readonly module: WebAssembly.Module;
  readonly memory: MemoryShape | undefined;
  /** Rewritten to share a thread with others (suspension.ts); runs only on a co-hosting thread. */
  readonly coHosted: boolean;
}

/** How to compile a module for one container. */
export interface CompileOptions {
  /**
   * The container's memory limit (`linux.resources.memory.limit`): the module's memory is capped
   * there and exceeding it stops the module as OOM-killed (memory-limit.ts). A cache must key
   * compiled modules by this too.
   */
  readonly memoryLimitBytes?: number | undefined;
  /**
   * Rewrite the module to share a thread with others (suspension.ts), entering it by this
   * export. A module the rewrite cannot handle is compiled as it is (`coHosted` false), to run
   * on a thread of its own. A cache must key compiled modules by this too.
   */
  readonly coHostExport?: string | undefined;
}

/**
 * Compiles a module's file content (binary wasm or WAT text) without checking its exports, so
 * that a cache can keep one compiled Module for every entrypoint of the same file.
 */
export async function compileModule(
  bytes: Buffer,
  guestPath: string,
  options: CompileOptions = {},
): Promise<CompiledModule> {
  let binary: Uint8Array;
  if (wasmMagic.every((b, i) => bytes[i] === b)) {
    binary = bytes;
  } else if (looksLikeWat(bytes)) {
    binary = await watToWasm(guestPath, bytes.toString("utf8"));
  } else {
    throw new TtrpcError(
      Code.InvalidArgument,
      `${guestPath} is not a WebAssembly module (no \\0asm header, and not WAT text)`,
    );
  }
  if (options.memoryLimitBytes !== undefined)
    binary = limitModuleMemory(binary, guestPath, options.memoryLimitBytes);
  let coHosted = false;
  if (options.coHostExport !== undefined) {
    const suspendable = trySuspendable(binary, options.coHostExport);
    if (suspendable) [binary, coHosted] = [suspendable, true];
  }
  const pooled = importPooledMemory(binary, guestPath);
  try {
    if (pooled) {
      return { module: await WebAssembly.compile(pooled.bytes), memory: pooled.shape, coHosted };
    }
    return { module: await WebAssembly.compile(binary), memory: undefined, coHosted };
  } catch (err) {
    throw new TtrpcError(
      Code.InvalidArgument,
      `${guestPath} is not valid WebAssembly: ${(err as Error).message}`,
    );
  }
}

function trySuspendable(binary: Uint8Array, exportName: string): Uint8Array | undefined {
  try {
    return makeSuspendable(binary, { exportName, suspending: mayWait, fuel: defaultFuel }).bytes;
  } catch (err) {
    if (err instanceof SuspensionError) return undefined;
    throw err;
  }
}

function importPooledMemory(binary: Uint8Array, guestPath: string) {
  try {
    return importMemory(binary);
  } catch (err) {
    if (err instanceof WasmFormatError) {
      throw new TtrpcError(
        Code.InvalidArgument,
        `${guestPath} is not valid WebAssembly: ${err.message}`,
      );
    }
    throw err;
  }
}

function limitModuleMemory(binary: Uint8Array, guestPath: string, limitBytes: number): Uint8Array {
  try {
    return limitMemory(binary, limitBytes).bytes;
  } catch (err) {
    if (err instanceof MemoryLimitError) {
      throw new TtrpcError(Code.InvalidArgument, `${guestPath}: ${err.message}`);
    }
    if (err instanceof WasmFormatError) {
      throw new TtrpcError(
        Code.InvalidArgument,
        `${guestPath} is not valid WebAssembly: ${err.message}`,
      );
    }
    throw err;
  }
}

/** Throws INVALID_ARGUMENT unless the module exports the entrypoint's function. */
export function checkExport(module: WebAssembly.Module, entry: Entrypoint): void {
  const exported = WebAssembly.Module.exports(module).find((e) => e.name === entry.exportName);
  if (exported?.kind !== "function") {
    const hint = entry.exportName === "_start" ? " (a WASI command module exports _start)" : "";
    throw new TtrpcError(
      Code.InvalidArgument,
      `${entry.guestPath} has no exported function ${entry.exportName}${hint}`,
    );
  }
}

function looksLikeWat(bytes: Buffer): boolean {
  const head = bytes.subarray(0, 4096).toString("utf8");
  return /^\s*(;;[^\n]*\n\s*|\(;[\s\S]*?;\)\s*)*\(\s*module\b/.test(head);
}

/**
 * WAT support needs the (large) wabt parser, so it lives in its own module, loaded only when a WAT
 * module shows up; the bundler ships it as a separate file (scripts/build.js).
 */
async function watToWasm(name: string, text: string): Promise<Uint8Array> {
  const { watToBinary } = await import("./wat.js");
  try {
    return await watToBinary(name, text);
  } catch (err) {
    throw new TtrpcError(
      Code.InvalidArgument,
      `${name} is not valid WAT: ${(err as Error).message}`,
    );
  }
}
