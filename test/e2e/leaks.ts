// What a container may leave behind on the host, listed so a test can assert that nothing is.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { shimSocketPath } from "../../shim/index.js";

/** Shim processes serving containers of the containerd at `address`. */
export function shimProcesses(address: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
    } catch {
      continue;
    }
    if (/containerd-shim-|containerd-v8d/.test(cmdline) && cmdline.includes(address))
      found.push(`${pid}: ${cmdline}`);
  }
  return found;
}

/** Mount points at or below `dir`. */
export function mountsUnder(dir: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .filter((m) => m === dir || m.startsWith(dir + "/"));
}

/** Shim sockets left for these container (or group) ids. */
export function shimSockets(address: string, namespace: string, ids: readonly string[]): string[] {
  const left: string[] = [];
  const present = new Set(safeReaddir("/run/containerd/s"));
  for (const id of ids) {
    const socket = shimSocketPath(address, namespace, id);
    if (present.has(path.basename(socket))) left.push(`${id}: ${socket}`);
  }
  return left;
}

/** Bundle directories containerd still holds in a namespace (state dir). */
export function bundles(stateDir: string, namespace: string): string[] {
  return safeReaddir(path.join(stateDir, "io.containerd.runtime.v2.task", namespace));
}

/** Entries of ctr's FIFO directory; compare before and after. */
export function fifoDirs(): string[] {
  return safeReaddir("/run/containerd/fifo");
}

/**
 * ctr's stdio FIFOs (`/run/containerd/fifo/<random>/<id>-stdin|stdout|stderr`) still present for
 * these container ids. The directory is shared by every containerd on the host, so a check must
 * look only at its own containers' names.
 */
export function fifosOf(ids: readonly string[]): string[] {
  const wanted = new Set(
    ids.flatMap((id) => ["stdin", "stdout", "stderr"].map((s) => `${id}-${s}`)),
  );
  const left: string[] = [];
  for (const dir of fifoDirs()) {
    for (const name of safeReaddir(path.join("/run/containerd/fifo", dir))) {
      if (wanted.has(name)) left.push(path.join(dir, name));
    }
  }
  return left;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
