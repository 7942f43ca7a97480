import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it, type TestContext } from "node:test";
import { ImageError, type ImageErrorCode } from "./errors.js";
import { buildLayer, imagePath, type LayerEntry } from "./layer.js";

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), "layer-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** GNU tar's listing of a layer: "<mode> <name>[ -> target]" per member, in archive order. */
function listing(t: TestContext, tar: Uint8Array): string[] {
  const file = path.join(tempDir(t), "layer.tar");
  writeFileSync(file, tar);
  return execFileSync("tar", ["-tvf", file], { encoding: "utf8" })
    .trimEnd()
    .split("\n")
    .map((line) => {
      const f = line.split(/\s+/);
      return [f[0], ...f.slice(5)].join(" ");
    });
}

const code =
  (expected: ImageErrorCode) =>
  (err: unknown): boolean =>
    err instanceof ImageError && err.code === expected;

describe("buildLayer", () => {
  it("adds missing parent directories and sorts members by path", async (t) => {
    const tar = await buildLayer([
      { kind: "file", path: "/usr/share/doc/readme", content: "r" },
      { kind: "file", path: "/app.wasm", content: new Uint8Array([0, 0x61, 0x73, 0x6d]) },
      { kind: "directory", path: "/data" },
      { kind: "symlink", path: "/usr/bin", target: "/bin" },
    ]);
    assert.deepEqual(listing(t, tar), [
      "-rw-r--r-- app.wasm",
      "drwxr-xr-x data/",
      "drwxr-xr-x usr/",
      "lrwxrwxrwx usr/bin -> /bin",
      "drwxr-xr-x usr/share/",
      "drwxr-xr-x usr/share/doc/",
      "-rw-r--r-- usr/share/doc/readme",
    ]);
  });

  it("gives the same bytes whatever order the entries come in", async () => {
    const entries: LayerEntry[] = [
      { kind: "file", path: "/b", content: "b" },
      { kind: "file", path: "/a/x", content: "x" },
      { kind: "directory", path: "/c" },
    ];
    assert.deepEqual(await buildLayer(entries), await buildLayer([...entries].reverse()));
  });

  it("keeps only the execute bit of host files, whatever the umask", async (t) => {
    const dir = tempDir(t);
    writeFileSync(path.join(dir, "tool"), "#!/bin/sh\n");
    chmodSync(path.join(dir, "tool"), 0o700);
    writeFileSync(path.join(dir, "notes"), "n");
    chmodSync(path.join(dir, "notes"), 0o600);
    const tar = await buildLayer([
      { kind: "file", path: "/tool", hostPath: path.join(dir, "tool") },
      { kind: "file", path: "/notes", hostPath: path.join(dir, "notes") },
      { kind: "file", path: "/forced", hostPath: path.join(dir, "notes"), mode: 0o400 },
    ]);
    assert.deepEqual(listing(t, tar), ["-r-------- forced", "-rw-r--r-- notes", "-rwxr-xr-x tool"]);
  });

  it("copies a host directory tree, keeping symlinks as links", async (t) => {
    const dir = tempDir(t);
    mkdirSync(path.join(dir, "www/css"), { recursive: true });
    writeFileSync(path.join(dir, "www/index.html"), "<p>hi</p>");
    writeFileSync(path.join(dir, "www/css/site.css"), "p{}");
    symlinkSync("index.html", path.join(dir, "www/home.html"));
    const tar = await buildLayer([
      { kind: "directory", path: "/srv/www", hostPath: path.join(dir, "www") },
    ]);
    assert.deepEqual(listing(t, tar), [
      "drwxr-xr-x srv/",
      "drwxr-xr-x srv/www/",
      "drwxr-xr-x srv/www/css/",
      "-rw-r--r-- srv/www/css/site.css",
      "lrwxrwxrwx srv/www/home.html -> index.html",
      "-rw-r--r-- srv/www/index.html",
    ]);
  });

  it("refuses a path given twice", async () => {
    await assert.rejects(
      buildLayer([
        { kind: "file", path: "/a", content: "1" },
        { kind: "file", path: "a", content: "2" },
      ]),
      code("IMAGE_PATH_CONFLICT"),
    );
  });

  it("refuses a file where another entry needs a directory", async () => {
    await assert.rejects(
      buildLayer([
        { kind: "file", path: "/etc", content: "" },
        { kind: "file", path: "/etc/hosts", content: "" },
      ]),
      (err: unknown) => code("IMAGE_PATH_CONFLICT")(err) && /\/etc is a file/.test(String(err)),
    );
  });

  it("names the host file that is missing or is a directory", async (t) => {
    const dir = tempDir(t);
    await assert.rejects(
      buildLayer([{ kind: "file", path: "/x", hostPath: path.join(dir, "nope") }]),
      (err: unknown) => code("IMAGE_BAD_SOURCE")(err) && /nope does not exist/.test(String(err)),
    );
    await assert.rejects(
      buildLayer([{ kind: "file", path: "/x", hostPath: dir }]),
      (err: unknown) => code("IMAGE_BAD_SOURCE")(err) && /not a regular file/.test(String(err)),
    );
  });
});

describe("imagePath", () => {
  it("normalises slashes and dots", () => {
    assert.equal(imagePath("/app.wasm"), "app.wasm");
    assert.equal(imagePath("app.wasm"), "app.wasm");
    assert.equal(imagePath("//a/./b//"), "a/b");
  });

  it("refuses '..', the root itself, and NUL bytes", () => {
    for (const bad of ["/a/../b", "..", "/", "", ".", "a\0b"]) {
      assert.throws(() => imagePath(bad), code("IMAGE_BAD_PATH"), JSON.stringify(bad));
    }
  });
});
