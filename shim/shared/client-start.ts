import { renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Code, isTtrpcError } from "../../ttrpc/index.js";
import type { ShimArgs } from "../cli/args.js";
import { groupIdOf, loadSpec } from "../oci-spec.js";
import { dialManager, type ManagerTarget } from "./manager-client.js";

/** A sandbox is created in a few milliseconds; this only bounds a daemon that hangs. */
const createTimeoutMs = 30_000;

/**
 * The thin shim's `start` (shim-protocol.md §3.2): asks the daemon for the container's sandbox —
 * Connect when the container joins a pod whose sandbox may exist already, else (or when it does
 * not) Create — then writes `<bundle>/address` and returns the address for the caller to print.
 * Writes nothing itself: whatever reaches stdout or stderr becomes the address containerd dials.
 */
export async function startSandbox(args: ShimArgs, target: ManagerTarget): Promise<string> {
  const spec = await loadSpec(args.bundle);
  const group = groupIdOf(spec, args.id);
  const ttrpcAddress = process.env["TTRPC_ADDRESS"] || `${args.address}.ttrpc`;
  const { manager, close } = await dialManager(target);
  let socketPath: string | undefined;
  try {
    const where = { namespace: args.namespace, ttrpcAddress, containerdAddress: args.address };
    if (group !== args.id) {
      socketPath = await manager
        .connect({ ...where, id: group }, { timeoutMs: createTimeoutMs })
        .then(
          (r) => r.socketPath,
          (err: unknown) => {
            if (isTtrpcError(err) && err.code === Code.NotFound) return undefined;
            throw err;
          },
        );
    }
    socketPath ??= (
      await manager.create(
        { ...where, id: args.id, workingDirectory: args.bundle },
        { timeoutMs: createTimeoutMs },
      )
    ).socketPath;
  } finally {
    close();
  }
  // Not socket-address.ts: it loads node:crypto, ~9 ms this path does not need.
  const address = `unix://${socketPath}`;
  // Atomically, and without a trailing newline: containerd reads it verbatim on restart (§3.6).
  const tmp = path.join(args.bundle, ".address");
  writeFileSync(tmp, address);
  renameSync(tmp, path.join(args.bundle, "address"));
  return address;
}
