import { mkdirSync } from "node:fs";
import path from "node:path";
import { Server } from "../../ttrpc/index.js";
import type { InstanceConfig, InstanceFactory, ShimEngine } from "../instance.js";
import type { Logger } from "../log.js";
import { ManagerService, registerManagerService } from "./manager-service.js";
import { isServing } from "../socket-probe.js";
import { removeStaleSocket } from "./socket-files.js";
import { SocketRecords } from "./socket-records.js";

/** What a shared-mode daemon runs, and where. */
export interface SharedDaemonOptions {
  /** The wasm host: an engine, or just its instance factory (as for `runShim`). */
  readonly engine: ShimEngine | InstanceFactory;
  /** The manager socket. Its directory also keeps the daemon's notes on its sandboxes. */
  readonly socket: string;
  readonly log: Logger;
  /** A sandbox's logger (default `log`). */
  readonly sandboxLog?: (fields: { namespace: string; sandbox: string }) => Logger;
  readonly version?: string;
  /**
   * The memory limit of a container whose spec sets none (`linux.resources.memory.limit`). Every
   * sandbox's memory is the daemon's, so without a cap one container could exhaust the node and
   * get the daemon, and every other sandbox with it, OOM-killed. Undefined or 0: no default.
   */
  readonly defaultMemoryLimitBytes?: number;
}

/** A running shared-mode daemon. */
export interface SharedDaemon {
  readonly socket: string;
  readonly manager: ManagerService;
  /**
   * Stops: no new sandboxes; running containers get SIGTERM, then SIGKILL after `graceMs`, and
   * their exits are published to containerd; sockets and mounts are removed; the engine closes.
   * Idempotent.
   */
  stop(graceMs?: number): Promise<void>;
}

/** How long in-flight manager calls may take once the daemon stops. */
const managerCloseTimeoutMs = 2_000;

/**
 * Starts a shared-mode daemon in this process: the manager service on `socket` (0600, in a
 * 0700 directory), one sandbox per pod or container behind it. Sockets a crashed predecessor
 * left behind are removed first; when another daemon is alive on `socket`, this one refuses to
 * start.
 */
export async function startSharedDaemon(options: SharedDaemonOptions): Promise<SharedDaemon> {
  const engine: ShimEngine =
    typeof options.engine === "function" ? { instances: options.engine } : options.engine;
  // First, so the engine's slow start (worker threads) overlaps everything below.
  engine.prewarm?.();
  const { socket, log } = options;
  const stateDir = path.dirname(socket);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  if (await isServing(socket)) {
    throw new Error(`another daemon already serves ${socket}`);
  }
  await removeStaleSocket(socket);
  const records = new SocketRecords(path.join(stateDir, "sandboxes"));
  for (const stale of await records.sweep()) {
    log.info("removed a sandbox socket left by an earlier daemon", { socket: stale });
  }

  const manager = new ManagerService({
    instances: withDefaultMemoryLimit(engine.instances, options.defaultMemoryLimitBytes),
    log,
    records,
    ...(options.sandboxLog ? { sandboxLog: options.sandboxLog } : {}),
    ...(options.version !== undefined ? { version: options.version } : {}),
  });
  const server = new Server();
  registerManagerService(server, manager);
  await server.listen(socket);

  let stopping: Promise<void> | undefined;
  const stop = async (graceMs: number) => {
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      server.close().then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), managerCloseTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (!closed) await server.destroy();
    await manager.stop(graceMs);
    await engine.close?.().catch(() => {});
  };
  return {
    socket,
    manager,
    stop: (graceMs = 2_000) => (stopping ??= stop(graceMs)),
  };
}

/** Gives every container without a memory limit in its spec `limitBytes` (see the option). */
function withDefaultMemoryLimit(
  instances: InstanceFactory,
  limitBytes: number | undefined,
): InstanceFactory {
  if (!limitBytes) return instances;
  return (config: InstanceConfig) => {
    const spec = config.spec;
    if (spec.linux?.resources?.memory?.limit) return instances(config);
    const linux = spec.linux ?? {};
    const resources = linux.resources ?? {};
    const memory = { ...resources.memory, limit: limitBytes };
    return instances({
      ...config,
      spec: { ...spec, linux: { ...linux, resources: { ...resources, memory } } },
    });
  };
}
