import { dispatchShim, fail } from "../cli/dispatch.js";
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
  const target = {
    managerSocket: managerSocketPath(options.managerSocket),
    daemon: options.daemon ?? defaultDaemonName,
  };
  dispatchShim({
    runtime: options.runtime,
    version: options.version,
    start: async (args) => (await import("./client-start.js")).startSandbox(args, target),
    delete: async (args) => (await import("./client-delete.js")).deleteContainer(args, target),
    serve: (_args, program) =>
      fail(
        `${program}: this shim has no daemon of its own; ${target.daemon} serves its containers`,
        2,
      ),
  });
}
