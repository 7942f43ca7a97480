// fd_readdir: directory entries as `dirent` records. A listing is snapshotted when the guest starts
// at cookie 0, so cookies (an index into it) stay valid across calls while it pages through.

import { isAscii } from "node:buffer";
import { fstatSync, lstatSync, readdirSync, type Dirent } from "node:fs";
import { Errno, errnoOf, WasiErrno } from "./errno.js";
import { DIRENT_SIZE, Filetype, Rights } from "./abi.js";
import type { WasiContext } from "./context.js";
import { needRight, type DirListing, type FdEntry } from "./fd-table.js";
import { fdPath } from "./path-resolution.js";

function direntType(d: Dirent<Buffer>): number {
  if (d.isFile()) return Filetype.REGULAR_FILE;
  if (d.isDirectory()) return Filetype.DIRECTORY;
  if (d.isSymbolicLink()) return Filetype.SYMBOLIC_LINK;
  if (d.isCharacterDevice()) return Filetype.CHARACTER_DEVICE;
  if (d.isBlockDevice()) return Filetype.BLOCK_DEVICE;
  if (d.isSocket()) return Filetype.SOCKET_STREAM;
  return Filetype.UNKNOWN;
}

const DOT = Buffer.from(".");
const DOTDOT = Buffer.from("..");
const BIGINT = { bigint: true } as const;
const BIGINT_OR_NONE = { bigint: true, throwIfNoEntry: false } as const;

function list(entry: FdEntry): DirListing {
  const dirents = readdirSync(fdPath(entry.hostFd), { withFileTypes: true, encoding: "buffer" });
  const names: Buffer[] = [DOT, DOTDOT];
  const types: number[] = [Filetype.DIRECTORY, Filetype.DIRECTORY];
  for (const d of dirents) {
    names.push(d.name);
    types.push(direntType(d));
  }
  return { names, types };
}

/**
 * The inode of entry `i` (0 is ".", 1 ".."); ".." of a preopen reports the preopen itself
 * (nothing outside). `prefix` is the directory's "/proc/self/fd/<fd>/".
 */
function inodeOf(entry: FdEntry, prefix: string, i: number, name: Buffer): bigint {
  try {
    // (Not lstat of the /proc magic link: that would describe the link, not the directory.)
    if (i === 0 || (i === 1 && entry.relPath.length === 0)) {
      return fstatSync(entry.hostFd, BIGINT).ino;
    }
    // An ASCII name is the same bytes as a string; others keep their exact bytes in a Buffer.
    const path = isAscii(name)
      ? prefix + name.toString("latin1")
      : Buffer.concat([Buffer.from(prefix), name]);
    return lstatSync(path, BIGINT_OR_NONE)?.ino ?? 0n;
  } catch {
    return 0n; // gone since the snapshot, or unreadable: the inode is unknown
  }
}

/** A record's header, for the one a full buffer cuts off (shared: used only synchronously). */
const header = Buffer.alloc(DIRENT_SIZE);

/** Creates fd_readdir. */
export function createReaddir(ctx: WasiContext) {
  function fd_readdir(fd: number, buf: number, bufLen: number, cookie: bigint, used: number) {
    try {
      const entry = ctx.fds.get(fd);
      needRight(entry, Rights.FD_READDIR);
      if (entry.filetype !== Filetype.DIRECTORY) throw new WasiErrno(Errno.NOTDIR);
      if (cookie === 0n || entry.dir === undefined) entry.dir = list(entry);
      const { names, types } = entry.dir;
      const { view, u8 } = ctx.mem.refresh();
      if (buf + bufLen > u8.length) throw new WasiErrno(Errno.FAULT);
      const prefix = `${fdPath(entry.hostFd)}/`;
      let at = 0;
      for (let i = Number(cookie); i < names.length && at < bufLen; i++) {
        const name = names[i] as Buffer;
        const room = bufLen - at;
        if (room >= DIRENT_SIZE) {
          const p = buf + at;
          view.setBigUint64(p, BigInt(i + 1), true);
          view.setBigUint64(p + 8, inodeOf(entry, prefix, i, name), true);
          view.setUint32(p + 16, name.length, true);
          view.setUint32(p + 20, types[i] as number, true); // d_type and zeroed padding
          at += DIRENT_SIZE;
        } else {
          // A record that does not fit is cut off; a full buffer tells wasi-libc to call again
          // with a bigger one (witx: "if less than the size of the read buffer, end of directory").
          header.writeBigUInt64LE(BigInt(i + 1), 0);
          header.writeBigUInt64LE(room > 8 ? inodeOf(entry, prefix, i, name) : 0n, 8);
          header.writeUInt32LE(name.length, 16);
          header.writeUInt32LE(types[i] as number, 20);
          u8.set(header.subarray(0, room), buf + at);
          at += room;
        }
        const nameTake = Math.min(name.length, bufLen - at);
        u8.set(nameTake === name.length ? name : name.subarray(0, nameTake), buf + at);
        at += nameTake;
      }
      view.setUint32(used, at, true);
      return Errno.SUCCESS;
    } catch (error) {
      return errnoOf(error);
    }
  }
  return { fd_readdir };
}
