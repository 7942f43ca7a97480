// The layout is checked the way a consumer reads it: extract the tar with GNU tar, then follow
// index.json → manifest → config and layer by digest, re-hashing every blob.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it, type TestContext } from "node:test";
import { ImageError } from "./errors.js";
import {
  Annotation,
  MediaType,
  buildImage,
  parsePlatform,
  writeImageTar,
  type ImageSpec,
} from "./oci-image.js";

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), "oci-image-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: unknown;
  annotations?: Record<string, string>;
}

/** Extracts `tar` and returns a reader for its files plus a blob reader that checks digest and size. */
function extract(t: TestContext, tar: Uint8Array) {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, "image.tar"), tar);
  mkdirSync(path.join(dir, "x"));
  execFileSync("tar", ["-xf", path.join(dir, "image.tar"), "-C", path.join(dir, "x")]);
  const root = path.join(dir, "x");
  const json = (rel: string): unknown => JSON.parse(readFileSync(path.join(root, rel), "utf8"));
  const blob = (d: Descriptor): Buffer => {
    const bytes = readFileSync(path.join(root, "blobs", ...d.digest.split(":")));
    assert.equal(`sha256:${createHash("sha256").update(bytes).digest("hex")}`, d.digest);
    assert.equal(bytes.length, d.size);
    return bytes;
  };
  return { root, json, blob };
}

const wasm = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
const spec: ImageSpec = {
  name: "docker.io/library/wasmtest:latest",
  entries: [
    { kind: "file", path: "/wasmtest.wasm", content: wasm, mode: 0o755 },
    { kind: "file", path: "/hello.txt", content: "hello from the image\n" },
    { kind: "directory", path: "/data" },
  ],
  config: { entrypoint: ["/wasmtest.wasm"], env: ["PATH=/"], labels: { b: "2", a: "1" } },
};

describe("buildImage", () => {
  it("writes an OCI layout: oci-layout, index.json and three blobs, nothing else", async (t) => {
    const { root, json } = extract(t, (await buildImage(spec)).tar);
    assert.deepEqual(json("oci-layout"), { imageLayoutVersion: "1.0.0" });
    assert.deepEqual(readdirSync(root).sort(), ["blobs", "index.json", "oci-layout"]);
    assert.equal(readdirSync(path.join(root, "blobs/sha256")).length, 3);
  });

  it("names the image on an index entry that has no platform (shim-protocol.md §9.2)", async (t) => {
    const { json } = extract(t, (await buildImage(spec)).tar);
    const index = json("index.json") as {
      schemaVersion: number;
      mediaType: string;
      manifests: Descriptor[];
    };
    assert.equal(index.schemaVersion, 2);
    assert.equal(index.mediaType, MediaType.index);
    assert.equal(index.manifests.length, 1);
    const [entry] = index.manifests;
    assert.equal(entry?.mediaType, MediaType.manifest);
    assert.equal(entry?.platform, undefined);
    assert.deepEqual(entry?.annotations, {
      [Annotation.imageName]: "docker.io/library/wasmtest:latest",
      [Annotation.refName]: "latest",
    });
  });

  it("links manifest, config and layer by digests that match the blob bytes", async (t) => {
    const image = await buildImage(spec);
    const { json, blob } = extract(t, image.tar);
    const [entry] = (json("index.json") as { manifests: Descriptor[] }).manifests;
    assert.ok(entry);
    assert.equal(entry.digest, image.manifestDigest);
    const manifest = JSON.parse(blob(entry).toString()) as {
      config: Descriptor;
      layers: Descriptor[];
    };
    assert.equal(manifest.config.mediaType, MediaType.config);
    assert.equal(manifest.config.digest, image.configDigest);
    assert.equal(manifest.layers.length, 1);
    assert.equal(manifest.layers[0]?.mediaType, MediaType.layer);
    assert.equal(manifest.layers[0]?.digest, image.layerDigest);

    const config = JSON.parse(blob(manifest.config).toString()) as Record<string, unknown>;
    assert.deepEqual(config, {
      architecture: "wasm",
      os: "wasip1",
      config: { Env: ["PATH=/"], Entrypoint: ["/wasmtest.wasm"], Labels: { a: "1", b: "2" } },
      // Uncompressed layer: the diff_id is the layer digest itself.
      rootfs: { type: "layers", diff_ids: [image.layerDigest] },
    });
    const layer = manifest.layers[0];
    assert.ok(layer);
    const layerFile = path.join(tempDir(t), "layer.tar");
    writeFileSync(layerFile, blob(layer));
    const members = execFileSync("tar", ["-tf", layerFile], { encoding: "utf8" })
      .trim()
      .split("\n");
    assert.deepEqual(members, ["data/", "hello.txt", "wasmtest.wasm"]);
  });

  it("is deterministic: the same spec gives the same bytes and digests", async () => {
    const a = await buildImage(spec);
    const b = await buildImage({ ...spec, entries: [...spec.entries].reverse() });
    assert.deepEqual(a.tar, b.tar);
    assert.equal(a.manifestDigest, b.manifestDigest);
  });

  it("changes the manifest digest when any content changes", async () => {
    const a = await buildImage(spec);
    const b = await buildImage({
      ...spec,
      entries: [...spec.entries, { kind: "file", path: "/extra", content: "" }],
    });
    const c = await buildImage({ ...spec, config: { ...spec.config, env: ["PATH=/bin"] } });
    assert.notEqual(a.manifestDigest, b.manifestDigest);
    assert.notEqual(a.manifestDigest, c.manifestDigest);
    assert.equal(a.layerDigest, c.layerDigest);
  });

  it("records `created` in the config and as every member's mtime", async (t) => {
    const created = new Date("2024-05-01T12:00:00Z");
    const image = await buildImage({ ...spec, created });
    const { json, blob } = extract(t, image.tar);
    const [entry] = (json("index.json") as { manifests: Descriptor[] }).manifests;
    assert.ok(entry);
    const manifest = JSON.parse(blob(entry).toString()) as { config: Descriptor };
    const config = JSON.parse(blob(manifest.config).toString()) as { created: string };
    assert.equal(config.created, "2024-05-01T12:00:00.000Z");
    const file = path.join(tempDir(t), "i.tar");
    writeFileSync(file, image.tar);
    const listing = execFileSync("tar", ["--full-time", "-tvf", file], {
      encoding: "utf8",
      env: { ...process.env, TZ: "UTC" },
    });
    for (const line of listing.trim().split("\n")) assert.match(line, /2024-05-01 12:00:00/);
  });

  it("normalises the name it stores", async (t) => {
    const image = await buildImage({ ...spec, name: "app" });
    assert.equal(image.name, "docker.io/library/app:latest");
    const { json } = extract(t, image.tar);
    const [entry] = (json("index.json") as { manifests: Descriptor[] }).manifests;
    assert.equal(entry?.annotations?.[Annotation.imageName], "docker.io/library/app:latest");
  });

  it("refuses an environment item without '=' and a relative working directory", async () => {
    await assert.rejects(
      buildImage({ ...spec, config: { env: ["NOVALUE"] } }),
      (err: unknown) =>
        err instanceof ImageError && err.code === "IMAGE_BAD_CONFIG" && /NOVALUE/.test(err.message),
    );
    await assert.rejects(
      buildImage({ ...spec, config: { workingDir: "data" } }),
      (err: unknown) => err instanceof ImageError && err.code === "IMAGE_BAD_CONFIG",
    );
  });
});

describe("writeImageTar", () => {
  it("creates parent directories and leaves no partial file behind", async (t) => {
    const dir = tempDir(t);
    const out = path.join(dir, "deep/er/image.tar");
    const image = await writeImageTar(out, spec);
    assert.deepEqual(new Uint8Array(readFileSync(out)), image.tar);
    assert.deepEqual(readdirSync(path.dirname(out)), ["image.tar"]);
  });

  it("fails, rather than spinning, when the directory cannot be created (below /proc)", async () => {
    // Node 20's recursive mkdir loops forever here; writeImageTar must not use it.
    await assert.rejects(writeImageTar("/proc/no-such-dir/x/image.tar", spec), { code: "ENOENT" });
  });

  it("writes nothing when the spec is invalid", async (t) => {
    const out = path.join(tempDir(t), "bad.tar");
    await assert.rejects(writeImageTar(out, { ...spec, name: "Bad" }), ImageError);
    assert.equal(existsSync(out), false);
  });
});

describe("parsePlatform", () => {
  it("splits OS/ARCH[/VARIANT]", () => {
    assert.deepEqual(parsePlatform("wasip1/wasm"), { os: "wasip1", architecture: "wasm" });
    assert.deepEqual(parsePlatform("linux/arm64/v8"), {
      os: "linux",
      architecture: "arm64",
      variant: "v8",
    });
  });

  it("refuses anything else with an example of the syntax", () => {
    for (const bad of ["wasm", "linux/", "/amd64", "a/b/c/d", "a/b/"]) {
      assert.throws(
        () => parsePlatform(bad),
        /expected OS\/ARCH\[\/VARIANT\], e\.g\. wasip1\/wasm/,
        bad,
      );
    }
  });
});
