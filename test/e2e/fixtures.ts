// Images the end-to-end tests run: the demo (built by `make build` into build/images) and a
// fixtures image of edge cases, built here from the WAT fixtures in testdata/wat.
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { writeImageTar } from "../../image/index.js";

export const repoRoot = path.resolve(import.meta.dirname, "../..");
export const binDir = path.join(repoRoot, "dist/bin");
export const demoImage = "docker.io/library/wasmtest:latest";
export const demoImageTar = path.join(repoRoot, "build/images/wasmtest.tar");
export const fixturesImage = "docker.io/library/wasm-fixtures:latest";

/** Fails with the command that fixes it when the build outputs the tests need are missing. */
export function requireBuilt(): void {
  for (const f of [path.join(binDir, "containerd-shim-v8-v1"), demoImageTar]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`make build\` first`);
  }
}

/**
 * An image without an entrypoint holding one module per edge case, so each test names the module
 * to run: a trap, a module without _start, a custom export, WAT text, and a file that is not wasm.
 */
export async function buildFixturesImage(): Promise<string> {
  const wasm = (name: string) => readFileSync(path.join(repoRoot, "build/wasm", `${name}.wasm`));
  const wat = (name: string) => readFileSync(path.join(repoRoot, "testdata/wat", name));
  const dir = await mkdtemp(path.join(tmpdir(), "fixtures-image-"));
  const file = path.join(dir, "fixtures.tar");
  await writeImageTar(file, {
    name: fixturesImage,
    entries: [
      { kind: "file", path: "/trap.wasm", content: wasm("trap") },
      { kind: "file", path: "/no-start.wasm", content: wasm("no-start") },
      { kind: "file", path: "/exit-code.wasm", content: wasm("exit-code") },
      { kind: "file", path: "/custom-export.wasm", content: wasm("custom-export") },
      { kind: "file", path: "/custom-export.wat", content: wat("custom-export.wat") },
      { kind: "file", path: "/not-wasm.txt", content: wat("not-wasm.txt") },
      { kind: "symlink", path: "/escape.wasm", target: "/../../../../../../etc/passwd" },
    ],
    config: { env: ["PATH=/"] },
  });
  return file;
}
