import { chmodSync, mkdirSync, unlinkSync } from "node:fs";
import path from "node:path";
import { Server } from "../../ttrpc/index.js";
import type { InstanceFactory, ShimEngine } from "../instance.js";
import { Local } from "../local.js";
import { FifoLogger, type Logger } from "../log.js";
import { EventPublisher } from "../publisher.js";
import { shimSocketPath } from "../socket-address.js";
import { isServing } from "../socket-probe.js";
import { registerTaskService } from "../task-service.js";
import type { ShimArgs } from "./args.js";
import { hasInheritedListener, inheritedListenerFd } from "./listener.js";
import type { ShimOptions } from "./run-shim.js";

/** How long a graceful stop may take before the daemon exits anyway. */
const stopTimeoutMs = 5_000;

/**
 * The shim daemon (shim-protocol.md §3.4): serves the task service on the group's socket until a
 * Shutdown finds no task left, or SIGTERM/SIGINT. Misbehaving containers must never take it down,
 * so stray errors are logged and survived.
 */
export async function serveShim(args: ShimArgs, options: ShimOptions): Promise<void> {
  const engine: ShimEngine =
    typeof options.engine === "function"
      ? { instances: options.engine as InstanceFactory }
      : options.engine;
  // First, so the engine's slow start (a worker thread) overlaps everything below.
  engine.prewarm?.();

  const log = new FifoLogger(path.join(args.bundle, "log"), {
    debug: args.debug,
    fields: { runtime: options.runtime, pid: String(process.pid) },
  });
  process.on("uncaughtException", (err) =>
    log.error("uncaught exception", { error: err.stack ?? String(err) }),
  );
  process.on("unhandledRejection", (err) =>
    log.error("unhandled rejection", { error: String(err) }),
  );

  const ttrpcAddress = process.env["TTRPC_ADDRESS"] || `${args.address}.ttrpc`;
  const publisher = new EventPublisher({ address: ttrpcAddress, namespace: args.namespace, log });
  const server = new Server();
  const socketPath = args.socket || shimSocketPath(args.address, args.namespace, args.id);

  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> =>
    (stopping ??= (async () => {
      log.info("shim exiting", { reason });
      const timer = setTimeout(() => process.exit(0), stopTimeoutMs);
      await server.close().catch(() => {});
      removeSocket(socketPath);
      await publisher.close().catch(() => {});
      await engine.close?.().catch(() => {});
      clearTimeout(timer);
      log.close();
      process.exit(0);
    })());

  const local = new Local({
    namespace: args.namespace,
    containerdAddress: args.address,
    ttrpcAddress,
    instances: engine.instances,
    events: publisher,
    log,
    version: options.version,
    onIdle: () => void stop("shutdown with no task left"),
  });
  registerTaskService(server, local);

  try {
    if (hasInheritedListener()) await server.listen({ fd: inheritedListenerFd });
    else await listen(server, socketPath, log);
  } catch (err) {
    log.error("cannot serve", { socket: socketPath, error: String(err) });
    process.exit(1);
  }
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  log.info("shim serving", { socket: socketPath, namespace: args.namespace, id: args.id });
}

/**
 * Listens on the group's socket when the daemon was started by hand rather than by `start`,
 * replacing a stale socket file left by a dead shim. When another daemon already serves the
 * group, this one leaves.
 */
async function listen(server: Server, socketPath: string, log: Logger): Promise<void> {
  mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 });
  try {
    await server.listen(socketPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    if (await isServing(socketPath)) {
      log.info("another shim already serves this group", { socket: socketPath });
      process.exit(0);
    }
    removeSocket(socketPath);
    await server.listen(socketPath);
  }
  chmodSync(socketPath, 0o600);
}

function removeSocket(socketPath: string): void {
  try {
    unlinkSync(socketPath);
  } catch {
    // Already gone.
  }
}
