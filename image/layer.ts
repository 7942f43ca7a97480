// Turns the files a caller wants in an image into one layer's tar: paths normalised and checked,
// host files read, missing parent directories added, everything sorted by path. Sorting and the
// fixed header fields (owner 0:0, one mtime) make the layer's bytes depend on content alone.
import type { Stats } from "node:fs";
import { lstat, readFile, readdir, readlink, stat } from "node:fs/promises";
import path from "node:path";
import { ImageError } from "./errors.js";
import { writeTar, type TarEntry } from "./tar-writer.js";

/**
 * One thing to put in the image. Paths are absolute inside the image ("/app.wasm"); a leading
 * slash is optional. Files come from memory (`content`, a string is UTF-8) or from the host
 * (`hostPath`, read when the image is built). Modes default to 0644 for files (0755 when a host
 * file has any execute bit, so the host's umask does not leak in) and 0755 for directories.
 */
export type LayerEntry =
  | {
      readonly kind: "file";
      readonly path: string;
      readonly content: Uint8Array | string;
      readonly mode?: number;
    }
  | {
      readonly kind: "file";
      readonly path: string;
      readonly hostPath: string;
      readonly mode?: number;
    }
  /** An empty directory, or with `hostPath`, a copy of that host directory's whole tree. */
  | {
      readonly kind: "directory";
      readonly path: string;
      readonly hostPath?: string;
      readonly mode?: number;
    }
  /** A symbolic link; `target` is stored as given ("busybox", "/bin/busybox"). */
  | { readonly kind: "symlink"; readonly path: string; readonly target: string };

const DIR_MODE = 0o755;

/** Builds the layer tar for `entries`; see `LayerEntry` for defaults. */
export async function buildLayer(
  entries: readonly LayerEntry[],
  mtimeSeconds = 0,
): Promise<Uint8Array> {
  const byPath = new Map<string, TarEntry>();
  const add = (entry: TarEntry, origin: string): void => {
    if (byPath.has(entry.path)) {
      throw new ImageError(
        "IMAGE_PATH_CONFLICT",
        `/${entry.path} is given twice (second time by ${origin})`,
      );
    }
    byPath.set(entry.path, entry);
  };
  for (const entry of entries) {
    const at = imagePath(entry.path);
    switch (entry.kind) {
      case "file":
        add(await fileEntry(at, entry), entry.path);
        break;
      case "symlink":
        add({ type: "symlink", path: at, target: entry.target }, entry.path);
        break;
      case "directory":
        add({ type: "directory", path: at, mode: entry.mode ?? DIR_MODE }, entry.path);
        if (entry.hostPath !== undefined) {
          for (const inner of await hostTree(entry.hostPath, at)) add(inner, entry.hostPath);
        }
        break;
    }
  }
  addParents(byPath);
  const sorted = [...byPath.values()].sort((a, b) => comparePaths(a.path, b.path));
  return writeTar(sorted, { mtimeSeconds });
}

/** "/a/./b/" → "a/b"; refuses what cannot be a member of a layer. */
export function imagePath(given: string): string {
  const bad = (why: string): ImageError =>
    new ImageError("IMAGE_BAD_PATH", `image path ${JSON.stringify(given)} ${why}`);
  if (given.includes("\0")) throw bad("contains a NUL byte");
  const parts = given.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw bad("contains '..'; give the path from the image root");
  if (parts.length === 0) throw bad("names the image root; give a path below it, e.g. /app.wasm");
  return parts.join("/");
}

async function fileEntry(
  at: string,
  entry: Extract<LayerEntry, { kind: "file" }>,
): Promise<TarEntry> {
  if ("content" in entry) {
    const data =
      typeof entry.content === "string" ? new TextEncoder().encode(entry.content) : entry.content;
    return { type: "file", path: at, mode: entry.mode ?? 0o644, data };
  }
  const info = await statSource(entry.hostPath);
  if (!info.isFile()) {
    const hint = info.isDirectory() ? '; add a directory with kind "directory"' : "";
    throw new ImageError("IMAGE_BAD_SOURCE", `${entry.hostPath} is not a regular file${hint}`);
  }
  const data = await readFile(entry.hostPath);
  return { type: "file", path: at, mode: entry.mode ?? hostMode(info.mode), data };
}

/** Every member below host directory `root`, placed under image path `at`. */
async function hostTree(root: string, at: string): Promise<TarEntry[]> {
  const info = await statSource(root);
  if (!info.isDirectory()) throw new ImageError("IMAGE_BAD_SOURCE", `${root} is not a directory`);
  const out: TarEntry[] = [];
  for (const name of (await readdir(root)).sort()) {
    const host = path.join(root, name);
    const inner = `${at}/${name}`;
    const s = await lstat(host);
    if (s.isDirectory()) {
      out.push({ type: "directory", path: inner, mode: DIR_MODE });
      out.push(...(await hostTree(host, inner)));
    } else if (s.isFile()) {
      out.push({ type: "file", path: inner, mode: hostMode(s.mode), data: await readFile(host) });
    } else if (s.isSymbolicLink()) {
      out.push({ type: "symlink", path: inner, target: await readlink(host) });
    } else {
      throw new ImageError(
        "IMAGE_BAD_SOURCE",
        `${host} is a device, socket or FIFO; a layer holds only files, directories and symlinks`,
      );
    }
  }
  return out;
}

/** containerd would create missing parents with its own defaults; listing them keeps the tar explicit. */
function addParents(byPath: Map<string, TarEntry>): void {
  for (const entry of [...byPath.values()]) {
    const parts = entry.path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join("/");
      const existing = byPath.get(parent);
      if (existing === undefined) {
        byPath.set(parent, { type: "directory", path: parent, mode: DIR_MODE });
      } else if (existing.type !== "directory") {
        throw new ImageError(
          "IMAGE_PATH_CONFLICT",
          `/${parent} is a ${existing.type}, but /${entry.path} needs it to be a directory`,
        );
      }
    }
  }
}

/** Byte order of the UTF-8 paths (what `sort` in C locale gives); a parent always precedes its children. */
function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Only the execute bit of a host file survives, so builds agree across umasks and checkouts. */
function hostMode(mode: number): number {
  return mode & 0o111 ? 0o755 : 0o644;
}

/** A named source is followed through symlinks: naming a file means its content. */
async function statSource(hostPath: string): Promise<Stats> {
  try {
    return await stat(hostPath);
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : String(err);
    throw new ImageError("IMAGE_BAD_SOURCE", `${hostPath} ${reason}`, { cause: err });
  }
}
