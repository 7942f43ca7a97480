// What a removed pod must not leave on the node: shim processes and sockets, rootfs mounts,
// bundles, and the FIFOs containerd's CRI plugin makes for each container's stdio (under its state
// directory, unlike ctr's /run/containerd/fifo).
import assert from "node:assert/strict";
import { lstatSync, readdirSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { bundles, mountsUnder, shimProcesses, shimSockets } from "../e2e/leaks.js";
import { CRI_NAMESPACE, type CriNode } from "./node.js";

/** containerd does not wait for a shim to exit after Shutdown: it gets this long to go. */
const SETTLE_MS = 5_000;

/**
 * Asserts, retrying for a few seconds, that no pod in `podIds` left anything behind: no shim
 * process serving this containerd (in normal mode the pod's shim exits; a shared-mode daemon is
 * not a shim of any one containerd and is not counted), no shim socket for the pods, nothing
 * mounted, no bundle, and no FIFO anywhere under the containerd's directory.
 */
export async function assertNothingLeft(node: CriNode, podIds: readonly string[]): Promise<void> {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    try {
      return assertNothingLeftNow(node, podIds);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(25);
    }
  }
}

function assertNothingLeftNow(node: CriNode, podIds: readonly string[]): void {
  const c = node.containerd;
  assert.deepEqual(shimProcesses(c.address), [], "no shim process may outlive its pod");
  assert.deepEqual(shimSockets(c.address, CRI_NAMESPACE, podIds), [], "no shim socket may be left");
  assert.deepEqual(mountsUnder(c.dir), [], "no rootfs may stay mounted");
  assert.deepEqual(bundles(path.join(c.dir, "state"), CRI_NAMESPACE), [], "no bundle may be left");
  assert.deepEqual(fifosUnder(c.dir), [], "no FIFO may be left");
}

/** Every FIFO at or below `dir` (the walk does not follow symlinks). */
export function fifosUnder(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return; // removed while walking
    }
    for (const name of names) {
      const p = path.join(d, name);
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (st.isFIFO()) found.push(p);
      else if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return found;
}
