// Shared mode (issue 6) as a benchmark setup: the thin client `containerd-shim-v8d-v1` and the
// daemon `containerd-v8d`. The bench includes shared mode exactly when both are built; until
// then its rows print "not built".
//
// The daemon is the end-to-end tests' private one (test/e2e/v8d.ts): its own manager socket in a
// temporary directory, and a bin directory for containerd's PATH in which the thin client is a
// one-line sh wrapper that aims it at that socket (containerd gives shims its own environment,
// which the harness keeps clean). The wrapper costs each shared-mode start and delete one more
// exec of /bin/sh, about a millisecond; an installed shared mode does not pay it.
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

/** A private shared-mode daemon; `binDir` goes first on containerd's PATH. */
export type SharedDaemon = Pick<V8d, "pid" | "binDir" | "stop">;

/** Starts a private daemon and resolves once its manager socket accepts connections. */
export function startSharedDaemon(): Promise<SharedDaemon> {
  return startV8d();
}
