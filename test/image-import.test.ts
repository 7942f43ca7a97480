// The images `make wasm` builds, checked where they are used: a private containerd 1.6.20 must
// import them with a plain `ctr image import` (no flags; shim-protocol.md §9.2), store them under
// their full names, unpack the files the demo needs, and run the busybox baseline under runc.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { startContainerd, type Containerd } from "./harness/containerd.js";

const root = path.resolve(import.meta.dirname, "..");
const wasmtestTar = path.join(root, "build/images/wasmtest.tar");
const busyboxTar = path.join(root, "build/images/busybox.tar");
const wasmtest = "docker.io/library/wasmtest:latest";
const busybox = "docker.io/library/busybox-baseline:latest";

/** The manifest digest the tar's index.json points at: what containerd must store as the image. */
function manifestDigest(tar: string): string {
  const index = JSON.parse(
    execFileSync("tar", ["-xOf", tar, "index.json"], { encoding: "utf8" }),
  ) as {
    manifests: { digest: string }[];
  };
  return index.manifests[0]?.digest ?? "";
}

describe("image tars in a private containerd", () => {
  let c: Containerd;

  before(async () => {
    for (const tar of [wasmtestTar, busyboxTar]) {
      if (!existsSync(tar)) throw new Error(`${tar} is missing: run \`make wasm\` first`);
    }
    c = await startContainerd();
  });

  after(async () => {
    await c?.stop();
  });

  it("imports wasmtest.tar with a plain `ctr image import` and lists it by its full name", async () => {
    const imported = await c.ctr(["image", "import", wasmtestTar]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.doesNotMatch(imported.stdout + imported.stderr, /filtered out/);

    const listed = await c.ctr(["images", "ls"]);
    assert.equal(listed.code, 0, listed.stderr);
    const row = listed.stdout.split("\n").find((line) => line.startsWith(`${wasmtest} `));
    assert.ok(row, `${wasmtest} not in:\n${listed.stdout}`);
    // The image is the manifest (not an index), with the digest the tar's index.json names.
    assert.match(row, /application\/vnd\.oci\.image\.manifest\.v1\+json/);
    assert.ok(row.includes(manifestDigest(wasmtestTar)), row);
  });

  it("unpacks wasmtest's rootfs: the module, /hello.txt and an empty /data", async (t) => {
    const imported = await c.ctr(["image", "import", wasmtestTar]);
    assert.equal(imported.code, 0, imported.stderr);
    // Under the harness's dir, so its stop() unmounts it even if this test dies half-way.
    const target = mkdtempSync(path.join(c.dir, "mount-"));
    t.after(async () => {
      await c.ctr(["images", "unmount", "--rm", target]);
      rmSync(target, { recursive: true, force: true });
    });
    const mounted = await c.ctr(["images", "mount", wasmtest, target]);
    assert.equal(mounted.code, 0, mounted.stderr);

    assert.deepEqual(readdirSync(target).sort(), ["data", "hello.txt", "wasmtest.wasm"]);
    assert.equal(readFileSync(path.join(target, "hello.txt"), "utf8"), "hello from the image\n");
    assert.deepEqual(readdirSync(path.join(target, "data")), []);
    assert.ok(statSync(path.join(target, "data")).isDirectory());
    const module = readFileSync(path.join(target, "wasmtest.wasm"));
    assert.deepEqual([...module.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d]);
    assert.deepEqual(module, readFileSync(path.join(root, "build/wasm/wasmtest.wasm")));
  });

  it("runs the busybox baseline under runc: `ctr run --rm … x echo hi` prints hi", async () => {
    const imported = await c.ctr(["image", "import", busyboxTar]);
    assert.equal(imported.code, 0, imported.stderr);
    const run = await c.ctr(["run", "--rm", busybox, "x", "echo", "hi"]);
    assert.equal(run.stderr, "");
    assert.equal(run.stdout, "hi\n");
    assert.equal(run.code, 0);
  });
});
