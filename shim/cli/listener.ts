import { fstatSync } from "node:fs";
import type net from "node:net";

/** The fd on which `start` hands the bound, listening socket to the daemon (as the Go shim does). */
export const inheritedListenerFd = 3;

/**
 * The fd of a listening server, to pass to a child in `spawn`'s stdio. Node cannot pass a server
 * there directly, and has no public accessor; the handle's `fd` has been stable on Unix since
 * Node 0.x and is what `child_process` itself uses for handles.
 */
export function listenerFd(listener: net.Server): number {
  const handle = (listener as unknown as { _handle?: { fd?: number } })._handle;
  if (typeof handle?.fd !== "number" || handle.fd < 0) {
    throw new Error("the shim socket has no file descriptor to hand to the daemon");
  }
  return handle.fd;
}

/** Whether this process was handed a listening socket as fd 3 (it was started by `start`). */
export function hasInheritedListener(): boolean {
  try {
    return fstatSync(inheritedListenerFd).isSocket();
  } catch {
    return false;
  }
}
