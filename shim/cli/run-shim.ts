import { writeSync } from "node:fs";
import path from "node:path";
import type { InstanceFactory, ShimEngine } from "../instance.js";
import { parseShimArgs, type ShimArgs } from "./args.js";

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
  const program = path.basename(process.argv[1] ?? options.runtime);
  let args: ShimArgs;
  try {
    args = parseShimArgs(process.argv.slice(2));
  } catch (err) {
    fail(`${program}: ${(err as Error).message}`, 2);
  }
  switch (args.action) {
    case "version":
      writeSync(
        1,
        `${program}:\n  Runtime: ${options.runtime}\n  Version: ${options.version ?? "dev"}\n`,
      );
      return;
    case "start":
      // stdout+stderr become the address containerd dials: print the address, or on failure only
      // the error, which containerd then shows as the reason the task could not be created.
      void import("./start.js")
        .then(({ startShim }) => startShim(args, { script: process.argv[1]! }))
        .then(
          (address) => exit(() => writeSync(1, address)),
          (err: unknown) => fail(`${program} start: ${errorText(err)}`, 1),
        );
      return;
    case "delete":
      void import("./delete.js")
        .then(({ deleteShim }) => deleteShim(args))
        .then(
          (response) => exit(() => writeSync(1, response)),
          (err: unknown) => fail(`${program} delete: ${errorText(err)}`, 1),
        );
      return;
    case "serve":
      void import("./serve.js").then(({ serveShim }) => serveShim(args, options));
      return;
  }
}

function exit(write: () => void): never {
  write();
  process.exit(0);
}

function fail(message: string, code: number): never {
  writeSync(2, message + "\n");
  process.exit(code);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
