// Compiles the benchmark programs (bench/programs/*.c) the way the rest of the project builds its
// wasm (architecture.md, "Dependencies": Debian's clang with wasi-libc, no --sysroot), plus the
// native reference of the compute kernel with gcc. Outputs are rebuilt only when their source is
// newer than them.
import { execFile } from "node:child_process";
import { mkdirSync, statSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const sourceDir = path.join(import.meta.dirname, "programs");

/** Paths of the built programs. */
export interface Programs {
  /** The n-body kernel as wasm (`compute.wasm STEPS`). */
  readonly computeWasm: string;
  /** The same C compiled natively with gcc -O2. */
  readonly computeNative: string;
  /** A wasi-libc hello. */
  readonly helloWasm: string;
  /** The file-heavy program (`files.wasm COUNT DIR`). */
  readonly filesWasm: string;
}

/** Builds what is missing or stale under `outDir` and returns the paths. */
export async function buildPrograms(outDir: string): Promise<Programs> {
  mkdirSync(outDir, { recursive: true });
  const programs: Programs = {
    computeWasm: path.join(outDir, "compute.wasm"),
    computeNative: path.join(outDir, "compute"),
    helloWasm: path.join(outDir, "hello.wasm"),
    filesWasm: path.join(outDir, "files.wasm"),
  };
  const wasm = ["--target=wasm32-wasi", "-O2", "-Wall", "-Wextra"];
  await Promise.all([
    compile("clang", "compute.c", programs.computeWasm, wasm),
    compile("gcc", "compute.c", programs.computeNative, ["-O2", "-Wall", "-Wextra"], ["-lm"]),
    compile("clang", "hello.c", programs.helloWasm, wasm),
    compile("clang", "files.c", programs.filesWasm, wasm),
  ]);
  return programs;
}

async function compile(
  compiler: string,
  source: string,
  out: string,
  flags: readonly string[],
  libs: readonly string[] = [],
): Promise<void> {
  const src = path.join(sourceDir, source);
  if (isNewer(out, src)) return;
  await run(compiler, [...flags, "-o", out, src, ...libs]);
}

function isNewer(a: string, b: string): boolean {
  try {
    return statSync(a).mtimeMs >= statSync(b).mtimeMs;
  } catch {
    return false;
  }
}
