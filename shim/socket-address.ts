import path from "node:path";

/**
 * containerd hard-codes this directory for shim sockets, whatever its own state directory is
 * (shim-protocol.md §3.3).
 */
export const shimSocketDir = "/run/containerd/s";

/**
 * The socket a shim group listens on: `/run/containerd/s/<sha256(grpcAddress/namespace/group)>`,
 * the formula of containerd's own shims, so grouping is deterministic and tooling recognises it.
 */
export function shimSocketPath(grpcAddress: string, namespace: string, groupId: string): string {
  const key = path.join(grpcAddress, namespace, groupId);
  // Loaded on first use, not with this module: node:crypto costs ~3 ms to load, and the shim
  // daemon, which is given its socket, never needs it on a container's start-up path.
  const { createHash } = process.getBuiltinModule("node:crypto");
  return path.join(shimSocketDir, createHash("sha256").update(key).digest("hex"));
}

/** The address `start` prints: without `unix://` containerd would dial an abstract socket. */
export function socketAddress(socketPath: string): string {
  return `unix://${socketPath}`;
}
