import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import {
  checkExport,
  compileModule,
  type CompiledModule,
  type CompileOptions,
  type Entrypoint,
} from "./module-loader.js";

/** How a factory turns a module file into a compiled, checked Module (`loadModule`'s shape). */
export type ModuleLoader = (
  file: string,
  entry: Entrypoint,
  options?: CompileOptions,
) => Promise<CompiledModule>;

/** Limits of a {@link ModuleCache}. */
export interface ModuleCacheOptions {
  /** At most this many modules are kept; default 64. */
  readonly maxEntries?: number;
  /**
   * At most this many bytes of module files are kept (compiled code is a few times larger);
   * default 256 MiB. A single larger module is compiled but not kept.
   */
  readonly maxBytes?: number;
}

interface Entry {
  readonly module: Promise<CompiledModule>;
  readonly bytes: number;
}

/**
 * Compiled `WebAssembly.Module`s by the sha256 of their file's content (and the compile options,
 * which change the code: a memory limit rewrites the module), least recently used first
 * out. A long-lived process (the shared-mode daemon) compiles each image's module once: every
 * container of the same image — each with its own rootfs mount, so a path would not do — gets the
 * same Module, which is posted to a worker without recompiling (architecture doc, decision 3).
 * V8 cannot persist compiled wasm in Node 20, so the cache lives in memory.
 *
 * Reading and hashing a file costs well under a millisecond for a few hundred KiB; compiling
 * it costs several.
 */
export class ModuleCache {
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  // Insertion order is recency order: a hit moves its entry to the end.
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;
  #hits = 0;
  #misses = 0;

  constructor(options: ModuleCacheOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 64;
    this.#maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  }

  /** The cache as a {@link ModuleLoader} for `createV8Engine({ modules })`. */
  get loader(): ModuleLoader {
    return (file, entry, options) => this.load(file, entry, options);
  }

  /** Counters, for logs and tests. */
  get stats(): { readonly entries: number; readonly hits: number; readonly misses: number } {
    return { entries: this.#entries.size, hits: this.#hits, misses: this.#misses };
  }

  /**
   * The compiled module in `file`, checked for the entrypoint's export. Errors are the loader's
   * (INVALID_ARGUMENT naming the problem); a file that fails to compile is not kept.
   */
  async load(
    file: string,
    entry: Entrypoint,
    options: CompileOptions = {},
  ): Promise<CompiledModule> {
    const bytes = await readFile(file);
    const digest =
      createHash("sha256").update(bytes).digest("hex") +
      `/${options.memoryLimitBytes ?? ""}/${options.coHostExport ?? ""}`;
    let cached = this.#entries.get(digest);
    if (cached) {
      this.#hits++;
      this.#entries.delete(digest);
      this.#entries.set(digest, cached);
    } else {
      this.#misses++;
      cached = { module: compileModule(bytes, entry.guestPath, options), bytes: bytes.length };
      this.#insert(digest, cached);
    }
    const module = await cached.module;
    checkExport(module.module, entry);
    return module;
  }

  /** Forgets every module (workers keep the ones they are running). */
  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  #insert(digest: string, entry: Entry): void {
    if (entry.bytes > this.#maxBytes) return;
    this.#entries.set(digest, entry);
    this.#bytes += entry.bytes;
    // A concurrent load of the same content shares the pending compile; a failed one is dropped
    // so that the next container gets the real error again rather than a cached rejection.
    entry.module.catch(() => this.#remove(digest, entry));
    for (const [key, oldest] of this.#entries) {
      if (this.#entries.size <= this.#maxEntries && this.#bytes <= this.#maxBytes) break;
      this.#remove(key, oldest);
    }
  }

  #remove(digest: string, entry: Entry): void {
    if (this.#entries.get(digest) !== entry) return;
    this.#entries.delete(digest);
    this.#bytes -= entry.bytes;
  }
}
