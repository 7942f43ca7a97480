import {
  ByteSink,
  Reader,
  SectionId,
  WasmFormatError,
  concat,
  encodeSection,
  readSections,
  sectionOrder,
  skipLimits,
  u32Leb,
  walkInstructions,
  type Section,
} from "./wasm-binary.js";

/** The name of the global a limited module exports; 1 once a memory.grow hit the limit. */
export const oomGlobalName = "__runwasi_oom";

const pageBytes = 65536;

/** A module rewritten to honour a memory limit. */
export interface LimitedModule {
  readonly bytes: Uint8Array;
  /**
   * Whether a failing memory.grow stops the module (OOM-killed, as the kernel does to a process
   * over its cgroup limit) with `oomGlobalName` set. False when a function body could not be
   * read; the cap itself holds either way.
   */
  readonly stopsOnOom: boolean;
}

/** Why a module cannot run under a limit. */
export class MemoryLimitError extends Error {}

/**
 * Caps a module's memory at `limitBytes`, the container's `linux.resources.memory.limit`:
 * the memory's declared maximum becomes at most the limit, so V8 refuses any growth past it, and
 * every `memory.grow` becomes a call to an added function that, when growth fails, sets the
 * exported `__runwasi_oom` global and traps. Indices of existing functions, types and globals
 * are unchanged: everything is appended.
 */
export function limitMemory(bytes: Uint8Array, limitBytes: number): LimitedModule {
  const maxPages = Math.floor(limitBytes / pageBytes);
  const sections = readSections(bytes);
  const memory = sections.find((s) => s.id === SectionId.memory);
  if (!memory) return { bytes, stopsOnOom: false }; // no memory of its own to limit
  const replaced = new Map<Section, Uint8Array>([[memory, capMemory(bytes, memory, maxPages)]]);
  let stopsOnOom = false;
  try {
    addOomHook(bytes, sections, replaced);
    stopsOnOom = true;
  } catch (err) {
    if (!(err instanceof WasmFormatError)) throw err;
    replaced.clear();
    replaced.set(memory, capMemory(bytes, memory, maxPages));
  }
  return { bytes: assemble(bytes, sections, replaced), stopsOnOom };
}

/** The memory section with each memory's maximum lowered to `maxPages`. */
function capMemory(bytes: Uint8Array, section: Section, maxPages: number): Uint8Array {
  const r = new Reader(bytes, section.start, section.end);
  const count = r.u32();
  const out = [...u32Leb(count)];
  for (let i = 0; i < count; i++) {
    const flags = r.byte();
    if (flags & 0x04) throw new MemoryLimitError("64-bit memories cannot be limited yet");
    const min = r.u32();
    const max = flags & 0x01 ? r.u32() : undefined;
    if (min > maxPages) {
      throw new MemoryLimitError(
        `the module needs ${mib(min)} of memory at start, more than the container's limit of ` +
          `${mib(maxPages)}; raise the limit (--memory-limit, resources.limits.memory)`,
      );
    }
    const cap = Math.min(max ?? maxPages, maxPages);
    out.push(flags | 0x01, ...u32Leb(min), ...u32Leb(cap));
  }
  return encodeSection(SectionId.memory, out);
}

const mib = (pages: number) => `${((pages * pageBytes) / 2 ** 20).toFixed(1)} MiB`;

/** Adds the hook (a type, a function, a global, an export) and routes memory.grow through it. */
function addOomHook(
  bytes: Uint8Array,
  sections: Section[],
  replaced: Map<Section, Uint8Array>,
): void {
  const find = (id: number) => sections.find((s) => s.id === id);
  const types = find(SectionId.type);
  const functions = find(SectionId.function);
  const code = find(SectionId.code);
  if (!types || !functions || !code) throw new WasmFormatError("no functions");
  const imported = countImports(bytes, find(SectionId.import));
  const typeIndex = vecCount(bytes, types);
  const functionIndex = imported.functions + vecCount(bytes, functions);
  const globalSection = find(SectionId.global);
  const globalIndex = imported.globals + (globalSection ? vecCount(bytes, globalSection) : 0);

  // (i32) -> i32, the signature of memory.grow.
  replaced.set(types, appendToVec(SectionId.type, bytes, types, [0x60, 1, 0x7f, 1, 0x7f]));
  replaced.set(functions, appendToVec(SectionId.function, bytes, functions, u32Leb(typeIndex)));
  const global = [0x7f, 0x01, 0x41, 0x00, 0x0b]; // mutable i32 = 0
  setOrAdd(sections, replaced, SectionId.global, bytes, global);
  const name = [...new TextEncoder().encode(oomGlobalName)];
  const exported = [...u32Leb(name.length), ...name, 0x03, ...u32Leb(globalIndex)];
  setOrAdd(sections, replaced, SectionId.export, bytes, exported);
  replaced.set(code, rewriteCode(bytes, code, functionIndex, globalIndex));
}

/**
 * The code section with `memory.grow 0` replaced by `call $hook` in every body, and the hook
 * appended: grow; on -1, set the OOM global and trap.
 */
function rewriteCode(
  bytes: Uint8Array,
  section: Section,
  hook: number,
  global: number,
): Uint8Array {
  const r = new Reader(bytes, section.start, section.end);
  const count = r.u32();
  const out = new ByteSink();
  out.push(u32Leb(count + 1));
  const call = Uint8Array.from([0x10, ...u32Leb(hook)]);
  for (let i = 0; i < count; i++) {
    const size = r.u32();
    const bodyStart = r.pos;
    r.skip(size);
    const body = new Reader(bytes, bodyStart, r.pos);
    const locals = body.u32();
    for (let j = 0; j < locals; j++) {
      body.u32();
      body.byte();
    }
    const rewritten = new ByteSink();
    let copied = bodyStart;
    walkInstructions(body, (op, start, end) => {
      if (op !== 0x40 || bytes[start + 1] !== 0x00) return;
      rewritten.push(bytes.subarray(copied, start));
      rewritten.push(call);
      copied = end;
    });
    rewritten.push(bytes.subarray(copied, body.end));
    out.push(u32Leb(rewritten.length));
    out.push(rewritten.toBytes());
  }
  // prettier-ignore
  const hookBody = [
    1, 1, 0x7f, //                                  one i32 local
    0x20, 0, 0x40, 0, 0x22, 1, //                   local.get 0; memory.grow 0; local.tee 1
    0x41, 0x7f, 0x46, 0x04, 0x40, //                i32.const -1; i32.eq; if
    0x41, 1, 0x24, ...u32Leb(global), 0x00, 0x0b, // global.set $oom 1; unreachable; end
    0x20, 1, 0x0b, //                               local.get 1; end
  ];
  out.push(u32Leb(hookBody.length));
  out.push(hookBody);
  return encodeSection(SectionId.code, out.toBytes());
}

function countImports(bytes: Uint8Array, section: Section | undefined) {
  const counts = { functions: 0, globals: 0 };
  if (!section) return counts;
  const r = new Reader(bytes, section.start, section.end);
  const n = r.u32();
  for (let i = 0; i < n; i++) {
    r.skip(r.u32()); // module
    r.skip(r.u32()); // name
    const kind = r.byte();
    if (kind === 0x00) {
      counts.functions++;
      r.u32();
    } else if (kind === 0x01) {
      r.byte();
      skipLimits(r);
    } else if (kind === 0x02) {
      skipLimits(r);
    } else if (kind === 0x03) {
      counts.globals++;
      r.byte();
      r.byte();
    } else if (kind === 0x04) {
      r.byte();
      r.u32();
    } else {
      throw new WasmFormatError(`unknown import kind ${kind}`);
    }
  }
  return counts;
}

function vecCount(bytes: Uint8Array, section: Section): number {
  return new Reader(bytes, section.start, section.end).u32();
}

function appendToVec(
  id: number,
  bytes: Uint8Array,
  section: Section,
  entry: readonly number[],
): Uint8Array {
  const r = new Reader(bytes, section.start, section.end);
  const count = r.u32();
  const content = concat([
    Uint8Array.from(u32Leb(count + 1)),
    bytes.subarray(r.pos, section.end),
    Uint8Array.from(entry),
  ]);
  return encodeSection(id, content);
}

/** Appends `entry` to the section `id`, creating the section (in its place) if there is none. */
function setOrAdd(
  sections: Section[],
  replaced: Map<Section, Uint8Array>,
  id: number,
  bytes: Uint8Array,
  entry: readonly number[],
): void {
  const existing = sections.find((s) => s.id === id);
  if (existing) {
    replaced.set(existing, appendToVec(id, bytes, existing, entry));
    return;
  }
  const created: Section = { id, header: -1, start: -1, end: -1 };
  const rank = sectionOrder.indexOf(id);
  const at = sections.findIndex(
    (s) => s.id !== SectionId.custom && sectionOrder.indexOf(s.id) > rank,
  );
  sections.splice(at < 0 ? sections.length : at, 0, created);
  replaced.set(created, encodeSection(id, [1, ...entry]));
}

/** The module's bytes with the replaced sections (header included) in place of the originals. */
function assemble(
  bytes: Uint8Array,
  sections: readonly Section[],
  replaced: Map<Section, Uint8Array>,
): Uint8Array {
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  for (const s of sections) parts.push(replaced.get(s) ?? bytes.subarray(s.header, s.end));
  return concat(parts);
}
