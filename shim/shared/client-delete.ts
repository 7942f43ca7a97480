import { readFileSync, writeSync } from "node:fs";
import { DeleteResponse } from "../../api/index.js";
import type { ShimArgs } from "../cli/args.js";
import { loadSpec, rootPathOf } from "../oci-spec.js";
import { dialManager, type ManagerTarget } from "./manager-client.js";

/** containerd gives `delete` 5 s in all (shim-protocol.md §3.7); the daemon gets part of it. */
const deleteTimeoutMs = 3_000;

/**
 * The thin shim's `delete` (shim-protocol.md §3.7), which containerd runs whenever it lost its
 * connection to the container's sandbox — after every normal teardown, and after the daemon
 * died. Asks the daemon to end and delete the container's task if it still holds it; then, with
 * or without the daemon, removes what the container left on the host: its rootfs mount, and the
 * sandbox's socket file when nobody serves it any more. Answers the DeleteResponse bytes: the
 * task's exit when the daemon had it, else 137 (killed), as runc and runwasi report a container
 * whose shim is gone. Warnings go to stderr, which containerd logs as "cleanup warnings".
 */
export async function deleteContainer(args: ShimArgs, target: ManagerTarget): Promise<Uint8Array> {
  let exit = { exitStatus: 128 + 9, exitedAt: new Date() };
  try {
    const { manager, close } = await dialManager(target);
    try {
      const r = await manager.delete(
        {
          namespace: args.namespace,
          id: args.id,
          ttrpcAddress: process.env["TTRPC_ADDRESS"] || `${args.address}.ttrpc`,
          containerdAddress: args.address,
        },
        { timeoutMs: deleteTimeoutMs },
      );
      if (r.found) exit = { exitStatus: r.exitStatus, exitedAt: r.exitedAt ?? exit.exitedAt };
    } finally {
      close();
    }
  } catch (err) {
    writeSync(2, `${err instanceof Error ? err.message : String(err)}; cleaning up without it\n`);
  }
  const spec = await loadSpec(args.bundle).catch(() => undefined);
  const rootfs = spec ? rootPathOf(spec, args.bundle) : `${args.bundle}/rootfs`;
  // Loaded only here: the common path (no socket left) is answered by the C launcher, and this
  // one needs rootfs.ts only to unmount what a dead daemon left.
  const { unmountRootfs } = await import("../rootfs.js");
  await unmountRootfs(rootfs);
  await removeSandboxSocket(args.bundle);
  return DeleteResponse.encode({ pid: 0, ...exit }).finish();
}

/** Removes the socket named by `<bundle>/address` if nobody serves it (a dead daemon's). */
async function removeSandboxSocket(bundle: string): Promise<void> {
  let address: string;
  try {
    address = readFileSync(`${bundle}/address`, "utf8");
  } catch {
    return;
  }
  if (!address.startsWith("unix://")) return;
  const { removeStaleSocket } = await import("./socket-files.js");
  await removeStaleSocket(address.slice("unix://".length));
}
