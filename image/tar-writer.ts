// A POSIX tar writer for the three entry kinds an image layer needs: regular files, directories and
// symbolic links. Output is ustar (POSIX.1-1988) plus a pax extended header (POSIX.1-2001) only for
// the entries whose path or link target does not fit ustar's fields — the same choice as Go's
// archive/tar, which is what containerd reads layers with. Pure: entries in, bytes out, no clock,
// no file system, so the same entries always give the same bytes.
import { ImageError } from "./errors.js";

/** One archive member, in final form: `path` is relative ("bin/sh"), without a trailing slash. */
export type TarEntry =
  | {
      readonly type: "file";
      readonly path: string;
      readonly mode: number;
      readonly data: Uint8Array;
    }
  | { readonly type: "directory"; readonly path: string; readonly mode: number }
  | { readonly type: "symlink"; readonly path: string; readonly target: string };

/** Header fields that are the same for every entry. */
export interface TarOptions {
  /** Modification time written on every entry, in seconds since the epoch. Default 0. */
  readonly mtimeSeconds?: number;
}

const BLOCK = 512;
/** ustar field offsets and widths (POSIX.1-1988 `ustar` header). */
const F = {
  name: [0, 100],
  mode: [100, 8],
  uid: [108, 8],
  gid: [116, 8],
  size: [124, 12],
  mtime: [136, 12],
  checksum: [148, 8],
  typeflag: [156, 1],
  linkname: [157, 100],
  magic: [257, 6],
  version: [263, 2],
  prefix: [345, 155],
} as const satisfies Record<string, readonly [number, number]>;
const TYPEFLAG = { file: "0", symlink: "2", directory: "5", pax: "x" } as const;
/** 11 octal digits: the largest size a ustar header can state (8 GiB − 1). */
const MAX_OCTAL_SIZE = 8 ** 11 - 1;

const utf8 = new TextEncoder();

/** Serialises `entries` in the order given, then the two zero blocks that end an archive. */
export function writeTar(entries: readonly TarEntry[], options: TarOptions = {}): Uint8Array {
  const mtime = options.mtimeSeconds ?? 0;
  const parts: Uint8Array[] = [];
  for (const entry of entries) {
    const path = entry.type === "directory" ? `${entry.path}/` : entry.path;
    const data = entry.type === "file" ? entry.data : undefined;
    const linkTarget = entry.type === "symlink" ? entry.target : "";
    checkText(entry.path, "path");
    checkText(linkTarget, "symlink target");
    if (data !== undefined && data.length > MAX_OCTAL_SIZE) {
      throw new ImageError(
        "IMAGE_TOO_LARGE",
        `${entry.path}: ${data.length} bytes is too large for a tar entry (limit 8 GiB)`,
      );
    }

    const pax: [string, string][] = [];
    const split = splitUstarPath(path);
    if (split === undefined) pax.push(["path", path]);
    if (!fitsUstar(linkTarget, F.linkname[1])) pax.push(["linkpath", linkTarget]);
    if (pax.length > 0) {
      const records = paxRecords(pax);
      parts.push(
        header({
          name: paxHeaderName(path),
          mode: 0o644,
          size: records.length,
          mtime,
          typeflag: TYPEFLAG.pax,
          linkname: "",
        }),
      );
      parts.push(padded(records));
    }

    const [prefix, name] = split ?? ["", asciiFallback(path, F.name[1])];
    parts.push(
      header({
        name,
        prefix,
        mode: entry.type === "symlink" ? 0o777 : entry.mode & 0o7777,
        size: data?.length ?? 0,
        mtime,
        typeflag: TYPEFLAG[entry.type],
        linkname: fitsUstar(linkTarget, F.linkname[1])
          ? linkTarget
          : asciiFallback(linkTarget, F.linkname[1]),
      }),
    );
    if (data !== undefined) parts.push(padded(data));
  }
  parts.push(new Uint8Array(2 * BLOCK));
  return concat(parts);
}

interface HeaderFields {
  readonly name: string;
  readonly prefix?: string;
  readonly mode: number;
  readonly size: number;
  readonly mtime: number;
  readonly typeflag: string;
  readonly linkname: string;
}

function header(h: HeaderFields): Uint8Array {
  const block = new Uint8Array(BLOCK);
  putText(block, F.name, h.name);
  putOctal(block, F.mode, h.mode);
  putOctal(block, F.uid, 0);
  putOctal(block, F.gid, 0);
  putOctal(block, F.size, h.size);
  putOctal(block, F.mtime, h.mtime);
  putText(block, F.typeflag, h.typeflag);
  putText(block, F.linkname, h.linkname);
  putText(block, F.magic, "ustar\0");
  putText(block, F.version, "00");
  putText(block, F.prefix, h.prefix ?? "");
  // The checksum is the byte sum of the header with its own field read as eight spaces, written as
  // six octal digits, NUL, space (the historical layout every reader accepts).
  block.fill(0x20, F.checksum[0], F.checksum[0] + F.checksum[1]);
  const sum = block.reduce((acc, b) => acc + b, 0);
  putText(block, [F.checksum[0], 8], `${sum.toString(8).padStart(6, "0")}\0 `);
  return block;
}

function putText(
  block: Uint8Array,
  [offset, width]: readonly [number, number],
  text: string,
): void {
  const bytes = utf8.encode(text);
  // Callers pass only text already checked to fit; a longer one is a bug here, not bad input.
  if (bytes.length > width)
    throw new Error(`tar-writer: "${text}" overflows a ${width}-byte field`);
  block.set(bytes, offset);
}

function putOctal(block: Uint8Array, field: readonly [number, number], value: number): void {
  putText(block, field, `${value.toString(8).padStart(field[1] - 1, "0")}\0`);
}

/** ustar fields hold bytes that readers decode differently; only ASCII without NUL is portable. */
function fitsUstar(text: string, width: number): boolean {
  return text.length <= width && /^[\x01-\x7f]*$/.test(text);
}

/**
 * Splits a path into ustar's `prefix` (≤ 155 bytes) and `name` (≤ 100 bytes) at a slash, as Go's
 * `splitUSTARPath` does; undefined when no split fits, so the path needs a pax record.
 */
export function splitUstarPath(path: string): [prefix: string, name: string] | undefined {
  if (!fitsUstar(path, F.prefix[1] + 1 + F.name[1])) return undefined;
  if (path.length <= F.name[1]) return ["", path];
  // The last slash that leaves a prefix ≤ 155 bytes; a directory's own trailing slash belongs to
  // its name, so it never counts as the split point.
  let length = path.length;
  if (length > F.prefix[1] + 1) length = F.prefix[1] + 1;
  else if (path.endsWith("/")) length--;
  const slash = path.lastIndexOf("/", length - 1);
  if (slash <= 0) return undefined;
  const name = path.slice(slash + 1);
  if (name.length === 0 || name.length > F.name[1] || slash > F.prefix[1]) return undefined;
  return [path.slice(0, slash), name];
}

/** pax records are "<length> <key>=<value>\n", where <length> counts the whole record, itself included. */
function paxRecords(pairs: readonly [string, string][]): Uint8Array {
  let text = "";
  for (const [key, value] of pairs) {
    const rest = utf8.encode(` ${key}=${value}\n`).length;
    let length = rest + 1;
    while (length !== rest + String(length).length) length = rest + String(length).length;
    text += `${length} ${key}=${value}\n`;
  }
  return utf8.encode(text);
}

/** Readers ignore a pax header's own name; Go's "PaxHeaders.0/<base>" makes a listing readable. */
function paxHeaderName(path: string): string {
  const base = path.replace(/\/$/, "").split("/").pop() ?? "";
  return asciiFallback(`PaxHeaders.0/${base}`, F.name[1]);
}

/** The ustar field's stand-in when the real value lives in a pax record: ASCII, truncated. */
function asciiFallback(text: string, width: number): string {
  return text.replace(/[^\x01-\x7f]/g, "_").slice(0, width);
}

function checkText(text: string, what: string): void {
  if (text.includes("\0"))
    throw new ImageError("IMAGE_BAD_PATH", `${what} ${JSON.stringify(text)} contains a NUL byte`);
}

function padded(data: Uint8Array): Uint8Array {
  const size = Math.ceil(data.length / BLOCK) * BLOCK;
  if (size === data.length) return data;
  const out = new Uint8Array(size);
  out.set(data);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
