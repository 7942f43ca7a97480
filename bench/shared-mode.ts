// Shared mode (issue 6) as a benchmark setup: the thin client `containerd-shim-v8d-v1` and the
// daemon `containerd-v8d`. The bench includes shared mode exactly when both are built; until
// then its rows print "not built".
//
// The daemon is the end-to-end tests' private one (test/e2e/v8d.ts): its own manager socket in a
// temporary directory, named to the thin client by CONTAINERD_V8D_SOCKET in containerd's
// environment, which shims inherit.
import { existsSync } from "node:fs";
import path from "node:path";
import { startV8d, type V8d } from "../test/e2e/v8d.js";

/** The shared-mode runtime name (architecture.md, "Runtime names"). */
export const SHARED_RUNTIME = "io.containerd.v8d.v1";

/** True when `binDir` holds the shared-mode thin client and daemon. */
export function sharedModeBuilt(binDir: string): boolean {
  return ["containerd-shim-v8d-v1", "containerd-v8d"].every((f) =>
    existsSync(path.join(binDir, f)),
  );
}

/** A private shared-mode daemon; containerd is started with its `containerdOptions`. */
export type SharedDaemon = Pick<V8d, "pid" | "containerdOptions" | "stop">;

/** Starts a private daemon and resolves once its manager socket accepts connections. */
export function startSharedDaemon(): Promise<SharedDaemon> {
  return startV8d();
}
