import path from "node:path";
import {
  ManagerDefinition,
  type ManagerConnectRequest,
  type ManagerCreateRequest,
  type ManagerDeleteRequest,
} from "../../api/index.js";
import { Code, TtrpcError, type Server, type ServiceImpl } from "../../ttrpc/index.js";
import type { InstanceFactory } from "../instance.js";
import type { Logger } from "../log.js";
import { groupIdOf, loadSpec } from "../oci-spec.js";
import { shimSocketPath } from "../socket-address.js";
import { PublisherPool } from "./publisher-pool.js";
import { Sandbox } from "./sandbox.js";
import type { SocketRecords } from "./socket-records.js";

/** What a ManagerService needs; passed in so tests can run it without a daemon around it. */
export interface ManagerServiceOptions {
  /** Makes each container's instance: the same factory a normal-mode shim uses. */
  readonly instances: InstanceFactory;
  readonly log: Logger;
  /** A sandbox's logger, given its namespace and group; default `log`. */
  readonly sandboxLog?: (fields: { namespace: string; sandbox: string }) => Logger;
  readonly version?: string;
  /** Where the sockets of live sandboxes are noted, for the next daemon after a crash. */
  readonly records?: SocketRecords;
  /** How long a sandbox nobody connects to lives (default 30 s). */
  readonly unusedSandboxTimeoutMs?: number;
  /**
   * The sandbox socket for a group; default the conventional
   * `/run/containerd/s/<sha256(address/namespace/group)>` (shim-protocol.md §3.3).
   */
  readonly socketPathOf?: (containerdAddress: string, namespace: string, group: string) => string;
}

/** A sandbox of the manager, from the moment its Create began (so concurrent Creates share it). */
interface Slot {
  opened: Promise<Sandbox>;
}

/**
 * The shared-mode manager (runwasi's sandbox manager), free of any transport like `Local`: one
 * daemon serves a sandbox — a task service on its own socket — per pod or single container, for
 * any number of containerd instances and namespaces, all from one `InstanceFactory`. Each
 * sandbox's events go to the containerd that asked for it. The ttrpc glue is
 * `registerManagerService`.
 */
export class ManagerService {
  readonly #o: ManagerServiceOptions;
  readonly #publishers: PublisherPool;
  // Socket path → sandbox, also while it is being opened (so concurrent Creates share it).
  readonly #slots = new Map<string, Slot>();
  #stopping = false;

  constructor(options: ManagerServiceOptions) {
    this.#o = options;
    this.#publishers = new PublisherPool(options.log);
  }

  /** Number of sandboxes open or opening. */
  get size(): number {
    return this.#slots.size;
  }

  /**
   * Opens the sandbox of the container's group, or answers the one that is open already (a pod's
   * second container, or a retried start). The group comes from the bundle's config.json.
   */
  async create(req: ManagerCreateRequest): Promise<{ socketPath: string }> {
    this.#assertRunning();
    requireFields("create", req, ["namespace", "id", "workingDirectory", "containerdAddress"]);
    if (!path.isAbsolute(req.workingDirectory)) {
      throw new TtrpcError(
        Code.InvalidArgument,
        `create: working_directory ${req.workingDirectory} is not an absolute path`,
      );
    }
    const spec = await loadSpec(req.workingDirectory);
    const group = groupIdOf(spec, req.id);
    const socketPath = this.#socketPath(req.containerdAddress, req.namespace, group);
    let slot = this.#slots.get(socketPath);
    if (!slot) {
      // The slot exists before #open starts, so that its onClose can recognise it.
      const opening = {} as Slot;
      opening.opened = this.#open(socketPath, req, group, opening).catch((err: unknown) => {
        if (this.#slots.get(socketPath) === opening) this.#slots.delete(socketPath);
        throw err;
      });
      this.#slots.set(socketPath, opening);
      slot = opening;
    }
    await slot.opened;
    return { socketPath };
  }

  /** The socket of the sandbox serving group `id`; NOT_FOUND when there is none. */
  async connect(req: ManagerConnectRequest): Promise<{ socketPath: string }> {
    this.#assertRunning();
    requireFields("connect", req, ["namespace", "id", "containerdAddress"]);
    const socketPath = this.#socketPath(req.containerdAddress, req.namespace, req.id);
    const sandbox = await this.#slots.get(socketPath)?.opened.catch(() => undefined);
    if (!sandbox || sandbox.closed) {
      throw new TtrpcError(Code.NotFound, `no sandbox ${req.id} in namespace ${req.namespace}`);
    }
    return { socketPath };
  }

  /**
   * Cleans up one container for the shim's `delete` (shim-protocol.md §3.7): containerd lost its
   * connection to the sandbox. If a sandbox still holds the container's task, the task is ended
   * and deleted (and the sandbox closed when empty); its exit is answered for containerd to
   * report. Nothing to clean up is not an error.
   */
  async delete(
    req: ManagerDeleteRequest,
  ): Promise<{ found: boolean; exitStatus: number; exitedAt: Date | undefined }> {
    requireFields("delete", req, ["namespace", "id"]);
    for (const sandbox of await this.#live()) {
      if (sandbox.namespace !== req.namespace || !sandbox.hasTask(req.id)) continue;
      if (req.containerdAddress && sandbox.containerdAddress !== req.containerdAddress) continue;
      const removed = await sandbox.removeTask(req.id);
      if (!removed.found) continue;
      this.#o.log.info("container cleaned up after containerd lost it", {
        namespace: req.namespace,
        id: req.id,
        exitStatus: removed.exitStatus,
      });
      return { found: true, exitStatus: removed.exitStatus, exitedAt: removed.exitedAt };
    }
    return { found: false, exitStatus: 0, exitedAt: undefined };
  }

  /**
   * Stops every sandbox (their tasks get SIGTERM, then SIGKILL after `graceMs`, and their exits
   * are published), flushes the publishers, and refuses new sandboxes. Idempotent.
   */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    await Promise.all((await this.#live()).map((sandbox) => sandbox.stop(graceMs)));
    await this.#publishers.close();
  }

  async #open(
    socketPath: string,
    req: ManagerCreateRequest,
    group: string,
    slot: Slot,
  ): Promise<Sandbox> {
    const ttrpcAddress = req.ttrpcAddress || `${req.containerdAddress}.ttrpc`;
    const lease = this.#publishers.acquire(ttrpcAddress, req.namespace);
    const log = this.#o.log;
    try {
      const sandbox = await Sandbox.open({
        socketPath,
        namespace: req.namespace,
        group,
        containerdAddress: req.containerdAddress,
        ttrpcAddress,
        instances: this.#o.instances,
        events: lease.events,
        log: this.#o.sandboxLog?.({ namespace: req.namespace, sandbox: group }) ?? log,
        ...(this.#o.version !== undefined ? { version: this.#o.version } : {}),
        ...(this.#o.unusedSandboxTimeoutMs !== undefined
          ? { unusedTimeoutMs: this.#o.unusedSandboxTimeoutMs }
          : {}),
        onClose: () => {
          // Synchronously: a Create that comes next must open a new sandbox, not get this one.
          if (this.#slots.get(socketPath) === slot) this.#slots.delete(socketPath);
          this.#o.records?.remove(socketPath);
          lease.release();
        },
      });
      this.#o.records?.add(socketPath);
      log.info("sandbox opened", { namespace: req.namespace, group, socket: socketPath });
      return sandbox;
    } catch (err) {
      lease.release();
      throw err;
    }
  }

  async #live(): Promise<Sandbox[]> {
    const settled = await Promise.all(
      [...this.#slots.values()].map((slot) => slot.opened.catch(() => undefined)),
    );
    return settled.filter((s): s is Sandbox => s !== undefined && !s.closed);
  }

  #socketPath(containerdAddress: string, namespace: string, group: string): string {
    return (this.#o.socketPathOf ?? shimSocketPath)(containerdAddress, namespace, group);
  }

  #assertRunning(): void {
    if (this.#stopping) {
      throw new TtrpcError(Code.Unavailable, "the daemon is stopping; try again once it is back");
    }
  }
}

/**
 * Registers the manager service on a ttrpc server: thin glue from each RPC to `ManagerService`,
 * as `registerTaskService` is to `Local`.
 */
export function registerManagerService(server: Server, manager: ManagerService): void {
  const impl = {
    create: (req) => manager.create(req),
    connect: (req) => manager.connect(req),
    delete: (req) => manager.delete(req),
  } satisfies ServiceImpl<typeof ManagerDefinition>;
  server.register(ManagerDefinition, impl);
}

function requireFields<T extends object>(method: string, req: T, fields: (keyof T & string)[]) {
  for (const field of fields) {
    if (!req[field]) {
      throw new TtrpcError(Code.InvalidArgument, `${method}: ${snakeCase(field)} is empty`);
    }
  }
}

function snakeCase(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
