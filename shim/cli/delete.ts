import { DeleteResponse } from "../../api/index.js";
import { loadSpec, rootPathOf } from "../oci-spec.js";
import { unmountRootfs } from "../rootfs.js";
import type { ShimArgs } from "./args.js";

/**
 * The `delete` action (shim-protocol.md §3.7). containerd runs it after every teardown and after a
 * crash, so it must be idempotent, quick, and touch only this container: in a grouped shim its
 * siblings keep running. The workload ran inside the daemon, so once the daemon is gone nothing of
 * it is left but the rootfs mount. Returns the DeleteResponse bytes for stdout.
 */
export async function deleteShim(args: ShimArgs, now = new Date()): Promise<Uint8Array> {
  const spec = await loadSpec(args.bundle).catch(() => undefined);
  const rootfs = spec ? rootPathOf(spec, args.bundle) : `${args.bundle}/rootfs`;
  await unmountRootfs(rootfs);
  // 137: what runc and runwasi report for a container whose shim went away (killed).
  return DeleteResponse.encode({ pid: 0, exitStatus: 128 + 9, exitedAt: now }).finish();
}
