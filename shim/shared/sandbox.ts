import { constants } from "node:os";
import { Server } from "../../ttrpc/index.js";
import type { EventSink } from "../events.js";
import type { InstanceFactory } from "../instance.js";
import { Local } from "../local.js";
import type { Logger } from "../log.js";
import { unmountRootfs } from "../rootfs.js";
import type { Task } from "../task.js";
import { registerTaskService } from "../task-service.js";
import { bindSocket, type BoundSocket } from "./socket-files.js";

/** What a sandbox serves, and for whom. */
export interface SandboxInit {
  /** The task service's socket: `/run/containerd/s/<sha256(address/namespace/group)>`. */
  readonly socketPath: string;
  readonly namespace: string;
  /** The pod's sandbox id, or the container id (shim-protocol.md §3.5). */
  readonly group: string;
  readonly containerdAddress: string;
  readonly ttrpcAddress: string;
  readonly instances: InstanceFactory;
  readonly events: EventSink;
  readonly log: Logger;
  readonly version?: string;
  /** Called once, synchronously, when the sandbox starts closing (its socket is gone by then). */
  readonly onClose: (sandbox: Sandbox) => void;
  /** How long a sandbox that nobody connects to lives; default 30 s. */
  readonly unusedTimeoutMs?: number;
}

/** The exit of a task the daemon ended and deleted on containerd's behalf. */
export type RemovedTask =
  | { readonly found: false }
  | { readonly found: true; readonly exitStatus: number; readonly exitedAt: Date };

/** How long a graceful close may wait for calls in flight before connections are dropped. */
const closeTimeoutMs = 2_000;

/**
 * One sandbox of the shared-mode daemon: the task service of one group of containers (a pod, or
 * a single container), on its own socket, exactly what a normal-mode shim process would serve —
 * the same `Local` — but inside the daemon, beside every other sandbox of the node.
 *
 * It closes (socket removed, connections ended) when containerd's Shutdown finds no task left,
 * as a normal-mode shim exits (§3.10); when the last connection goes and no task is left after
 * one was created; or when nothing is connected and no task exists `unusedTimeoutMs` after its
 * creation (containerd gave up on it).
 */
export class Sandbox {
  readonly socketPath: string;
  readonly namespace: string;
  readonly group: string;
  readonly containerdAddress: string;
  readonly local: Local;
  readonly #init: SandboxInit;
  readonly #server = new Server();
  readonly #bound: BoundSocket;
  readonly #unusedTimer: NodeJS.Timeout;
  #connections = 0;
  /**
   * Whether a task was ever created here: until then, a connection that comes and goes (a
   * liveness probe) says nothing about containerd being done with the sandbox.
   */
  #used = false;
  #closing: Promise<void> | undefined;

  /** Binds the sandbox's socket and starts serving; throws when someone else serves it. */
  static async open(init: SandboxInit): Promise<Sandbox> {
    return new Sandbox(init, await bindSocket(init.socketPath));
  }

  private constructor(init: SandboxInit, bound: BoundSocket) {
    this.#init = init;
    this.socketPath = init.socketPath;
    this.namespace = init.namespace;
    this.group = init.group;
    this.containerdAddress = init.containerdAddress;
    this.#bound = bound;
    this.local = new Local({
      namespace: init.namespace,
      containerdAddress: init.containerdAddress,
      ttrpcAddress: init.ttrpcAddress,
      instances: init.instances,
      events: {
        publish: (topic, event) => {
          if (topic === "/tasks/create") this.#used = true;
          init.events.publish(topic, event);
        },
      },
      log: init.log,
      ...(init.version !== undefined ? { version: init.version } : {}),
      onIdle: () => void this.close("shutdown with no task left"),
    });
    registerTaskService(this.#server, this.local);
    // containerd holds one connection per container for the container's whole life (§1.2).
    bound.listener.on("connection", (socket) => {
      this.#connections++;
      socket.once("close", () => {
        this.#connections--;
        if (this.#used) this.#closeIfUnused("containerd disconnected and no task is left");
      });
    });
    this.#server.serve(bound.listener);
    this.#unusedTimer = setTimeout(
      () => this.#closeIfUnused("nobody used it"),
      init.unusedTimeoutMs ?? 30_000,
    ).unref();
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  hasTask(id: string): boolean {
    return this.#task(id) !== undefined;
  }

  /**
   * Ends (SIGKILL) and deletes one container's task, for a `delete` that containerd ran after it
   * lost its connection to this sandbox; the sandbox closes if nothing is left in it.
   */
  async removeTask(id: string): Promise<RemovedTask> {
    const task = this.#task(id);
    if (!task) return { found: false };
    if (isAlive(task)) await this.#signal(task, constants.signals.SIGKILL);
    await task.exited;
    const deleted = await this.local.delete({ id, execId: "" });
    this.#closeIfUnused("its last task was removed");
    return { found: true, exitStatus: deleted.exitStatus, exitedAt: deleted.exitedAt };
  }

  /**
   * Stops the sandbox for a daemon shutdown: every live task gets SIGTERM (SIGKILL after
   * `graceMs`), so its exit is published to containerd; then instances are released, rootfs
   * mounts removed and the socket closed. Tasks are not deleted: containerd sees the connection
   * close and runs the shim's `delete`, which reports them and removes the bundles (§3.7).
   */
  async stop(graceMs: number): Promise<void> {
    await Promise.all(
      this.local.tasks().map(async (task) => {
        if (isAlive(task)) {
          const { SIGTERM, SIGKILL } = constants.signals;
          await this.#signal(task, SIGTERM);
          if (!(await settlesWithin(task.exited, graceMs))) {
            await this.#signal(task, SIGKILL);
            await settlesWithin(task.exited, graceMs);
          }
        }
        await task.instance.delete().catch(() => {});
        await unmountRootfs(task.rootfs).catch((err: unknown) =>
          this.#init.log.error("cannot unmount a rootfs", { id: task.id, error: String(err) }),
        );
      }),
    );
    await this.close("the daemon is stopping");
  }

  /**
   * Closes the sandbox: its socket file goes at once (a `delete` or `start` that follows finds
   * none, and a new sandbox may bind the same path), then calls in flight finish and connections
   * close. Idempotent.
   */
  close(reason: string): Promise<void> {
    return (this.#closing ??= this.#close(reason));
  }

  async #close(reason: string): Promise<void> {
    clearTimeout(this.#unusedTimer);
    this.#bound.unlink();
    this.#init.log.info("sandbox closed", { reason });
    this.#init.onClose(this);
    let timer: NodeJS.Timeout | undefined;
    const graceful = await Promise.race([
      this.#server.close().then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), closeTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (!graceful) await this.#server.destroy();
  }

  #closeIfUnused(reason: string): void {
    if (this.#closing || this.#connections > 0 || this.local.size > 0) return;
    void this.close(reason);
  }

  #task(id: string): Task | undefined {
    return this.local.tasks().find((t) => t.id === id);
  }

  async #signal(task: Task, signal: number): Promise<void> {
    try {
      await this.local.kill({ id: task.id, execId: "", signal, all: true });
    } catch {
      // Already stopped: NOT_FOUND, which is what we wanted.
    }
  }
}

function isAlive(task: Task): boolean {
  const kind = task.state.kind;
  return kind === "created" || kind === "starting" || kind === "running";
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]);
  clearTimeout(timer);
  return settled;
}
