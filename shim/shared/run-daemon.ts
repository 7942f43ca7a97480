import { writeSync } from "node:fs";
import path from "node:path";
import type { InstanceFactory, ShimEngine } from "../instance.js";
import { daemonUsage, parseDaemonArgs, type DaemonArgs } from "./daemon-args.js";
import { DaemonLogger } from "./daemon-log.js";
import { defaultDaemonName, managerSocketPath } from "./defaults.js";

/** What makes a shared-mode daemon program. */
export interface SharedDaemonProgramOptions {
  /** The runtime name of the daemon's thin shim, e.g. `io.containerd.v8d.v1` (logs, --version). */
  readonly runtime: string;
  /** The wasm host: the same engine (or instance factory) as the normal-mode shim's. */
  readonly engine: ShimEngine | InstanceFactory;
  /**
   * The manager socket when neither `--socket` nor `$CONTAINERD_V8D_SOCKET` names one; default
   * `/run/containerd-v8d/manager.sock`.
   */
  readonly socket?: string;
  readonly version?: string;
}

/** A container's memory limit when its spec sets none: see `--default-memory-limit`. */
const defaultMemoryLimitMib = 1024;

/** How long a stop may take in all before the daemon exits anyway. */
const stopDeadlineMs = 20_000;

/**
 * Turns the current process into a shared-mode daemon (`containerd-v8d`): parses its command
 * line, serves the manager socket, logs to stderr, and stops cleanly on SIGTERM or SIGINT —
 * running containers are stopped and reported exited to containerd. A misbehaving container must
 * never take the daemon down with every other sandbox of the node, so stray errors are logged
 * and survived.
 */
export function runSharedDaemon(options: SharedDaemonProgramOptions): void {
  const program = path.basename(process.argv[1] ?? defaultDaemonName);
  let args: DaemonArgs;
  try {
    args = parseDaemonArgs(process.argv.slice(2));
  } catch (err) {
    writeSync(2, `${program}: ${(err as Error).message}\n${daemonUsage(program)}`);
    process.exit(2);
  }
  if (args.action === "version") {
    writeSync(
      1,
      `${program}:\n  Runtime: ${options.runtime}\n  Version: ${options.version ?? "dev"}\n`,
    );
    return;
  }
  if (args.action === "help") {
    writeSync(1, daemonUsage(program));
    return;
  }
  void serve(args, options, program);
}

async function serve(
  args: DaemonArgs,
  options: SharedDaemonProgramOptions,
  program: string,
): Promise<void> {
  const log = new DaemonLogger({ debug: args.debug, fields: { pid: String(process.pid) } });
  process.on("uncaughtException", (err) =>
    log.error("uncaught exception", { error: err.stack ?? String(err) }),
  );
  process.on("unhandledRejection", (err) =>
    log.error("unhandled rejection", { error: String(err) }),
  );
  const socket = args.socket ?? managerSocketPath(options.socket);
  // Loaded here rather than at the top: `--version` and `--help` need none of it.
  const { startSharedDaemon } = await import("./daemon.js");
  let daemon: Awaited<ReturnType<typeof startSharedDaemon>>;
  try {
    daemon = await startSharedDaemon({
      engine: options.engine,
      socket,
      log,
      sandboxLog: (fields) => log.with(fields),
      defaultMemoryLimitBytes: (args.defaultMemoryLimitMib ?? defaultMemoryLimitMib) * 2 ** 20,
      ...(options.version !== undefined ? { version: options.version } : {}),
    });
  } catch (err) {
    log.error("cannot serve", { socket, error: String(err) });
    writeSync(2, `${program}: cannot serve ${socket}: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const graceMs = (args.stopGraceSeconds ?? 2) * 1000;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal });
    setTimeout(
      () => {
        log.error("stop took too long; exiting anyway");
        process.exit(1);
      },
      stopDeadlineMs + graceMs * 2,
    ).unref();
    void daemon.stop(graceMs).then(() => {
      log.info("stopped");
      process.exit(0);
    });
  };
  // For an operator wondering where the memory went: `kill -USR2 <pid>` logs the figures.
  process.on("SIGUSR2", () => {
    const m = process.memoryUsage();
    log.info("memory", {
      sandboxes: daemon.manager.size,
      rssMiB: (m.rss / 2 ** 20).toFixed(1),
      heapUsedMiB: (m.heapUsed / 2 ** 20).toFixed(1),
      heapTotalMiB: (m.heapTotal / 2 ** 20).toFixed(1),
      externalMiB: (m.external / 2 ** 20).toFixed(1),
    });
  });
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  log.info("serving", { socket, runtime: options.runtime, version: options.version ?? "dev" });
}
