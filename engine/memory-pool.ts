import type { MemoryShape } from "./memory-import.js";

const pageBytes = 65536;

/**
 * Linear memories that finished runs left behind, zeroed, for the next instance of the same shape
 * on this thread (memory-import.ts says why). A memory comes back only if it never grew: a grown
 * one would show the next module more pages than it declared. It is zeroed as it comes back, so a
 * container's data never waits in the pool for the next tenant.
 *
 * Bounded by bytes: a pooled memory is resident (zeroing touches every page), and a thread that
 * ran one large module should not keep its memory for ever.
 */
export class MemoryPool {
  readonly #maxBytes: number;
  readonly #free = new Map<string, WebAssembly.Memory[]>();
  #bytes = 0;

  constructor(maxBytes = 4 * 2 ** 20) {
    this.#maxBytes = maxBytes;
  }

  /** A zeroed memory of this shape: a pooled one if there is one, else a new one. */
  take(shape: MemoryShape): WebAssembly.Memory {
    const memory = this.#free.get(keyOf(shape))?.pop();
    if (memory === undefined) return newMemory(shape);
    this.#bytes -= memory.buffer.byteLength;
    return memory;
  }

  /** Takes back a memory whose instance is finished for good; nothing may use it afterwards. */
  give(memory: WebAssembly.Memory, shape: MemoryShape): void {
    const bytes = memory.buffer.byteLength;
    if (bytes !== shape.initial * pageBytes || this.#bytes + bytes > this.#maxBytes) return;
    new Uint8Array(memory.buffer).fill(0);
    const key = keyOf(shape);
    const free = this.#free.get(key);
    if (free) free.push(memory);
    else this.#free.set(key, [memory]);
    this.#bytes += bytes;
  }

  /** Bytes held now, for tests. */
  get bytes(): number {
    return this.#bytes;
  }
}

function keyOf(shape: MemoryShape): string {
  return `${shape.initial}/${shape.maximum ?? ""}`;
}

function newMemory(shape: MemoryShape): WebAssembly.Memory {
  return new WebAssembly.Memory(
    shape.maximum === undefined
      ? { initial: shape.initial }
      : { initial: shape.initial, maximum: shape.maximum },
  );
}
