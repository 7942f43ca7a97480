import type { Instance } from "./instance.js";
import { Deferred } from "./deferred.js";
import { nextKind, type ExitStatus, type TaskEvent, type TaskState } from "./task-state.js";

/** What containerd told us about a task at Create, echoed back by State. */
export interface TaskIo {
  readonly stdin: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly terminal: boolean;
}

/**
 * One container: its instance, its state, and its exit, which every Wait shares. All state changes
 * go through `#move`, which checks the transition table, so an illegal one throws
 * FAILED_PRECONDITION before anything happens.
 */
export class Task {
  readonly id: string;
  readonly bundle: string;
  readonly rootfs: string;
  readonly io: TaskIo;
  readonly instance: Instance;
  readonly #exit = new Deferred<ExitStatus>();
  #state: TaskState = { kind: "created" };

  constructor(init: {
    id: string;
    bundle: string;
    rootfs: string;
    io: TaskIo;
    instance: Instance;
  }) {
    this.id = init.id;
    this.bundle = init.bundle;
    this.rootfs = init.rootfs;
    this.io = init.io;
    this.instance = init.instance;
  }

  get state(): TaskState {
    return this.#state;
  }

  /** Resolves when the task's process has ended (at once if it already has). */
  get exited(): Promise<ExitStatus> {
    return this.#exit.promise;
  }

  /** The pid clients see: 0 until started. */
  get pid(): number {
    const s = this.#state;
    return s.kind === "running" || s.kind === "stopped" || s.kind === "deleting" ? s.pid : 0;
  }

  /** Claims the task for starting; throws unless it is `created`. */
  beginStart(): void {
    this.#move("start", { kind: "starting" });
  }

  /** Records a successful start. */
  started(pid: number): void {
    this.#move("started", { kind: "running", pid });
  }

  /**
   * Records the end of the process and wakes every Wait. Answers false (and changes nothing)
   * when the exit was already recorded, so a racing kill and natural exit cannot both report.
   */
  exit(exit: ExitStatus): boolean {
    if (this.#exit.peek() !== undefined) return false;
    this.#move("exit", { kind: "stopped", exit, pid: this.pid });
    this.#exit.resolve(exit);
    return true;
  }

  /**
   * Claims the task for deletion. A task deleted before it ever started counts as killed
   * (137), as runc reports a created container that is deleted.
   */
  beginDelete(now: Date): ExitStatus {
    const s = this.#state;
    const exit = s.kind === "stopped" ? s.exit : { exitStatus: 128 + 9, exitedAt: now };
    this.#move("delete", { kind: "deleting", exit, pid: this.pid });
    this.#exit.resolve(exit);
    return exit;
  }

  /** Undoes a failed delete, so it can be retried. */
  rollbackDelete(): void {
    const s = this.#state;
    if (s.kind !== "deleting") return;
    this.#move("rollback", { kind: "stopped", exit: s.exit, pid: s.pid });
  }

  #move(event: TaskEvent, to: TaskState): void {
    const kind = nextKind(this.#state.kind, event);
    if (kind !== to.kind) throw new Error(`task-state table and Task disagree on ${event}`);
    this.#state = to;
  }
}
