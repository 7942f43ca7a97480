// fd_readdir: directory entries as `dirent` records. A listing is snapshotted when the guest starts
// at cookie 0, so cookies (an index into it) stay valid across calls while it pages through.

import { fstatSync, lstatSync, readdirSync, type Dirent } from "node:fs";
import { Errno, errnoOf, WasiErrno } from "./errno.js";
import { DIRENT_SIZE, Filetype, Rights } from "./abi.js";
import type { Calls, WasiContext } from "./context.js";
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

/** The inode of one entry; ".." of a preopen reports the preopen itself (nothing outside). */
function inodeOf(entry: FdEntry, name: Buffer): bigint {
  const base = fdPath(entry.hostFd);
  try {
    // (Not lstat of the /proc magic link: that would describe the link, not the directory.)
    if (name.equals(DOT) || (name.equals(DOTDOT) && entry.relPath.length === 0)) {
      return fstatSync(entry.hostFd, { bigint: true }).ino;
    }
    return lstatSync(Buffer.concat([Buffer.from(base + "/"), name]), { bigint: true }).ino;
  } catch {
    return 0n; // removed since the snapshot; wasi-libc then stats it itself
  }
}

/** Creates fd_readdir. */
export function createReaddir(ctx: WasiContext): Calls {
  function fd_readdir(fd: number, buf: number, bufLen: number, cookie: bigint, used: number) {
    try {
      const entry = ctx.fds.get(fd);
      needRight(entry, Rights.FD_READDIR);
      if (entry.filetype !== Filetype.DIRECTORY) throw new WasiErrno(Errno.NOTDIR);
      if (cookie === 0n || entry.dir === undefined) entry.dir = list(entry);
      const { names, types } = entry.dir;
      const mem = ctx.mem.refresh();
      if (buf + bufLen > mem.u8.length) throw new WasiErrno(Errno.FAULT);
      const header = Buffer.alloc(DIRENT_SIZE);
      let at = 0;
      for (let i = Number(cookie); i < names.length && at < bufLen; i++) {
        const name = names[i] as Buffer;
        header.fill(0);
        header.writeBigUInt64LE(BigInt(i + 1), 0);
        header.writeBigUInt64LE(inodeOf(entry, name), 8);
        header.writeUInt32LE(name.length, 16);
        header.writeUInt8(types[i] as number, 20);
        // A record that does not fit is cut off; a full buffer tells wasi-libc to call again
        // with a bigger one (witx: "if less than the size of the read buffer, end of directory").
        const take = Math.min(DIRENT_SIZE, bufLen - at);
        mem.u8.set(header.subarray(0, take), buf + at);
        at += take;
        const nameTake = Math.min(name.length, bufLen - at);
        mem.u8.set(name.subarray(0, nameTake), buf + at);
        at += nameTake;
      }
      mem.view.setUint32(used, at, true);
      return Errno.SUCCESS;
    } catch (error) {
      return errnoOf(error);
    }
  }
  return { fd_readdir };
}
