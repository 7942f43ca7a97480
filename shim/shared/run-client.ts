import { writeSync } from "node:fs";
import path from "node:path";
import { parseShimArgs, type ShimArgs } from "../cli/args.js";
import { defaultDaemonName, managerSocketPath } from "./defaults.js";

/** What makes a shared-mode thin shim. */
export interface SharedClientOptions {
  /** The runtime name containerd knows it by, e.g. `io.containerd.v8d.v1`. */
  readonly runtime: string;
  /**
   * The daemon's manager socket. Default: `$CONTAINERD_V8D_SOCKET`, else
   * `/run/containerd-v8d/manager.sock`.
   */
  readonly managerSocket?: string;
  /** The daemon's program name, for the message that tells the user to start it. */
  readonly daemon?: string;
  readonly version?: string;
}

/**
 * Turns the current process into the thin shim of shared mode (`containerd-shim-v8d-v1`): the
 * binary containerd execs per container. `start` asks the daemon for the container's sandbox and
 * prints its address; `delete` asks the daemon to clean the container up, and works without it
 * (shim-protocol.md §3.2, §3.7). It has no daemon action of its own. It is on every container's
 * start path, so each action loads only what it needs, and no engine code is in it at all.
 */
export function runSharedClient(options: SharedClientOptions): void {
  const program = path.basename(process.argv[1] ?? options.runtime);
  let args: ShimArgs;
  try {
    args = parseShimArgs(process.argv.slice(2));
  } catch (err) {
    fail(`${program}: ${(err as Error).message}`, 2);
  }
  const target = {
    managerSocket: managerSocketPath(options.managerSocket),
    daemon: options.daemon ?? defaultDaemonName,
  };
  switch (args.action) {
    case "version":
      writeSync(
        1,
        `${program}:\n  Runtime: ${options.runtime}\n  Version: ${options.version ?? "dev"}\n`,
      );
      return;
    case "start":
      // stdout+stderr become the address containerd dials: print the address, or on failure
      // only the error, which containerd shows as the reason the task could not be created.
      void import("./client-start.js")
        .then(({ startSandbox }) => startSandbox(args, target))
        .then(
          (address) => exit(() => writeSync(1, address)),
          (err: unknown) => fail(`${program} start: ${errorText(err)}`, 1),
        );
      return;
    case "delete":
      void import("./client-delete.js")
        .then(({ deleteContainer }) => deleteContainer(args, target))
        .then(
          (response) => exit(() => writeSync(1, response)),
          (err: unknown) => fail(`${program} delete: ${errorText(err)}`, 1),
        );
      return;
    case "serve":
      fail(
        `${program}: this shim has no daemon of its own; ${target.daemon} serves its containers`,
        2,
      );
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
