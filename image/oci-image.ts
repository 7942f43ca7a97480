// Assembles an OCI image layout (image-spec v1.0 `image-layout.md`) as one tar that containerd
// 1.6.20's `ctr image import` accepts with no flags: one uncompressed tar layer, a config, a
// manifest, and an index whose single entry names the image and carries NO platform
// (shim-protocol.md §9.1–9.2: a `wasip1/wasm` platform there makes a plain import import nothing).
import { createHash } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { ImageError } from "./errors.js";
import { buildLayer, type LayerEntry } from "./layer.js";
import { parseImageReference } from "./reference.js";
import { writeTar, type TarEntry } from "./tar-writer.js";

/** OCI image-spec media types (`media-types.md`). */
export const MediaType = {
  index: "application/vnd.oci.image.index.v1+json",
  manifest: "application/vnd.oci.image.manifest.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar",
} as const;

/** Annotation keys on the index entry: containerd's image name, and the OCI tag. */
export const Annotation = {
  imageName: "io.containerd.image.name",
  refName: "org.opencontainers.image.ref.name",
} as const;

/** The image's run configuration and platform (image-spec `config.md`). */
export interface ImageConfig {
  /** Default "wasip1". */
  readonly os?: string;
  /** Default "wasm". */
  readonly architecture?: string;
  readonly variant?: string;
  /** For a wasm image, element 0 is the module path inside the image (shim-protocol.md §6). */
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
  /** "KEY=value" items, in order. */
  readonly env?: readonly string[];
  /** Absolute path; when absent containerd uses "/". */
  readonly workingDir?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** Everything one image is made of. */
export interface ImageSpec {
  /** Image name, normalised by `parseImageReference` ("app" → "docker.io/library/app:latest"). */
  readonly name: string;
  /** The contents of the image's single layer. */
  readonly entries: readonly LayerEntry[];
  readonly config?: ImageConfig;
  /**
   * Recorded as the config's `created` and as every tar member's mtime. Absent: no `created`,
   * mtime 0 — the default keeps builds reproducible.
   */
  readonly created?: Date;
}

/** The built image: the tar's bytes plus the digests a caller may want to print or check. */
export interface BuiltImage {
  /** The normalised name stored in the index. */
  readonly name: string;
  readonly tar: Uint8Array;
  /** "sha256:…" of the manifest: the image's identity (`ctr images ls` DIGEST). */
  readonly manifestDigest: string;
  readonly configDigest: string;
  /** The layer is uncompressed, so this is also its diff_id. */
  readonly layerDigest: string;
}

interface Blob {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly bytes: Uint8Array;
}

/** Builds the OCI layout tar for `spec` in memory. Same spec (and file contents) → same bytes. */
export async function buildImage(spec: ImageSpec): Promise<BuiltImage> {
  const ref = parseImageReference(spec.name);
  const mtimeSeconds = spec.created === undefined ? 0 : Math.floor(spec.created.getTime() / 1000);
  const layer = blob(MediaType.layer, await buildLayer(spec.entries, mtimeSeconds));
  const config = blob(MediaType.config, json(imageConfig(spec, layer.digest)));
  const manifest = blob(
    MediaType.manifest,
    json({
      schemaVersion: 2,
      mediaType: MediaType.manifest,
      config: descriptor(config),
      layers: [descriptor(layer)],
    }),
  );
  const index = json({
    schemaVersion: 2,
    mediaType: MediaType.index,
    manifests: [
      {
        ...descriptor(manifest),
        annotations: { [Annotation.imageName]: ref.name, [Annotation.refName]: ref.tag },
      },
    ],
  });

  const blobs = [layer, config, manifest].sort((a, b) => (a.digest < b.digest ? -1 : 1));
  const members: TarEntry[] = [
    { type: "directory", path: "blobs", mode: 0o755 },
    { type: "directory", path: "blobs/sha256", mode: 0o755 },
    // Blobs are content-addressed and never change: read-only, as `ctr image export` writes them.
    ...blobs.map((b): TarEntry => ({
      type: "file",
      path: blobPath(b.digest),
      mode: 0o444,
      data: b.bytes,
    })),
    { type: "file", path: "index.json", mode: 0o644, data: index },
    { type: "file", path: "oci-layout", mode: 0o644, data: json({ imageLayoutVersion: "1.0.0" }) },
  ];
  return {
    name: ref.name,
    tar: writeTar(members, { mtimeSeconds }),
    manifestDigest: manifest.digest,
    configDigest: config.digest,
    layerDigest: layer.digest,
  };
}

/**
 * Builds the image and writes it to `file`, creating parent directories. The tar appears whole or
 * not at all (written beside it, then renamed), so an interrupted build never leaves a torn file.
 */
export async function writeImageTar(file: string, spec: ImageSpec): Promise<BuiltImage> {
  const image = await buildImage(spec);
  await ensureDir(path.dirname(path.resolve(file)));
  const partial = `${file}.partial-${process.pid}`;
  try {
    await writeFile(partial, image.tar);
    await rename(partial, file);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  return image;
}

/**
 * `mkdir -p`, one level at a time. Node 20's `mkdir(…, { recursive: true })` spins forever on a
 * path below /proc (the kernel answers ENOENT for a directory that exists), so it is not used.
 */
async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return;
    if (code !== "ENOENT" || path.dirname(dir) === dir) throw err;
    await ensureDir(path.dirname(dir));
    await mkdir(dir).catch((again: NodeJS.ErrnoException) => {
      if (again.code !== "EEXIST") throw again;
    });
  }
}

/** Splits "os/arch[/variant]" (containerd's platform syntax) into config fields. */
export function parsePlatform(text: string): Required<Pick<ImageConfig, "os" | "architecture">> & {
  readonly variant?: string;
} {
  const [os, architecture, variant, ...extra] = text.split("/");
  if (!os || !architecture || variant === "" || extra.length > 0) {
    throw new ImageError(
      "IMAGE_BAD_CONFIG",
      `invalid platform ${JSON.stringify(text)}: expected OS/ARCH[/VARIANT], e.g. wasip1/wasm or linux/amd64`,
    );
  }
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

function imageConfig(spec: ImageSpec, layerDigest: string): object {
  const c = spec.config ?? {};
  for (const item of c.env ?? []) {
    if (item.indexOf("=") <= 0) {
      throw new ImageError(
        "IMAGE_BAD_CONFIG",
        `environment item ${JSON.stringify(item)} must be KEY=value`,
      );
    }
  }
  if (c.workingDir !== undefined && !c.workingDir.startsWith("/")) {
    throw new ImageError(
      "IMAGE_BAD_CONFIG",
      `working directory ${JSON.stringify(c.workingDir)} must be an absolute path`,
    );
  }
  // Key order is fixed by construction and absent fields are omitted, so the JSON is canonical.
  const run = {
    Env: c.env,
    Entrypoint: c.entrypoint,
    Cmd: c.cmd,
    WorkingDir: c.workingDir,
    Labels: c.labels === undefined ? undefined : sortedRecord(c.labels),
  };
  return {
    ...(spec.created === undefined ? {} : { created: spec.created.toISOString() }),
    architecture: c.architecture ?? "wasm",
    os: c.os ?? "wasip1",
    ...(c.variant === undefined ? {} : { variant: c.variant }),
    config: run,
    rootfs: { type: "layers", diff_ids: [layerDigest] },
  };
}

function blob(mediaType: string, bytes: Uint8Array): Blob {
  const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  return { mediaType, digest, size: bytes.length, bytes };
}

function descriptor(b: Blob): { mediaType: string; digest: string; size: number } {
  return { mediaType: b.mediaType, digest: b.digest, size: b.size };
}

function blobPath(digest: string): string {
  return `blobs/${digest.replace(":", "/")}`;
}

function json(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

function sortedRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}
