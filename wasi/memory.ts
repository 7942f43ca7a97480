// Views over the guest's linear memory. `memory.grow` detaches the old ArrayBuffer, so the views
// are rebuilt only when the buffer changed — one identity check per call, no allocation otherwise.

import { WasiErrno, Errno } from "./errno.js";

const decoder = new TextDecoder("utf-8", { fatal: true });
// Shared placeholders while no memory is bound: allocating ArrayBuffers per Wasi shows up in GC.
const NO_BUFFER = new ArrayBuffer(0);
const NO_VIEW = new DataView(NO_BUFFER);
const NO_BYTES = new Uint8Array(NO_BUFFER);
const encoder = new TextEncoder();

/** The guest memory as a DataView and a Uint8Array, refreshed on growth. */
export class GuestMemory {
  #memory: WebAssembly.Memory | undefined;
  #buffer: ArrayBufferLike | undefined;
  /** Little-endian access to the guest's memory (WASI is little-endian). */
  view: DataView = NO_VIEW;
  /** Byte access to the guest's memory; host I/O reads and writes straight through it. */
  u8: Uint8Array = NO_BYTES;

  /** Points the views at an instance's exported memory. */
  bind(memory: WebAssembly.Memory): void {
    this.#memory = memory;
    this.#buffer = undefined;
    this.refresh();
  }

  /** Forgets the memory so that a finished instance can be collected. */
  unbind(): void {
    this.#memory = undefined;
    this.#buffer = undefined;
    this.view = NO_VIEW;
    this.u8 = NO_BYTES;
  }

  /** Rebuilds the views if the memory grew; call at the top of every import that touches memory. */
  refresh(): this {
    const memory = this.#memory;
    if (memory === undefined) throw new Error("wasi: no memory bound; call Wasi.start(instance)");
    const buffer = memory.buffer;
    if (buffer !== this.#buffer) {
      this.#buffer = buffer;
      this.view = new DataView(buffer);
      this.u8 = new Uint8Array(buffer);
    }
    return this;
  }

  /** Reads a UTF-8 string (a path); invalid UTF-8 is EILSEQ, out of bounds EFAULT. */
  string(ptr: number, len: number): string {
    if (ptr + len > this.u8.length) throw new WasiErrno(Errno.FAULT);
    try {
      return decoder.decode(this.u8.subarray(ptr, ptr + len));
    } catch {
      throw new WasiErrno(Errno.ILSEQ);
    }
  }

  /** Copies `bytes` to `ptr`, throwing EFAULT if they do not fit. */
  write(ptr: number, bytes: Uint8Array): void {
    if (ptr + bytes.length > this.u8.length) throw new WasiErrno(Errno.FAULT);
    this.u8.set(bytes, ptr);
  }

  /** Writes a u64 from a number (sizes, counts) or a bigint. */
  u64(ptr: number, value: number | bigint): void {
    this.view.setBigUint64(ptr, typeof value === "bigint" ? value : BigInt(value), true);
  }
}

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}
