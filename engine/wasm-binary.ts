// Just enough of the WebAssembly binary format to rewrite a module's sections: LEB128, the
// section list, and a walk over function bodies that finds instruction boundaries.

/** A section of a module: its id and where its content lies in the module's bytes. */
export interface Section {
  readonly id: number;
  /** Where the section begins, at its id byte. */
  readonly header: number;
  /** Where its content begins and ends. */
  readonly start: number;
  readonly end: number;
}

export const SectionId = {
  custom: 0,
  type: 1,
  import: 2,
  function: 3,
  table: 4,
  memory: 5,
  global: 6,
  export: 7,
  start: 8,
  element: 9,
  code: 10,
  data: 11,
  dataCount: 12,
  tag: 13,
} as const;

/** The order non-custom sections must appear in (the tag section sits before globals). */
export const sectionOrder: readonly number[] = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];

/** Thrown for bytes this reader does not understand; the caller decides what that means. */
export class WasmFormatError extends Error {}

/** A cursor over bytes, reading the format's primitive encodings. */
export class Reader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.pos = start;
  }

  byte(): number {
    if (this.pos >= this.end) throw new WasmFormatError("unexpected end of module");
    return this.bytes[this.pos++]!;
  }

  /** An unsigned LEB128 up to 32 bits. */
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) throw new WasmFormatError("LEB128 too long");
    }
  }

  /** Skips a LEB128 of any width (signed or not). */
  skipLeb(): void {
    while (this.byte() & 0x80);
  }

  skip(n: number): void {
    if (this.pos + n > this.end) throw new WasmFormatError("unexpected end of module");
    this.pos += n;
  }
}

/** Encodes an unsigned LEB128. */
export function u32Leb(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
  return out;
}

/** Lists the sections of a module after checking its header. */
export function readSections(bytes: Uint8Array): Section[] {
  const magic = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  if (!magic.every((b, i) => bytes[i] === b))
    throw new WasmFormatError("not a wasm module (version 1)");
  const r = new Reader(bytes, 8);
  const sections: Section[] = [];
  while (r.pos < bytes.length) {
    const header = r.pos;
    const id = r.byte();
    const size = r.u32();
    const start = r.pos;
    r.skip(size);
    sections.push({ id, header, start, end: r.pos });
  }
  return sections;
}

/** A section with its header, ready to splice into a module. */
export function encodeSection(id: number, content: readonly number[] | Uint8Array): Uint8Array {
  const size = u32Leb(content.length);
  const out = new Uint8Array(1 + size.length + content.length);
  out[0] = id;
  out.set(size, 1);
  out.set(content, 1 + size.length);
  return out;
}

/**
 * Walks one function body (after its locals) and calls `visit` with each instruction's opcode and
 * byte range. Throws WasmFormatError at an opcode it does not know, so a caller never rewrites a
 * body it has misread.
 */
export function walkInstructions(
  r: Reader,
  visit: (opcode: number, start: number, end: number) => void,
): void {
  while (r.pos < r.end) {
    const start = r.pos;
    const op = readInstruction(r);
    visit(op, start, r.pos);
  }
}

/** Reads one instruction (its opcode and immediates) and returns its opcode. */
export function readInstruction(r: Reader): number {
  const op = r.byte();
  skipImmediates(r, op);
  return op;
}

/** Encodes a signed LEB128 (i32.const's immediate). */
export function s32Leb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (b & 0x40) === 0) || (value === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** Reads a name (a length-prefixed UTF-8 string). */
export function readName(r: Reader): string {
  const length = r.u32();
  const start = r.pos;
  r.skip(length);
  return new TextDecoder().decode(r.bytes.subarray(start, r.pos));
}

/** Encodes a name (a length-prefixed UTF-8 string). */
export function encodeName(name: string): number[] {
  const utf8 = new TextEncoder().encode(name);
  return [...u32Leb(utf8.length), ...utf8];
}

/** Collects byte chunks without copying them one number at a time. */
export class ByteSink {
  readonly #chunks: Uint8Array[] = [];
  length = 0;
  push(chunk: Uint8Array | readonly number[]): void {
    const c = chunk instanceof Uint8Array ? chunk : Uint8Array.from(chunk);
    this.#chunks.push(c);
    this.length += c.length;
  }
  toBytes(): Uint8Array {
    return concat(this.#chunks);
  }
}

/** The parts one after another, in one new array. */
export function concat(parts: readonly (Uint8Array | readonly number[])[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Skips a memory's or table's limits (flags, minimum, maximum if flagged). */
export function skipLimits(r: Reader): void {
  const flags = r.byte();
  r.skipLeb();
  if (flags & 0x01) r.skipLeb();
}

const blockValueTypes = new Set([0x40, 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f]);

function skipBlockType(r: Reader): void {
  if (blockValueTypes.has(r.bytes[r.pos]!)) r.pos++;
  else r.skipLeb(); // a type index, as a signed 33-bit LEB
}

function skipMemarg(r: Reader): void {
  const align = r.u32();
  if (align & 0x40) r.skipLeb(); // multi-memory: a memory index follows
  r.skipLeb();
}

function skipImmediates(r: Reader, op: number): void {
  if (op >= 0x45 && op <= 0xc4) return; // numeric operators
  if (op >= 0x28 && op <= 0x3e) return skipMemarg(r);
  if (op >= 0x20 && op <= 0x26) return r.skipLeb(); // locals, globals, table.get/set
  switch (op) {
    case 0x00:
    case 0x01:
    case 0x05:
    case 0x0b:
    case 0x0f:
    case 0x19:
    case 0x1a:
    case 0x1b:
    case 0xd1:
      return;
    case 0x02:
    case 0x03:
    case 0x04:
    case 0x06:
      return skipBlockType(r);
    case 0x07:
    case 0x08:
    case 0x09:
    case 0x0c:
    case 0x0d:
    case 0x10:
    case 0x12:
    case 0x18:
    case 0x3f:
    case 0x40:
    case 0x41:
    case 0x42:
    case 0xd0:
    case 0xd2:
      return r.skipLeb();
    case 0x11:
    case 0x13:
      r.skipLeb();
      return r.skipLeb();
    case 0x0e: {
      const n = r.u32();
      for (let i = 0; i <= n; i++) r.skipLeb();
      return;
    }
    case 0x1c:
      return r.skip(r.u32());
    case 0x43:
      return r.skip(4);
    case 0x44:
      return r.skip(8);
    case 0xfc:
      return skipMiscImmediates(r, r.u32());
    case 0xfd:
      return skipSimdImmediates(r, r.u32());
    case 0xfe: {
      const sub = r.u32();
      return sub === 0x03 ? r.skip(1) : skipMemarg(r);
    }
  }
  throw new WasmFormatError(`unknown opcode 0x${op.toString(16)}`);
}

function skipMiscImmediates(r: Reader, sub: number): void {
  if (sub <= 7) return; // saturating truncations
  const leb = [0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 2, 1, 2, 1, 2, 1, 1, 1][sub];
  if (leb === undefined) throw new WasmFormatError(`unknown opcode 0xfc ${sub}`);
  for (let i = 0; i < leb; i++) r.skipLeb();
}

function skipSimdImmediates(r: Reader, sub: number): void {
  if (sub <= 11 || sub === 92 || sub === 93) return skipMemarg(r);
  if (sub === 12 || sub === 13) return r.skip(16);
  if (sub >= 21 && sub <= 34) return r.skip(1);
  if (sub >= 84 && sub <= 91) {
    skipMemarg(r);
    return r.skip(1);
  }
  if (sub > 0x113) throw new WasmFormatError(`unknown opcode 0xfd ${sub}`);
}
