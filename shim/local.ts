import path from "node:path";
import {
  Metrics,
  Status,
  packAny,
  type CloseIORequest,
  type ConnectRequest,
  type CreateTaskRequest,
  type DeleteRequest,
  type KillRequest,
  type PidsRequest,
  type ShutdownRequest,
  type StartRequest,
  type StateRequest,
  type StatsRequest,
  type WaitRequest,
} from "../api/index.js";
import { Code, TtrpcError } from "../ttrpc/index.js";
import type { EventSink } from "./events.js";
import { taskCreate, taskDelete, taskExit, taskOom, taskStart } from "./events.js";
import type { InstanceFactory } from "./instance.js";
import type { Logger } from "./log.js";
import { isPodSandbox, loadSpec, rootPathOf } from "./oci-spec.js";
import { PauseInstance } from "./pause-instance.js";
import { mountRootfs, unmountRootfs } from "./rootfs.js";
import { Task } from "./task.js";

/** What a Local needs from the process around it; passed in so tests can run it without a socket. */
export interface LocalOptions {
  readonly namespace: string;
  readonly containerdAddress: string;
  readonly ttrpcAddress: string;
  readonly instances: InstanceFactory;
  readonly events: EventSink;
  readonly log: Logger;
  /** Called after a Shutdown that found no task left: the process may exit. */
  readonly onIdle?: () => void;
  readonly version?: string;
  readonly now?: () => Date;
}

/**
 * The task service's logic, free of any transport (runwasi's `Local`): each method takes the
 * request message and returns the response's fields. The ttrpc glue in task-service.ts only
 * forwards to it. Behaviour follows shim-protocol.md §4.3.
 */
export class Local {
  readonly #o: LocalOptions;
  readonly #tasks = new Map<string, Task>();
  /** Ids whose Create is between its first await and its insertion into #tasks. */
  readonly #creating = new Set<string>();
  readonly #now: () => Date;

  constructor(options: LocalOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
  }

  /** Number of tasks this shim still holds (created, running or stopped but not deleted). */
  get size(): number {
    return this.#tasks.size + this.#creating.size;
  }

  async create(req: CreateTaskRequest) {
    if (!req.id) throw new TtrpcError(Code.InvalidArgument, "create: the task id is empty");
    if (this.#tasks.has(req.id) || this.#creating.has(req.id)) {
      throw new TtrpcError(Code.AlreadyExists, `task ${req.id} already exists`);
    }
    if (req.terminal) {
      throw new TtrpcError(
        Code.InvalidArgument,
        "a terminal (ctr run -t, tty: true) is not supported by this shim; run without one",
      );
    }
    if (req.checkpoint || req.parentCheckpoint) {
      throw new TtrpcError(Code.Unimplemented, "checkpoint/restore is not supported by this shim");
    }
    this.#creating.add(req.id);
    try {
      const bundle = req.bundle;
      const spec = await loadSpec(bundle);
      const rootfs = rootPathOf(spec, bundle);
      const mounts = req.rootfs.map((m) => ({
        type: m.type,
        source: m.source,
        options: m.options,
      }));
      await mountRootfs(mounts, rootfs);
      try {
        const config = {
          id: req.id,
          namespace: this.#o.namespace,
          bundle,
          rootfs,
          spec,
          stdin: req.stdin,
          stdout: req.stdout,
          stderr: req.stderr,
          containerdAddress: this.#o.containerdAddress,
          ttrpcAddress: this.#o.ttrpcAddress,
        };
        const instance = isPodSandbox(spec) ? new PauseInstance() : await this.#o.instances(config);
        const io = { stdin: req.stdin, stdout: req.stdout, stderr: req.stderr, terminal: false };
        const task = new Task({ id: req.id, bundle, rootfs, io, instance });
        this.#tasks.set(req.id, task);
      } catch (err) {
        if (mounts.length > 0) await unmountRootfs(rootfs).catch(() => {});
        throw err;
      }
    } finally {
      this.#creating.delete(req.id);
    }
    this.#o.log.info("task created", { id: req.id });
    this.#o.events.publish(
      "/tasks/create",
      taskCreate({
        containerId: req.id,
        bundle: req.bundle,
        rootfs: req.rootfs,
        io: { stdin: req.stdin, stdout: req.stdout, stderr: req.stderr, terminal: req.terminal },
        checkpoint: req.checkpoint,
        pid: 0,
      }),
    );
    // The pid clients see comes from Connect and State, never from here (§4.2).
    return { pid: 0 };
  }

  async start(req: StartRequest) {
    const task = this.#task(req.id, req.execId);
    task.beginStart();
    let pid: number;
    try {
      pid = await task.instance.start();
    } catch (err) {
      // A task that failed to start is stopped, so Wait returns and Delete can clean it up.
      task.exit({ exitStatus: 128 + 9, exitedAt: this.#now() });
      throw err;
    }
    if (task.state.kind !== "starting") {
      // Killed while starting: the kill already recorded the exit.
      return { pid };
    }
    task.started(pid);
    this.#o.events.publish("/tasks/start", taskStart({ containerId: task.id, pid }));
    // Attached only after TaskStart is queued, so TaskExit can never overtake it.
    void task.instance.wait().then(
      (exit) => this.#exited(task, exit.exitStatus, exit.exitedAt, exit.oomKilled),
      (err: unknown) => {
        this.#o.log.error("instance wait failed", { id: task.id, error: String(err) });
        this.#exited(task, 255, this.#now());
      },
    );
    return { pid };
  }

  #exited(task: Task, exitStatus: number, exitedAt: Date, oomKilled = false): void {
    if (!task.exit({ exitStatus, exitedAt })) return;
    this.#o.log.info("task exited", { id: task.id, exitStatus, oomKilled });
    // Before the exit, as the kernel's OOM event precedes the process's death: CRI then records
    // the reason "OOMKilled" (shim-protocol.md §5.4).
    if (oomKilled) this.#o.events.publish("/tasks/oom", taskOom({ containerId: task.id }));
    this.#o.events.publish(
      "/tasks/exit",
      taskExit({ containerId: task.id, id: task.id, pid: task.pid, exitStatus, exitedAt }),
    );
  }

  async wait(req: WaitRequest) {
    const task = this.#task(req.id, req.execId);
    return await task.exited;
  }

  async kill(req: KillRequest) {
    const task = this.#task(req.id, req.execId);
    const kind = task.state.kind;
    if (kind === "stopped" || kind === "deleting") {
      // containerd and CRI read NOT_FOUND as "already stopped" (shim-protocol.md §1.5).
      throw new TtrpcError(Code.NotFound, `process already finished: task ${task.id}`);
    }
    if (kind === "created") {
      // Nothing runs yet; the kill ends the task as if the signal had killed it (§4.3).
      this.#exited(task, 128 + req.signal, this.#now());
      return {};
    }
    await task.instance.kill(req.signal);
    return {};
  }

  async delete(req: DeleteRequest) {
    const task = this.#task(req.id, req.execId);
    const exit = task.beginDelete(this.#now());
    try {
      await task.instance.delete();
      if (task.rootfs === path.join(task.bundle, "rootfs")) {
        // containerd unmounts <bundle>/rootfs itself right after (runtime/v2/bundle.go Delete),
        // so Delete need not wait for `umount` — it is on every `ctr run --rm`'s path.
        unmountRootfs(task.rootfs).catch((err: unknown) =>
          this.#o.log.warn("unmounting the rootfs failed", { id: task.id, error: String(err) }),
        );
      } else {
        await unmountRootfs(task.rootfs);
      }
    } catch (err) {
      task.rollbackDelete();
      throw err;
    }
    this.#tasks.delete(task.id);
    this.#o.log.info("task deleted", { id: task.id });
    const deleted = { pid: task.pid, exitStatus: exit.exitStatus, exitedAt: exit.exitedAt };
    this.#o.events.publish(
      "/tasks/delete",
      taskDelete({ containerId: task.id, id: task.id, ...deleted }),
    );
    return deleted;
  }

  state(req: StateRequest) {
    const task = this.#task(req.id, req.execId);
    const s = task.state;
    const exit = s.kind === "stopped" || s.kind === "deleting" ? s.exit : undefined;
    return {
      id: task.id,
      bundle: task.bundle,
      pid: task.pid,
      status: statusOf(s.kind),
      stdin: task.io.stdin,
      stdout: task.io.stdout,
      stderr: task.io.stderr,
      terminal: task.io.terminal,
      exitStatus: exit?.exitStatus ?? 0,
      // Omitted, never the epoch, while the task has not exited (shim-protocol.md §2).
      exitedAt: exit?.exitedAt,
      execId: req.execId,
    };
  }

  connect(req: ConnectRequest) {
    const task = req.id ? this.#tasks.get(req.id) : undefined;
    return { shimPid: process.pid, taskPid: task?.pid ?? 0, version: this.#o.version ?? "" };
  }

  async pids(req: PidsRequest) {
    const task = this.#task(req.id, "");
    const pids = task.instance.pids ? await task.instance.pids() : task.pid ? [task.pid] : [];
    return { processes: pids.map((pid) => ({ pid })) };
  }

  async stats(req: StatsRequest) {
    const task = this.#task(req.id, "");
    if (!task.instance.stats) {
      throw new TtrpcError(Code.Unimplemented, "this shim's engine reports no stats");
    }
    const s = await task.instance.stats();
    // The cgroup v1 shape: what `ctr task metrics` and CRI's stats decode (shim-protocol.md §4.2).
    const metrics = packAny(Metrics, {
      memory: { usage: { usage: s.memoryBytes, limit: s.memoryLimitBytes ?? 0 } },
      cpu: {
        usage: { total: s.cpuUserNs + s.cpuKernelNs, user: s.cpuUserNs, kernel: s.cpuKernelNs },
      },
      pids: { current: task.state.kind === "running" ? 1 : 0 },
    });
    return { stats: metrics };
  }

  closeIO(req: CloseIORequest) {
    const task = this.#task(req.id, req.execId);
    if (req.stdin) task.instance.closeStdin?.();
    return {};
  }

  shutdown(_req: ShutdownRequest) {
    // A grouped shim serves other containers too; it exits only when none remains (§3.10).
    if (this.size === 0) queueMicrotask(() => this.#o.onIdle?.());
    return {};
  }

  /** Every task, for a shutdown that must stop them all. */
  tasks(): readonly Task[] {
    return [...this.#tasks.values()];
  }

  #task(id: string, execId: string): Task {
    const task = this.#tasks.get(id);
    if (!task) throw new TtrpcError(Code.NotFound, `task ${id} not found`);
    if (execId) {
      throw new TtrpcError(
        Code.NotFound,
        `exec ${execId} not found in task ${id}: exec is not supported`,
      );
    }
    return task;
  }
}

function statusOf(kind: Task["state"]["kind"]): Status {
  switch (kind) {
    case "created":
      return Status.CREATED;
    case "starting":
      // containerd has no "starting"; until Start returns the task is still created to it.
      return Status.CREATED;
    case "running":
      return Status.RUNNING;
    case "stopped":
    case "deleting":
      return Status.STOPPED;
  }
}
