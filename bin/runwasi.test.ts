// The runwasi entry point as a person runs it: a real process, real exit codes and streams.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { it } from "node:test";

const entry = path.join(import.meta.dirname, "runwasi.ts");
/** Resolved here, not by the child: its cwd is a temp dir with no node_modules above it. */
const tsx = import.meta.resolve("tsx");

function runwasi(args: string[], cwd: string) {
  const env = { ...process.env };
  delete env["NODE_EXTRA_CA_CERTS"]; // slows every Node start (architecture.md, decision 2)
  return spawnSync(process.execPath, ["--import", tsx, entry, ...args], {
    cwd,
    env,
    encoding: "utf8",
  });
}

it("`runwasi image build` run as a program writes the tar and exits 0; a bad option exits 2", (t) => {
  const cwd = mkdtempSync(path.join(tmpdir(), "runwasi-bin-"));
  t.after(() => rmSync(cwd, { recursive: true, force: true }));
  writeFileSync(path.join(cwd, "m.wasm"), new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));

  const ok = runwasi(["image", "build", "--name", "m", "-o", "m.tar", "m.wasm"], cwd);
  assert.equal(ok.stderr, "");
  assert.equal(ok.status, 0);
  assert.match(ok.stdout, /^wrote m\.tar: docker\.io\/library\/m:latest/);
  assert.ok(existsSync(path.join(cwd, "m.tar")));

  const bad = runwasi(["image", "build", "--bogus"], cwd);
  assert.equal(bad.status, 2);
  assert.equal(bad.stdout, "");
  assert.match(bad.stderr, /^runwasi image build: Unknown option '--bogus'/);
});
