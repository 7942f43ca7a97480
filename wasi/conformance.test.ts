// The conformance suite: every wasi/conformance/<name>.c runs against this host and must print
// exactly <name>.stdout and exit with the code in its "// exit: N" line (default 0). Each gets a
// fresh writable preopen "/sandbox", a read-only preopen "/ro" holding file.txt and sub/, and
// <name>.stdin (if present) as a regular-file stdin.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Wasi } from "./index.js";
import { compileC } from "./testdata/build.js";

const dir = path.join(import.meta.dirname, "conformance");
const programs = readdirSync(dir)
  .filter((f) => f.endsWith(".c"))
  .map((f) => f.slice(0, -2))
  .sort();

for (const name of programs) {
  const source = readFileSync(path.join(dir, `${name}.c`), "utf8");
  const wantExit = Number(/^\/\/ exit: (\d+)$/m.exec(source)?.[1] ?? 0);
  const wantStdout = readFileSync(path.join(dir, `${name}.stdout`), "utf8");

  test(`conformance: ${name} prints its expected output and exits ${wantExit}`, (t) => {
    const tmp = mkdtempSync(path.join(tmpdir(), `wasi-conf-${name}-`));
    t.after(() => rmSync(tmp, { recursive: true, force: true }));
    const sandbox = path.join(tmp, "sandbox");
    const ro = path.join(tmp, "ro");
    mkdirSync(sandbox);
    mkdirSync(path.join(ro, "sub"), { recursive: true });
    writeFileSync(path.join(ro, "file.txt"), "read-only\n");
    const stdinPath = path.join(dir, `${name}.stdin`);
    const stdin = existsSync(stdinPath) ? openSync(stdinPath, "r") : undefined;
    const stdout = openSync(path.join(tmp, "stdout"), "w");
    const stderr = openSync(path.join(tmp, "stderr"), "w");
    let code: number;
    try {
      const wasi = new Wasi({
        args: [name, "arg1"],
        env: ["CONFORMANCE=1"],
        preopens: [
          { guestPath: "/sandbox", hostPath: sandbox },
          { guestPath: "/ro", hostPath: ro, readOnly: true },
        ],
        stdin,
        stdout,
        stderr,
      });
      code = wasi.start(new WebAssembly.Instance(compileC(`conformance/${name}.c`), wasi.imports));
    } finally {
      if (stdin !== undefined) closeSync(stdin);
      closeSync(stdout);
      closeSync(stderr);
    }
    assert.equal(readFileSync(path.join(tmp, "stdout"), "utf8"), wantStdout);
    assert.equal(code, wantExit);
  });
}
