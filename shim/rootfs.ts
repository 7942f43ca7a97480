import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { Code, TtrpcError } from "../ttrpc/index.js";

const run = promisify(execFile);

/** A mount as containerd sends it in CreateTaskRequest.rootfs (no target: it is the rootfs dir). */
export interface RootfsMount {
  readonly type: string;
  readonly source: string;
  readonly options: readonly string[];
}

/**
 * Mounts containerd's rootfs mounts onto `target`, in order (shim-protocol.md §4.5). Node has no
 * mount(2), so this uses util-linux's `mount`, which accepts both the overlay and the bind forms.
 * On failure, whatever was already mounted is unmounted again.
 */
export async function mountRootfs(mounts: readonly RootfsMount[], target: string): Promise<void> {
  let mounted = 0;
  try {
    for (const m of mounts) {
      const args = ["-t", m.type, ...(m.options.length ? ["-o", m.options.join(",")] : [])];
      await run("mount", [...args, m.source, target]);
      mounted++;
    }
  } catch (err) {
    for (; mounted > 0; mounted--) await unmountRootfs(target).catch(() => {});
    const detail = (err as { stderr?: string }).stderr?.trim() || String(err);
    throw new TtrpcError(Code.Internal, `mounting the rootfs at ${target} failed: ${detail}`, {
      cause: err,
    });
  }
}

/**
 * Unmounts everything mounted at `target` (lazily, so a file a straggler still holds open cannot
 * make Delete fail). Does nothing, and spawns nothing, when nothing is mounted there — the common
 * case for the `delete` subcommand, which runs after every teardown.
 */
export async function unmountRootfs(target: string): Promise<void> {
  while (isMountPoint(target)) {
    try {
      await run("umount", ["-l", target]);
    } catch (err) {
      if (!isMountPoint(target)) return;
      throw err;
    }
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
