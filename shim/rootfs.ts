import { readFileSync } from "node:fs";
import { getSystemErrorName } from "node:util";
import { Code, TtrpcError } from "../ttrpc/index.js";
import {
  MNT_DETACH,
  mountCalls,
  mountSyscalls,
  type MountCall,
  type MountSyscalls,
} from "./mount-syscalls.js";

/** A mount as containerd sends it in CreateTaskRequest.rootfs (no target: it is the rootfs dir). */
export interface RootfsMount {
  readonly type: string;
  readonly source: string;
  readonly options: readonly string[];
}

/**
 * How mounts are made: the mount(2) addon when it is built (and the mount is one it handles),
 * else util-linux's `mount` and `umount`. Tests pass their own.
 */
export interface MountOptions {
  readonly syscalls?: MountSyscalls | undefined;
}

/**
 * Mounts containerd's rootfs mounts onto `target`, in order (shim-protocol.md §4.5). Create waits
 * for this on every container's start, so overlay and bind mounts are made by mount(2) directly
 * (mount-syscalls.ts); anything else, or no addon, goes through util-linux's `mount`, which accepts
 * every form. On failure, whatever was already mounted is unmounted again.
 */
export async function mountRootfs(
  mounts: readonly RootfsMount[],
  target: string,
  options: MountOptions = {},
): Promise<void> {
  const syscalls = "syscalls" in options ? options.syscalls : mountSyscalls();
  let mounted = 0;
  try {
    for (const m of mounts) {
      const calls = syscalls && mountCalls(m);
      if (calls) await mountBySyscalls(syscalls, calls, target);
      else await runMountCommand(m, target);
      mounted++;
    }
  } catch (err) {
    if (mounted > 0) await unmountRootfs(target, options).catch(() => {});
    const detail = (err as { stderr?: string }).stderr?.trim() || String(err);
    throw new TtrpcError(Code.Internal, `mounting the rootfs at ${target} failed: ${detail}`, {
      cause: err,
    });
  }
}

/** One mount: its calls in order; a failed call undoes the earlier ones (a bind before its remount). */
async function mountBySyscalls(
  syscalls: MountSyscalls,
  calls: readonly MountCall[],
  target: string,
): Promise<void> {
  for (const [i, c] of calls.entries()) {
    const errno = await syscalls.mount(c.source, target, c.fstype, c.flags, c.data);
    if (errno === 0) continue;
    if (i > 0) await syscalls.umount2(target, MNT_DETACH);
    throw new Error(`mount(2) of ${c.fstype || "a remount"} from ${c.source}: ${errnoName(errno)}`);
  }
}

async function runMountCommand(m: RootfsMount, target: string): Promise<void> {
  const args = ["-t", m.type, ...(m.options.length ? ["-o", m.options.join(",")] : [])];
  await runCommand("mount", [...args, m.source, target]);
}

/**
 * Unmounts everything mounted at `target` (lazily, so a file a straggler still holds open cannot
 * make Delete fail). Does nothing, and spawns nothing, when nothing is mounted there — the common
 * case for the `delete` subcommand, which runs after every teardown.
 */
export async function unmountRootfs(target: string, options: MountOptions = {}): Promise<void> {
  const syscalls = "syscalls" in options ? options.syscalls : mountSyscalls();
  if (syscalls) {
    // Each call detaches the topmost mount; EINVAL says nothing (more) is mounted there.
    for (;;) {
      const errno = await syscalls.umount2(target, MNT_DETACH);
      if (errno === 0) continue;
      const name = errnoName(errno);
      if (name === "EINVAL" || name === "ENOENT") return;
      throw new Error(`umount2(2) of ${target}: ${name}`);
    }
  }
  while (isMountPoint(target)) {
    try {
      await runCommand("umount", ["-l", target]);
    } catch (err) {
      if (!isMountPoint(target)) return;
      throw err;
    }
  }
}

/** Runs util-linux's `mount` or `umount`; child_process is loaded only then (~2–9 ms). */
async function runCommand(command: string, args: readonly string[]): Promise<void> {
  const { execFile } = await import("node:child_process");
  await new Promise<void>((resolve, reject) =>
    execFile(command, args, (err, _stdout, stderr) =>
      err ? reject(Object.assign(err, { stderr })) : resolve(),
    ),
  );
}

function errnoName(errno: number): string {
  try {
    return getSystemErrorName(-errno);
  } catch {
    return `errno ${errno}`;
  }
}

/** Whether `target` is a mount point, from /proc/self/mountinfo (field 5, octal-escaped). */
export function isMountPoint(target: string): boolean {
  let info: string;
  try {
    info = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return false;
  }
  for (const line of info.split("\n")) {
    const mountPoint = line.split(" ")[4];
    if (mountPoint !== undefined && unescapeMountinfo(mountPoint) === target) return true;
  }
  return false;
}

function unescapeMountinfo(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(parseInt(octal, 8)),
  );
}
