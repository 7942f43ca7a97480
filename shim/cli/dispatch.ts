import { writeSync } from "node:fs";
import path from "node:path";
import { parseShimArgs, type ShimArgs } from "./args.js";

/** What one kind of shim does for each of containerd's actions (shim-protocol.md §3). */
export interface ShimActions {
  /** The runtime name containerd knows the shim by, for `-v`. */
  readonly runtime: string;
  readonly version?: string | undefined;
  /** Finds or starts the daemon for the container; resolves with the address to print. */
  start(args: ShimArgs): Promise<string>;
  /** Cleans up after the container; resolves with the DeleteResponse bytes to print. */
  delete(args: ShimArgs): Promise<Uint8Array>;
  /** Runs the daemon (no action given). */
  serve(args: ShimArgs, program: string): void;
}

/**
 * Parses containerd's command line and runs the action, with the output conventions containerd
 * relies on: `start` prints only the address (stdout and stderr together become what containerd
 * dials), `delete` only the DeleteResponse; on failure only the error goes to stderr, which
 * containerd shows as the reason, and the exit status is non-zero.
 */
export function dispatchShim(actions: ShimActions): void {
  const program = path.basename(process.argv[1] ?? actions.runtime);
  let args: ShimArgs;
  try {
    args = parseShimArgs(process.argv.slice(2));
  } catch (err) {
    fail(`${program}: ${errorText(err)}`, 2);
  }
  switch (args.action) {
    case "version":
      writeSync(
        1,
        `${program}:\n  Runtime: ${actions.runtime}\n  Version: ${actions.version ?? "dev"}\n`,
      );
      return;
    case "start":
      actions.start(args).then(
        (address) => exit(address),
        (err: unknown) => fail(`${program} start: ${errorText(err)}`, 1),
      );
      return;
    case "delete":
      actions.delete(args).then(
        (response) => exit(response),
        (err: unknown) => fail(`${program} delete: ${errorText(err)}`, 1),
      );
      return;
    case "serve":
      actions.serve(args, program);
      return;
  }
}

function exit(output: string | Uint8Array): never {
  if (typeof output === "string") writeSync(1, output);
  else writeSync(1, output);
  process.exit(0);
}

/** Reports a failure on stderr and exits with `code`. */
export function fail(message: string, code: number): never {
  writeSync(2, message + "\n");
  process.exit(code);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
