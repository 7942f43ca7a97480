// Test support: compiles the C programs under wasi/ with Debian's clang (wasm32-wasi) and WAT with
// the wabt package, caching modules under build/wasm/wasi/ keyed by a hash of the source, so a
// test run compiles each program at most once.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import wabtInit from "wabt";

const wasiDir = path.resolve(import.meta.dirname, "..");
const cacheDir = path.resolve(wasiDir, "..", "build", "wasm", "wasi");
const modules = new Map<string, WebAssembly.Module>();

/** Compiles `wasi/<relPath>` (a C file) once and returns its module. */
export function compileC(relPath: string): WebAssembly.Module {
  const cached = modules.get(relPath);
  if (cached) return cached;
  const source = path.join(wasiDir, relPath);
  // The key covers the headers beside the source too (conformance/check.h).
  const hasher = createHash("sha256").update(readFileSync(source));
  for (const h of readdirSync(path.dirname(source))
    .filter((f) => f.endsWith(".h"))
    .sort()) {
    hasher.update(readFileSync(path.join(path.dirname(source), h)));
  }
  const hash = hasher.digest("hex").slice(0, 16);
  mkdirSync(cacheDir, { recursive: true });
  const out = path.join(cacheDir, `${path.basename(relPath, ".c")}-${hash}.wasm`);
  if (!existsSync(out)) {
    const tmp = `${out}.${process.pid}.tmp`;
    execFileSync("clang", ["--target=wasm32-wasi", "-O2", "-Wall", "-o", tmp, source], {
      stdio: ["ignore", "inherit", "inherit"],
    });
    renameSync(tmp, out); // atomic: parallel test files may compile the same program
  }
  const module = new WebAssembly.Module(readFileSync(out));
  modules.set(relPath, module);
  return module;
}

let wabt: Awaited<ReturnType<typeof wabtInit>> | undefined;

/** Assembles WAT text to a module; `threads` allows shared memories. */
export async function compileWat(text: string, threads = false): Promise<WebAssembly.Module> {
  wabt ??= await wabtInit();
  const parsed = wabt.parseWat("test.wat", text, { threads });
  try {
    const { buffer } = parsed.toBinary({});
    return new WebAssembly.Module(buffer);
  } finally {
    parsed.destroy();
  }
}

/** Writes a file, creating its directory. */
export function put(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}
