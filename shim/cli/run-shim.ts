import type { InstanceFactory, ShimEngine } from "../instance.js";
import { dispatchShim } from "./dispatch.js";

/** What makes a shim: its runtime name, and the wasm host that runs its containers. */
export interface ShimOptions {
  /** The runtime name containerd knows it by, e.g. `io.containerd.v8.v1` (shim-protocol.md §3.1). */
  readonly runtime: string;
  /** The wasm host: an engine, or just its instance factory. */
  readonly engine: ShimEngine | InstanceFactory;
  readonly version?: string;
}

/**
 * Turns the current process into a complete normal-mode shim: parses containerd's command line
 * and runs `start`, `delete` or the daemon (shim-protocol.md §3). Each action loads only the code
 * it needs, because `start` and `delete` are on every container's start and teardown path.
 */
export function runShim(options: ShimOptions): void {
  dispatchShim({
    runtime: options.runtime,
    version: options.version,
    start: async (args) =>
      (await import("./start.js")).startShim(args, { script: process.argv[1]! }),
    delete: async (args) => (await import("./delete.js")).deleteShim(args),
    serve: (args) => void import("./serve.js").then(({ serveShim }) => serveShim(args, options)),
  });
}
