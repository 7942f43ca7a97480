// The writer is checked against GNU tar, an independent reader: if GNU tar lists and extracts what
// we meant, so will containerd's Go reader (both implement ustar + pax).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it, type TestContext } from "node:test";
import { ImageError } from "./errors.js";
import { splitUstarPath, writeTar, type TarEntry } from "./tar-writer.js";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), "tar-writer-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes the archive and returns GNU tar's verbose listing lines (mode owner size date time name). */
function gnuList(t: TestContext, tar: Uint8Array): string[] {
  const file = path.join(tempDir(t), "a.tar");
  writeFileSync(file, tar);
  const out = execFileSync("tar", ["--numeric-owner", "--full-time", "-tvf", file], {
    encoding: "utf8",
  });
  return out.trimEnd().split("\n");
}

function gnuExtract(t: TestContext, tar: Uint8Array): string {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, "a.tar"), tar);
  execFileSync("mkdir", [path.join(dir, "x")]);
  execFileSync("tar", ["-xf", path.join(dir, "a.tar"), "-C", path.join(dir, "x")]);
  return path.join(dir, "x");
}

/** The typeflag byte of every header in the archive, in order (skipping file data blocks). */
function typeflags(tar: Uint8Array): string[] {
  const flags: string[] = [];
  for (let at = 0; at + 512 <= tar.length;) {
    const block = tar.subarray(at, at + 512);
    if (block.every((b) => b === 0)) break;
    flags.push(String.fromCharCode(block[156] ?? 0));
    const size = parseInt(new TextDecoder().decode(block.subarray(124, 135)), 8);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return flags;
}

const sample: TarEntry[] = [
  { type: "directory", path: "bin", mode: 0o755 },
  { type: "file", path: "bin/busybox", mode: 0o755, data: text("#!fake\n") },
  { type: "symlink", path: "bin/sh", target: "busybox" },
  { type: "file", path: "hello.txt", mode: 0o644, data: text("hello from the image\n") },
];

describe("writeTar", () => {
  it("writes files, directories and symlinks that GNU tar lists with mode, owner 0/0 and mtime", (t) => {
    const lines = gnuList(t, writeTar(sample, { mtimeSeconds: 1_700_000_000 }));
    assert.deepEqual(
      lines.map((l) => l.replace(/\s+/g, " ")),
      [
        "drwxr-xr-x 0/0 0 2023-11-14 22:13:20 bin/",
        "-rwxr-xr-x 0/0 7 2023-11-14 22:13:20 bin/busybox",
        "lrwxrwxrwx 0/0 0 2023-11-14 22:13:20 bin/sh -> busybox",
        "-rw-r--r-- 0/0 21 2023-11-14 22:13:20 hello.txt",
      ],
    );
  });

  it("round-trips file contents and link targets through extraction", (t) => {
    const dir = gnuExtract(t, writeTar(sample));
    assert.equal(readFileSync(path.join(dir, "hello.txt"), "utf8"), "hello from the image\n");
    assert.equal(readlinkSync(path.join(dir, "bin/sh")), "busybox");
    assert.equal(statSync(path.join(dir, "bin/busybox")).mode & 0o777, 0o755);
  });

  it("ends with two zero blocks and pads to whole 512-byte blocks", () => {
    const tar = writeTar(sample);
    assert.equal(tar.length % 512, 0);
    assert.ok(tar.subarray(tar.length - 1024).every((b) => b === 0));
    // 4 headers + 2 data blocks + 2 end blocks.
    assert.equal(tar.length, 512 * 8);
  });

  it("stores a correct header checksum: six octal digits, NUL, space", () => {
    const block = writeTar(sample).subarray(0, 512);
    const field = new TextDecoder().decode(block.subarray(148, 156));
    assert.match(field, /^[0-7]{6}\0 $/);
    const unsummed = Uint8Array.from(block);
    unsummed.fill(0x20, 148, 156);
    assert.equal(
      parseInt(field.slice(0, 6), 8),
      unsummed.reduce((a, b) => a + b, 0),
    );
  });

  it("gives identical bytes for identical entries", () => {
    assert.deepEqual(writeTar(sample), writeTar(sample.map((e) => ({ ...e }))));
  });

  it("keeps the sticky bit of a directory mode", (t) => {
    const [line] = gnuList(t, writeTar([{ type: "directory", path: "tmp", mode: 0o1777 }]));
    assert.match(line ?? "", /^drwxrwxrwt /);
  });

  it("splits a 150-byte path into ustar prefix and name, with no pax header", (t) => {
    const long = `${"d".repeat(120)}/${"f".repeat(29)}`;
    const tar = writeTar([{ type: "file", path: long, mode: 0o644, data: text("x") }]);
    assert.deepEqual(typeflags(tar), ["0"]);
    assert.match(gnuList(t, tar)[0] ?? "", new RegExp(`${long}$`));
  });

  it("records a path that no ustar split fits in a pax header", (t) => {
    const cases = ["x".repeat(200), `${"a".repeat(160)}/b`, `${"p/".repeat(150)}leaf`];
    for (const long of cases) {
      const tar = writeTar([{ type: "file", path: long, mode: 0o644, data: text("pax") }]);
      assert.deepEqual(typeflags(tar), ["x", "0"], long);
      const dir = gnuExtract(t, tar);
      assert.equal(readFileSync(path.join(dir, long), "utf8"), "pax");
    }
  });

  it("records a long directory path in a pax header, keeping the trailing slash", (t) => {
    const long = "d".repeat(180);
    const tar = writeTar([{ type: "directory", path: long, mode: 0o755 }]);
    assert.deepEqual(typeflags(tar), ["x", "5"]);
    assert.match(gnuList(t, tar)[0] ?? "", new RegExp(`${long}/$`));
  });

  it("records non-ASCII paths in pax so every reader decodes them as UTF-8", (t) => {
    const tar = writeTar([{ type: "file", path: "ünï/🦀.txt", mode: 0o644, data: text("u") }]);
    assert.deepEqual(typeflags(tar), ["x", "0"]);
    assert.match(gnuList(t, tar)[0] ?? "", /ünï\/🦀\.txt$/);
  });

  it("records a symlink target longer than 100 bytes in a pax linkpath", (t) => {
    const target = `/${"t".repeat(150)}`;
    const tar = writeTar([{ type: "symlink", path: "link", target }]);
    assert.deepEqual(typeflags(tar), ["x", "2"]);
    assert.equal(readlinkSync(path.join(gnuExtract(t, tar), "link")), target);
  });

  it("refuses a path with a NUL byte", () => {
    assert.throws(
      () => writeTar([{ type: "file", path: "a\0b", mode: 0o644, data: text("") }]),
      (err: unknown) => err instanceof ImageError && err.code === "IMAGE_BAD_PATH",
    );
  });
});

describe("splitUstarPath", () => {
  it("keeps paths of up to 100 bytes whole", () => {
    assert.deepEqual(splitUstarPath("a".repeat(100)), ["", "a".repeat(100)]);
  });

  it("splits at the last slash that leaves a prefix of at most 155 bytes", () => {
    const p = `${"a".repeat(100)}/${"b".repeat(50)}/${"c".repeat(10)}`;
    assert.deepEqual(splitUstarPath(p), [`${"a".repeat(100)}/${"b".repeat(50)}`, "c".repeat(10)]);
  });

  it("never splits at a directory's trailing slash", () => {
    assert.equal(splitUstarPath(`${"a".repeat(120)}/`), undefined);
    assert.deepEqual(splitUstarPath(`a/${"b".repeat(99)}/`), ["a", `${"b".repeat(99)}/`]);
  });

  it("gives up when the name part would exceed 100 bytes or the path is not ASCII", () => {
    assert.equal(splitUstarPath(`a/${"b".repeat(101)}`), undefined);
    assert.equal(splitUstarPath("é".repeat(120)), undefined);
    assert.equal(splitUstarPath("x".repeat(257)), undefined);
  });
});
