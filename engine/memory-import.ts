import {
  Reader,
  SectionId,
  WasmFormatError,
  concat,
  encodeName,
  encodeSection,
  readSections,
  skipLimits,
  u32Leb,
} from "./wasm-binary.js";

/** The limits, in 64 KiB pages, of the memory a module declared; what the engine must give it. */
export interface MemoryShape {
  readonly initial: number;
  readonly maximum: number | undefined;
}

/** Where a rewritten module imports the memory it used to define. */
export const memoryImport = { module: "runwasi", name: "memory" } as const;

/**
 * Turns the memory a module defines into an import of the same limits, so that the engine can
 * hand each new instance a memory an earlier instance used, zeroed (memory-pool.ts): a fresh
 * memory's first page touches are most of what instantiating a small module costs (168 µs
 * against 16 µs with a reused one for a wasi-libc hello, Node 20 on the 2-core reference
 * machine). The memory keeps index 0 and its export, so the module cannot tell the difference.
 *
 * Undefined (the module is left as it is) when there is nothing to pool: no memory of its own,
 * several, a shared or a 64-bit one.
 */
export function importMemory(
  bytes: Uint8Array,
): { bytes: Uint8Array; shape: MemoryShape } | undefined {
  const sections = readSections(bytes);
  const memory = sections.find((s) => s.id === SectionId.memory);
  if (!memory) return undefined;
  const r = new Reader(bytes, memory.start, memory.end);
  if (r.u32() !== 1) return undefined;
  const limitsStart = r.pos;
  const flags = r.byte();
  if (flags & ~0x01) return undefined; // shared (0x02) or 64-bit (0x04)
  const initial = r.u32();
  const maximum = flags & 0x01 ? r.u32() : undefined;
  const limits = bytes.subarray(limitsStart, r.pos);

  const imports = sections.find((s) => s.id === SectionId.import);
  if (imports && importsAMemory(bytes, imports.start, imports.end)) return undefined;
  const entry = [
    ...encodeName(memoryImport.module),
    ...encodeName(memoryImport.name),
    0x02, // memory
    ...limits,
  ];
  let importSection: Uint8Array;
  if (imports) {
    const ir = new Reader(bytes, imports.start, imports.end);
    const count = ir.u32();
    importSection = encodeSection(SectionId.import, [
      ...u32Leb(count + 1),
      ...bytes.subarray(ir.pos, imports.end),
      ...entry,
    ]);
  } else {
    importSection = encodeSection(SectionId.import, [1, ...entry]);
  }

  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  let placed = false;
  for (const s of sections) {
    // The import section comes before every other non-custom section but the type section.
    if (!placed && s.id !== SectionId.custom && s.id !== SectionId.type) {
      parts.push(importSection);
      placed = true;
    }
    if (s === imports || s === memory) continue;
    parts.push(bytes.subarray(s.header, s.end));
  }
  if (!placed) parts.push(importSection);
  return { bytes: concat(parts), shape: { initial, maximum } };
}

function importsAMemory(bytes: Uint8Array, start: number, end: number): boolean {
  const r = new Reader(bytes, start, end);
  const count = r.u32();
  for (let i = 0; i < count; i++) {
    r.skip(r.u32());
    r.skip(r.u32());
    const kind = r.byte();
    if (kind === 0x02) return true;
    if (kind === 0x00) r.u32();
    else if (kind === 0x01) {
      r.byte();
      skipLimits(r);
    } else if (kind === 0x03) r.skip(2);
    else if (kind === 0x04) {
      r.byte();
      r.u32();
    } else throw new WasmFormatError(`unknown import kind ${kind}`);
  }
  return false;
}
