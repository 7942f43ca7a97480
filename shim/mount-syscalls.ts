import { fileURLToPath } from "node:url";

/**
 * mount(2) and umount2(2) through the runwasi-mount.node addon (shim/native/mount.c), which
 * scripts/build.js builds beside the bundles. Both run on libuv's thread pool and resolve with 0
 * or an errno; they never reject.
 */
export interface MountSyscalls {
  mount(
    source: string,
    target: string,
    fstype: string,
    flags: number,
    data: string,
  ): Promise<number>;
  umount2(target: string, flags: number): Promise<number>;
}

/** One mount(2) call. */
export interface MountCall {
  readonly source: string;
  readonly fstype: string;
  readonly flags: number;
  readonly data: string;
}

/** A mount as containerd sends it (CreateTaskRequest.rootfs): onto the rootfs directory. */
export interface MountSpec {
  readonly type: string;
  readonly source: string;
  readonly options: readonly string[];
}

// <sys/mount.h>
const MS_RDONLY = 0x1;
const MS_NOSUID = 0x2;
const MS_NODEV = 0x4;
const MS_NOEXEC = 0x8;
const MS_SYNCHRONOUS = 0x10;
const MS_REMOUNT = 0x20;
const MS_MANDLOCK = 0x40;
const MS_DIRSYNC = 0x80;
const MS_NOATIME = 0x400;
const MS_NODIRATIME = 0x800;
const MS_BIND = 0x1000;
const MS_REC = 0x4000;
const MS_RELATIME = 0x200000;
const MS_STRICTATIME = 0x1000000;
export const MNT_DETACH = 0x2;

/**
 * containerd's option table (mount/mount_linux.go, parseMountOptions): each option sets or
 * clears a flag; what the table does not know is data for the filesystem.
 */
const flagOptions: ReadonlyMap<string, { readonly clear: boolean; readonly flag: number }> =
  new Map(
    (
      [
        ["async", true, MS_SYNCHRONOUS],
        ["atime", true, MS_NOATIME],
        ["bind", false, MS_BIND],
        ["defaults", false, 0],
        ["dev", true, MS_NODEV],
        ["diratime", true, MS_NODIRATIME],
        ["dirsync", false, MS_DIRSYNC],
        ["exec", true, MS_NOEXEC],
        ["mand", false, MS_MANDLOCK],
        ["noatime", false, MS_NOATIME],
        ["nodev", false, MS_NODEV],
        ["nodiratime", false, MS_NODIRATIME],
        ["noexec", false, MS_NOEXEC],
        ["nomand", true, MS_MANDLOCK],
        ["norelatime", true, MS_RELATIME],
        ["nostrictatime", true, MS_STRICTATIME],
        ["nosuid", false, MS_NOSUID],
        ["rbind", false, MS_BIND | MS_REC],
        ["relatime", false, MS_RELATIME],
        ["ro", false, MS_RDONLY],
        ["rw", true, MS_RDONLY],
        ["strictatime", false, MS_STRICTATIME],
        ["suid", true, MS_NOSUID],
        ["sync", false, MS_SYNCHRONOUS],
      ] as const
    ).map(([option, clear, flag]) => [option, { clear, flag }]),
  );

/**
 * Options whose meaning lives in util-linux's `mount`, not in the kernel (loop devices,
 * propagation, remounts, fstab-only options): a mount that has one is left to the command.
 */
const commandOnly =
  /^(loop|remount|r?(shared|private|slave|unbindable)|auto|noauto|nofail|user|users|owner|group|_netdev|[xX]-.*|comment=.*)$/;

/** overlayfs takes at most a page of options; containerd shortens longer ones with a chdir. */
const maxDataBytes = 4096 - 512;

/**
 * The mount(2) calls equivalent to `mount -t <type> -o <options> <source> <target>` for the
 * mounts containerd hands a shim — an overlay, or a bind mount (native snapshotter) — following
 * containerd's own mount_linux.go. Undefined when it is not that simple: the caller runs `mount`.
 */
export function mountCalls(m: MountSpec): MountCall[] | undefined {
  if (m.type !== "overlay" && m.type !== "bind") return undefined;
  let flags = m.type === "bind" ? MS_BIND : 0;
  const data: string[] = [];
  for (const option of m.options) {
    if (commandOnly.test(option)) return undefined;
    const known = flagOptions.get(option);
    if (known) flags = known.clear ? flags & ~known.flag : flags | known.flag;
    else if (m.type === "bind")
      return undefined; // a bind mount has no data: an unknown option
    else data.push(option);
  }
  const joined = data.join(",");
  if (Buffer.byteLength(joined) > maxDataBytes) return undefined;
  const calls: MountCall[] = [{ source: m.source, fstype: m.type, flags, data: joined }];
  // The kernel ignores MS_RDONLY on a new bind mount; a remount applies it (as containerd does).
  if ((flags & (MS_BIND | MS_RDONLY)) === (MS_BIND | MS_RDONLY)) {
    calls.push({ source: "", fstype: "", flags: flags | MS_REMOUNT, data: "" });
  }
  return calls;
}

let loaded: MountSyscalls | null | undefined;

/**
 * The addon beside this bundle, or undefined: when running from the TypeScript sources (no
 * built addon) or when it cannot be loaded (built without Node's headers, another platform).
 */
export function mountSyscalls(): MountSyscalls | undefined {
  if (loaded === undefined) loaded = loadAddon(bundledAddonPath()) ?? null;
  return loaded ?? undefined;
}

/** Loads the addon at `file`; undefined if it is missing or not what it should be. */
export function loadAddon(file: string | undefined): MountSyscalls | undefined {
  if (file === undefined) return undefined;
  const module = { exports: {} as Partial<MountSyscalls> };
  try {
    process.dlopen(module, file);
  } catch {
    return undefined;
  }
  const { mount, umount2 } = module.exports;
  return typeof mount === "function" && typeof umount2 === "function"
    ? { mount, umount2 }
    : undefined;
}

/** `runwasi-mount.node` beside the running bundle; none for the TypeScript sources. */
function bundledAddonPath(): string | undefined {
  const here = import.meta.url;
  if (here.endsWith(".ts")) return undefined;
  return fileURLToPath(new URL("./runwasi-mount.node", here));
}
