// `filestat` out of host stats, and the time-setting rules shared by fd_ and path_filestat_set_times.

import type { BigIntStats } from "node:fs";
import { Errno, WasiErrno } from "./errno.js";
import { Filetype, Fstflags, type Layout } from "./abi.js";
import type { GuestMemory } from "./memory.js";

function filetypeOfBig(st: BigIntStats): number {
  if (st.isFile()) return Filetype.REGULAR_FILE;
  if (st.isDirectory()) return Filetype.DIRECTORY;
  if (st.isSymbolicLink()) return Filetype.SYMBOLIC_LINK;
  if (st.isCharacterDevice()) return Filetype.CHARACTER_DEVICE;
  if (st.isBlockDevice()) return Filetype.BLOCK_DEVICE;
  if (st.isSocket()) return Filetype.SOCKET_STREAM;
  return Filetype.UNKNOWN;
}

/**
 * Writes a `filestat` at `ptr` in the snapshot's layout. `st` undefined describes the null device
 * (stdio the embedder left undefined): a character device with every other field zero.
 */
export function writeFilestat(
  mem: GuestMemory,
  ptr: number,
  st: BigIntStats | undefined,
  layout: Layout,
): void {
  const view = mem.view;
  if (ptr + layout.filestatSize > view.byteLength) throw new WasiErrno(Errno.FAULT);
  mem.u8.fill(0, ptr, ptr + layout.filestatSize);
  if (st === undefined) {
    view.setUint8(ptr + layout.fsFiletype, Filetype.CHARACTER_DEVICE);
    return;
  }
  view.setBigUint64(ptr, st.dev, true);
  view.setBigUint64(ptr + 8, st.ino, true);
  view.setUint8(ptr + layout.fsFiletype, filetypeOfBig(st));
  if (layout.fsNlink64) view.setBigUint64(ptr + layout.fsNlink, st.nlink, true);
  else view.setUint32(ptr + layout.fsNlink, Number(st.nlink), true);
  view.setBigUint64(ptr + layout.fsSize, st.size, true);
  view.setBigUint64(ptr + layout.fsAtim, st.atimeNs, true);
  view.setBigUint64(ptr + layout.fsMtim, st.mtimeNs, true);
  view.setBigUint64(ptr + layout.fsCtim, st.ctimeNs, true);
}

/**
 * The (atime, mtime) pair, in seconds as Node's utimes family wants, for a set_times call.
 * Node has no UTIME_OMIT, so a time left alone is re-written from `current()`; both a time and
 * its _NOW flag is EINVAL, as in the witx.
 */
export function newTimes(
  atimNs: bigint,
  mtimNs: bigint,
  flags: number,
  current: () => BigIntStats,
): [number, number] {
  if ((flags & Fstflags.ATIM) !== 0 && (flags & Fstflags.ATIM_NOW) !== 0) {
    throw new WasiErrno(Errno.INVAL);
  }
  if ((flags & Fstflags.MTIM) !== 0 && (flags & Fstflags.MTIM_NOW) !== 0) {
    throw new WasiErrno(Errno.INVAL);
  }
  if ((flags & ~15) !== 0) throw new WasiErrno(Errno.INVAL);
  const now = Date.now() / 1000;
  const setsAtime = (flags & (Fstflags.ATIM | Fstflags.ATIM_NOW)) !== 0;
  const setsMtime = (flags & (Fstflags.MTIM | Fstflags.MTIM_NOW)) !== 0;
  const st = setsAtime && setsMtime ? undefined : current();
  const pick = (set: number, setNow: number, value: bigint, old: bigint | undefined): number => {
    if ((flags & setNow) !== 0) return now;
    if ((flags & set) !== 0) return Number(value) / 1e9;
    return Number(old ?? 0n) / 1e9;
  };
  return [
    pick(Fstflags.ATIM, Fstflags.ATIM_NOW, atimNs, st?.atimeNs),
    pick(Fstflags.MTIM, Fstflags.MTIM_NOW, mtimNs, st?.mtimeNs),
  ];
}
