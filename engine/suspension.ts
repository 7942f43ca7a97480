// Makes an ordinary WASI module suspendable with JSPI, so that many instances can share one
// worker thread: each blocking host call can park its instance on a Promise, and a fuel counter
// at loop heads makes a spinning instance give way to its siblings.
//
// JSPI as V8 11.3 (Node 20) has it, behind `--experimental-wasm-stack-switching`, as
// suspension.test.ts establishes (in a child node: the flag must be on the command line):
// - `promising`: the type given is the JS-visible one — the export's parameters without the
//   suspender, and results ["externref"] whatever the export returns — else "Incompatible
//   signature for promising function".
// - `suspending`: the type given is the wasm one, suspender first, but the JS function is called
//   WITHOUT the suspender. A Promise it returns suspends the instance and its value becomes the
//   import's result; a plain value does not suspend. A run that never suspends makes the
//   promising wrapper return its value directly, NOT a Promise: callers must `await` it.
// - A throw from a suspending import before the first suspension throws synchronously out of
//   the wrapper; after one (or as a rejected Promise) it rejects the wrapper's Promise. Either
//   way the same error object.
// - The suspender a suspending import gets must be a live one even if the import would return a
//   plain value: through an original export ($suspender null) the first suspending import or
//   fuel yield traps "invalid suspender object for suspend". Original exports stay usable only
//   for code that reaches neither.
// - 200 instances suspended at once on one thread interleave freely; unbounded recursion on a
//   suspended-and-resumed stack is a catchable RangeError and the thread goes on.
// Fuel (bench/programs/compute.c, clang -O2, in-process, min of 9, TurboFan): the counter costs
// ~11% on that tight FP kernel (~3.3 ns per loop iteration) at any fuel; a yield that really
// suspends (setImmediate) costs ~4 us more. Fuel 100000 yields every ~0.3 ms there (less often
// where loop bodies are heavier), ~1% for the yields themselves; 1000 more than doubles the time.
//
// Why rewrite rather than wrap: V8 11.3's suspender is an explicit wasm value that must reach
// each suspending call, so the module has to carry it (a global set by `__runwasi_start`), and
// imports that may block must take it as a parameter. Everything new is appended (types, globals,
// functions) except the `yield` import, which must come before the defined functions: their
// indices shift by one and are renumbered everywhere.
import {
  ByteSink,
  Reader,
  SectionId,
  WasmFormatError,
  concat,
  encodeName,
  encodeSection,
  readInstruction,
  readName,
  readSections,
  s32Leb,
  sectionOrder,
  skipLimits,
  u32Leb,
  walkInstructions,
  type Section,
} from "./wasm-binary.js";

/** A module rewritten by makeSuspendable. */
export interface SuspendableModule {
  readonly bytes: Uint8Array;
  /** Names of the rewritten imports, as "module/name". */
  readonly suspendingImports: readonly string[];
}

/** The added export, (externref) -> (): sets the suspender and calls the chosen entry. */
export const suspendingStartExport = "__runwasi_start";

/** The added import, (externref) -> (), called when the fuel runs out. */
export const yieldImport = { module: "runwasi", name: "yield" } as const;

/** Loop iterations between yields: ~0.3 ms of a tight loop (the measurements above). */
export const defaultFuel = 100_000;

/** The module cannot be rewritten (the caller falls back to a dedicated thread). */
export class SuspensionError extends Error {}

export interface SuspendableOptions {
  /** The export `__runwasi_start` calls; must be a function of type [] -> []. */
  readonly exportName: string;
  /** Which function imports may block, and so take the suspender. */
  readonly suspending: (module: string, name: string) => boolean;
  /** Loop iterations (and tail calls) between two calls to the yield import. */
  readonly fuel: number;
}

/**
 * Rewrites a module so that `__runwasi_start` (wrapped with `promising`) runs it on its own
 * suspendable stack: the imports `suspending` picks take the suspender as an added first
 * parameter (wrap them with `suspending`), and every loop iteration spends one unit of fuel,
 * calling `runwasi.yield` with the suspender when it runs out.
 */
export function makeSuspendable(bytes: Uint8Array, options: SuspendableOptions): SuspendableModule {
  const { fuel } = options;
  if (!Number.isInteger(fuel) || fuel < 1 || fuel > 0x7fffffff) {
    throw new RangeError(`fuel must be an integer from 1 to 2^31-1, not ${fuel}`);
  }
  let result: SuspendableModule;
  try {
    result = rewrite(bytes, options);
  } catch (err) {
    if (!(err instanceof WasmFormatError)) throw err;
    throw new SuspensionError(`cannot make the module suspendable: ${err.message}`, {
      cause: err,
    });
  }
  // A safety net: a module the rewrite got wrong must not reach an instance.
  if (!WebAssembly.validate(result.bytes)) {
    throw new SuspensionError(
      WebAssembly.validate(bytes)
        ? "cannot make the module suspendable: the rewritten module does not validate"
        : "cannot make the module suspendable: it is not a valid module",
    );
  }
  return result;
}

interface FuncType {
  readonly params: readonly number[];
  readonly results: readonly number[];
}

const externref = 0x6f;
const valueTypes = new Set([0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f]);

function valueType(r: Reader): number {
  const t = r.byte();
  if (!valueTypes.has(t)) {
    throw new WasmFormatError(`value type 0x${t.toString(16)} (typed references) is not supported`);
  }
  return t;
}

function vec<T>(r: Reader, item: (r: Reader) => T): T[] {
  const n = r.u32();
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(item(r));
  return out;
}

function expectEnd(r: Reader, what: string): void {
  if (r.pos !== r.end) throw new WasmFormatError(`trailing bytes in the ${what} section`);
}

const encodeType = (t: FuncType) => [
  0x60,
  ...u32Leb(t.params.length),
  ...t.params,
  ...u32Leb(t.results.length),
  ...t.results,
];

function rewrite(bytes: Uint8Array, options: SuspendableOptions): SuspendableModule {
  const sections = readSections(bytes);
  const only = (id: number): Section | undefined => {
    const found = sections.filter((s) => s.id === id);
    if (found.length > 1) throw new WasmFormatError(`more than one section ${id}`);
    return found[0];
  };
  const reader = (s: Section) => new Reader(bytes, s.start, s.end);
  const replaced = new Map<number, Uint8Array>(); // section id -> new content

  // Types: the module's, then the ones this rewrite needs, each once.
  const types: FuncType[] = [];
  const typeSection = only(SectionId.type);
  if (typeSection) {
    const r = reader(typeSection);
    const n = r.u32();
    for (let i = 0; i < n; i++) {
      const form = r.byte();
      if (form !== 0x60) throw new WasmFormatError(`type form 0x${form.toString(16)} (GC types)`);
      types.push({ params: vec(r, valueType), results: vec(r, valueType) });
    }
    expectEnd(r, "type");
  }
  const declared = types.length;
  const added = new Map<string, number>();
  const addType = (t: FuncType): number => {
    const key = `${t.params.join(",")}->${t.results.join(",")}`;
    let index = added.get(key);
    if (index === undefined) {
      index = types.length;
      types.push(t);
      added.set(key, index);
    }
    return index;
  };
  const externToVoid = addType({ params: [externref], results: [] });
  const voidToVoid = addType({ params: [], results: [] });

  // Imports: suspending ones get the suspender parameter; runwasi.yield is appended.
  const funcImportTypes: number[] = [];
  const suspendingImports: string[] = [];
  const wrapped: { index: number; type: number; label: string }[] = [];
  let importedGlobals = 0;
  const imports = new ByteSink();
  let importCount = 0;
  const importSection = only(SectionId.import);
  if (importSection) {
    const r = reader(importSection);
    importCount = r.u32();
    for (let i = 0; i < importCount; i++) {
      const entry = r.pos;
      const module = readName(r);
      const name = readName(r);
      if (module === yieldImport.module) {
        throw new SuspensionError(
          `the module already imports from "${module}" (was it made suspendable already?)`,
        );
      }
      const kind = r.byte();
      if (kind === 0x00) {
        const typeAt = r.pos;
        const type = r.u32();
        const t = types[type];
        if (type >= declared || !t) throw new WasmFormatError(`import of unknown type ${type}`);
        const index = funcImportTypes.length;
        funcImportTypes.push(type);
        if (options.suspending(module, name)) {
          const withSuspender = addType({ params: [externref, ...t.params], results: t.results });
          imports.push(bytes.subarray(entry, typeAt));
          imports.push(u32Leb(withSuspender));
          suspendingImports.push(`${module}/${name}`);
          wrapped.push({ index, type, label: `${module}.${name}` });
          continue;
        }
      } else if (kind === 0x01) {
        valueType(r);
        skipLimits(r);
      } else if (kind === 0x02) {
        if (bytes[r.pos]! & 0x02) {
          throw new SuspensionError(
            "the module imports a shared memory: it expects other threads, which instances " +
              "sharing one thread cannot be",
          );
        }
        skipLimits(r);
      } else if (kind === 0x03) {
        valueType(r);
        r.byte();
        importedGlobals++;
      } else if (kind === 0x04) {
        r.byte();
        r.u32();
      } else {
        throw new WasmFormatError(`unknown import kind ${kind}`);
      }
      imports.push(bytes.subarray(entry, r.pos));
    }
    expectEnd(r, "import");
  }
  imports.push([
    ...encodeName(yieldImport.module),
    ...encodeName(yieldImport.name),
    0x00,
    ...u32Leb(externToVoid),
  ]);
  replaced.set(SectionId.import, concat([u32Leb(importCount + 1), imports.toBytes()]));

  // Function indices: imports (unchanged), yield, the defined functions (shifted by one), then
  // the added ones: one wrapper per suspending import, the refuel helper, the start.
  const importedFuncs = funcImportTypes.length;
  const functionSection = only(SectionId.function);
  const funcTypes = functionSection ? vec(reader(functionSection), (r) => r.u32()) : [];
  const defined = funcTypes.length;
  const yieldIndex = importedFuncs;
  const firstAdded = importedFuncs + 1 + defined;
  const wrapperOf = new Map(wrapped.map((w, k) => [w.index, firstAdded + k]));
  const refuelIndex = firstAdded + wrapped.length;
  const startIndex = refuelIndex + 1;
  const remap = (f: number): number => {
    if (f < importedFuncs) return wrapperOf.get(f) ?? f;
    if (f < importedFuncs + defined) return f + 1;
    throw new WasmFormatError(`function index ${f} out of range`);
  };
  const typeOf = (f: number) =>
    types[f < importedFuncs ? funcImportTypes[f]! : funcTypes[f - importedFuncs]!];
  replaced.set(
    SectionId.function,
    concat([
      u32Leb(defined + wrapped.length + 2),
      ...funcTypes.map((t) => u32Leb(t)),
      ...wrapped.map((w) => u32Leb(w.type)),
      u32Leb(voidToVoid),
      u32Leb(externToVoid),
    ]),
  );

  /** Copies a constant expression, renumbering ref.func. */
  const copyExpr = (r: Reader, out: ByteSink): void => {
    for (;;) {
      const start = r.pos;
      const op = readInstruction(r);
      if (op === 0xd2) out.push([0xd2, ...u32Leb(remap(new Reader(bytes, start + 1).u32()))]);
      else out.push(bytes.subarray(start, r.pos));
      if (op === 0x0b) return;
    }
  };

  // Tables: only the (rare) form with an initialiser holds a function index.
  const tableSection = only(SectionId.table);
  if (tableSection) {
    const r = reader(tableSection);
    const out = new ByteSink();
    const n = r.u32();
    out.push(u32Leb(n));
    for (let i = 0; i < n; i++) {
      const entry = r.pos;
      const init = bytes[r.pos] === 0x40;
      if (init && (r.byte(), r.byte()) !== 0x00) throw new WasmFormatError("unknown table form");
      valueType(r);
      skipLimits(r);
      out.push(bytes.subarray(entry, r.pos));
      if (init) copyExpr(r, out);
    }
    expectEnd(r, "table");
    replaced.set(SectionId.table, out.toBytes());
  }

  // Globals: the module's (initialisers renumbered), then $suspender and $fuel.
  const globals = new ByteSink();
  let globalCount = 0;
  const globalSection = only(SectionId.global);
  if (globalSection) {
    const r = reader(globalSection);
    globalCount = r.u32();
    for (let i = 0; i < globalCount; i++) {
      const entry = r.pos;
      valueType(r);
      r.byte();
      globals.push(bytes.subarray(entry, r.pos));
      copyExpr(r, globals);
    }
    expectEnd(r, "global");
  }
  const suspender = importedGlobals + globalCount;
  const fuelGlobal = suspender + 1;
  globals.push([externref, 0x01, 0xd0, externref, 0x0b]);
  globals.push([0x7f, 0x01, 0x41, ...s32Leb(options.fuel), 0x0b]);
  replaced.set(SectionId.global, concat([u32Leb(globalCount + 2), globals.toBytes()]));

  // Exports: renumbered, plus __runwasi_start.
  let entry: number | undefined;
  const exports = new ByteSink();
  let exportCount = 0;
  const exportSection = only(SectionId.export);
  if (exportSection) {
    const r = reader(exportSection);
    exportCount = r.u32();
    for (let i = 0; i < exportCount; i++) {
      const at = r.pos;
      const name = readName(r);
      const kind = r.byte();
      const nameBytes = bytes.subarray(at, r.pos);
      const index = r.u32();
      if (name === suspendingStartExport) {
        throw new SuspensionError(`the module already exports ${suspendingStartExport}`);
      }
      if (kind === 0x00 && name === options.exportName) entry = index;
      exports.push(nameBytes);
      exports.push(u32Leb(kind === 0x00 ? remap(index) : index));
    }
    expectEnd(r, "export");
  }
  if (entry === undefined) {
    throw new SuspensionError(`the module exports no function "${options.exportName}"`);
  }
  const entryType = typeOf(entry);
  if (!entryType || entryType.params.length > 0 || entryType.results.length > 0) {
    throw new SuspensionError(
      `the module's "${options.exportName}" must take no parameters and return nothing`,
    );
  }
  exports.push([...encodeName(suspendingStartExport), 0x00, ...u32Leb(startIndex)]);
  replaced.set(SectionId.export, concat([u32Leb(exportCount + 1), exports.toBytes()]));

  const startSection = only(SectionId.start);
  if (startSection) {
    const r = reader(startSection);
    const f = r.u32();
    expectEnd(r, "start");
    replaced.set(SectionId.start, Uint8Array.from(u32Leb(remap(f))));
  }

  const elementSection = only(SectionId.element);
  if (elementSection) replaced.set(SectionId.element, rewriteElements(reader(elementSection)));

  // Code: every body renumbered and fueled, then the added functions.
  const g = (index: number) => u32Leb(index);
  // prettier-ignore
  const fuelCheck = Uint8Array.from([
    0x23, ...g(fuelGlobal), 0x41, 0x01, 0x6b, 0x24, ...g(fuelGlobal), // $fuel -= 1
    0x23, ...g(fuelGlobal), 0x45, 0x04, 0x40, //                         if $fuel == 0
    0x10, ...g(refuelIndex), 0x0b, //                                      call $refuel; end
  ]);
  const code = new ByteSink();
  const codeSection = only(SectionId.code);
  const bodies = codeSection ? reader(codeSection) : undefined;
  const bodyCount = bodies ? bodies.u32() : 0;
  if (bodyCount !== defined) throw new WasmFormatError("function and code sections disagree");
  code.push(u32Leb(defined + wrapped.length + 2));
  for (let i = 0; i < bodyCount; i++) {
    const size = bodies!.u32();
    const start = bodies!.pos;
    bodies!.skip(size);
    const body = rewriteBody(new Reader(bytes, start, bodies!.pos));
    code.push(u32Leb(body.length));
    code.push(body);
  }
  if (bodies) expectEnd(bodies, "code");
  const addBody = (instructions: readonly number[]) => {
    code.push(u32Leb(instructions.length + 1));
    code.push([0x00, ...instructions]); // no locals
  };
  for (const w of wrapped) {
    const n = types[w.type]!.params.length;
    const args = Array.from({ length: n }, (_, i) => [0x20, ...u32Leb(i)]).flat();
    addBody([0x23, ...g(suspender), ...args, 0x10, ...g(w.index), 0x0b]);
  }
  // prettier-ignore
  addBody([
    0x41, ...s32Leb(options.fuel), 0x24, ...g(fuelGlobal), // $fuel = fuel
    0x23, ...g(suspender), 0x10, ...g(yieldIndex), 0x0b, //  yield($suspender)
  ]);
  addBody([0x20, 0x00, 0x24, ...g(suspender), 0x10, ...g(remap(entry)), 0x0b]);
  replaced.set(SectionId.code, code.toBytes());

  replaced.set(SectionId.type, concat([u32Leb(types.length), ...types.map(encodeType)]));

  // Custom sections: the name section renumbered; debug info, whose code offsets the inserted
  // fuel checks invalidate, dropped.
  const custom = new Map<Section, Uint8Array | null>();
  for (const s of sections) {
    if (s.id !== SectionId.custom) continue;
    const r = reader(s);
    const name = readName(r);
    if (name.startsWith(".debug_") || name === "sourceMappingURL") custom.set(s, null);
    else if (name === "name") {
      try {
        custom.set(s, encodeSection(SectionId.custom, renameFunctions(r)));
      } catch (err) {
        if (!(err instanceof WasmFormatError)) throw err;
        custom.set(s, null); // names are optional: a name section this cannot read goes
      }
    }
  }

  return { bytes: assemble(bytes, sections, replaced, custom), suspendingImports };

  function rewriteBody(r: Reader): Uint8Array {
    const out = new ByteSink();
    let copied = r.pos;
    const localGroups = r.u32();
    for (let j = 0; j < localGroups; j++) {
      r.u32();
      valueType(r);
    }
    walkInstructions(r, (op, start, end) => {
      switch (op) {
        case 0x03: // loop: the check goes first in its body
          out.push(bytes.subarray(copied, end));
          out.push(fuelCheck);
          copied = end;
          return;
        case 0x12: // return_call: a loop of tail calls has no loop instruction
        case 0x13:
        case 0x10:
        case 0xd2:
          out.push(bytes.subarray(copied, start));
          if (op === 0x12 || op === 0x13) out.push(fuelCheck);
          if (op === 0x13) {
            copied = start;
            return;
          }
          out.push([op, ...u32Leb(remap(new Reader(bytes, start + 1).u32()))]);
          copied = end;
          return;
        case 0xfe: {
          const sub = new Reader(bytes, start + 1).u32();
          if (sub === 0x01 || sub === 0x02) {
            throw new SuspensionError(
              "the module uses memory.atomic.wait, which would block every instance on the thread",
            );
          }
          return;
        }
      }
    });
    out.push(bytes.subarray(copied, r.end));
    return out.toBytes();
  }

  function rewriteElements(r: Reader): Uint8Array {
    const out = new ByteSink();
    const n = r.u32();
    out.push(u32Leb(n));
    for (let i = 0; i < n; i++) {
      const flags = r.u32();
      if (flags > 7) throw new WasmFormatError(`unknown element segment form ${flags}`);
      out.push(u32Leb(flags));
      const exprs = (flags & 0x04) !== 0;
      if ((flags & 0x01) === 0) {
        if (flags & 0x02) out.push(u32Leb(r.u32())); // table index
        copyExpr(r, out); // offset
      }
      if ((flags & 0x03) !== 0) {
        const at = r.pos;
        if (exprs) valueType(r);
        else if (r.byte() !== 0x00) throw new WasmFormatError("unknown element kind");
        out.push(bytes.subarray(at, r.pos));
      }
      const items = r.u32();
      out.push(u32Leb(items));
      for (let j = 0; j < items; j++) {
        if (exprs) copyExpr(r, out);
        else out.push(u32Leb(remap(r.u32())));
      }
    }
    expectEnd(r, "element");
    return out.toBytes();
  }

  /** The name section (after its name) with function indices renumbered and the added named. */
  function renameFunctions(r: Reader): Uint8Array {
    const out = new ByteSink();
    out.push(encodeName("name"));
    const shift = (f: number) => (f < importedFuncs ? f : f + 1);
    while (r.pos < r.end) {
      const id = r.byte();
      const size = r.u32();
      const start = r.pos;
      r.skip(size);
      const sub = new Reader(bytes, start, r.pos);
      let content: Uint8Array;
      if (id === 1) {
        const names: [number, number[]][] = vec(sub, (s) => {
          const f = s.u32();
          const at = s.pos;
          readName(s);
          return [shift(f), [...bytes.subarray(at, s.pos)]];
        });
        names.push([yieldIndex, encodeName(`${yieldImport.module}.${yieldImport.name}`)]);
        wrapped.forEach((w, k) => names.push([firstAdded + k, encodeName(`${w.label}.suspend`)]));
        names.push([refuelIndex, encodeName("__runwasi_refuel")]);
        names.push([startIndex, encodeName(suspendingStartExport)]);
        names.sort((a, b) => a[0] - b[0]);
        content = concat([
          u32Leb(names.length),
          ...names.map(([f, name]) => [...u32Leb(f), ...name]),
        ]);
      } else if (id === 2 || id === 3) {
        // local and label names: a name map per function
        const entries = vec(sub, (s) => {
          const f = s.u32();
          const at = s.pos;
          vec(s, (m) => (m.u32(), readName(m)));
          return [...u32Leb(shift(f)), ...bytes.subarray(at, s.pos)];
        });
        content = concat([u32Leb(entries.length), ...entries]);
      } else {
        content = bytes.subarray(start, r.pos);
        sub.pos = sub.end;
      }
      expectEnd(sub, "name");
      out.push([id, ...u32Leb(content.length)]);
      out.push(content);
    }
    return out.toBytes();
  }
}

/**
 * The module with each non-custom section in `replaced` (by id) in place of the original, or
 * inserted in its place in the order when the module had none; custom sections mapped to null
 * are dropped, to bytes replaced (header included).
 */
function assemble(
  bytes: Uint8Array,
  sections: readonly Section[],
  replaced: ReadonlyMap<number, Uint8Array>,
  custom: ReadonlyMap<Section, Uint8Array | null>,
): Uint8Array {
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  const pending = new Map(replaced);
  const emitBefore = (rank: number) => {
    for (const id of sectionOrder.slice(0, rank)) {
      const content = pending.get(id);
      if (content === undefined) continue;
      parts.push(encodeSection(id, content));
      pending.delete(id);
    }
  };
  for (const s of sections) {
    if (s.id === SectionId.custom) {
      const c = custom.get(s);
      if (c !== null) parts.push(c ?? bytes.subarray(s.header, s.end));
      continue;
    }
    const rank = sectionOrder.indexOf(s.id);
    if (rank < 0) throw new WasmFormatError(`unknown section ${s.id}`);
    emitBefore(rank);
    const content = pending.get(s.id);
    pending.delete(s.id);
    parts.push(content ? encodeSection(s.id, content) : bytes.subarray(s.header, s.end));
  }
  emitBefore(sectionOrder.length);
  return concat(parts);
}
