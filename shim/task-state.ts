import { Code, TtrpcError } from "../ttrpc/index.js";

/** How a task's process ended. `exitedAt` is a real time, never the Unix epoch (§2 of the protocol). */
export interface ExitStatus {
  readonly exitStatus: number;
  readonly exitedAt: Date;
  /**
   * The workload was stopped for exceeding its memory limit, as the kernel's OOM killer stops a
   * process: the shim publishes `/tasks/oom`, which CRI turns into the reason "OOMKilled".
   */
  readonly oomKilled?: boolean;
}

/**
 * A task's lifecycle (shim-protocol.md §4.3). Data that exists in one state lives in that
 * variant, so a running task without a pid, or a stopped one without an exit, cannot be written.
 * `starting` and `deleting` make the await windows visible: a concurrent Start or Delete sees them
 * and fails instead of racing.
 */
export type TaskState =
  | { readonly kind: "created" }
  | { readonly kind: "starting" }
  | { readonly kind: "running"; readonly pid: number }
  | { readonly kind: "stopped"; readonly exit: ExitStatus; readonly pid: number }
  | { readonly kind: "deleting"; readonly exit: ExitStatus; readonly pid: number };

export type TaskStateKind = TaskState["kind"];
export type TaskEvent = "start" | "started" | "exit" | "delete" | "rollback";

// Every legal move; a finished delete drops the task. `exit` from `created` is a kill before
// Start, or a failed start; `rollback` undoes a delete that failed so it can be retried.
const moves: { readonly [K in TaskStateKind]: Partial<Record<TaskEvent, TaskStateKind>> } = {
  created: { start: "starting", exit: "stopped", delete: "deleting" },
  starting: { started: "running", exit: "stopped" },
  running: { exit: "stopped" },
  stopped: { delete: "deleting" },
  deleting: { rollback: "stopped" },
};

/** The state a task moves to on `event`; FAILED_PRECONDITION when the move is illegal. */
export function nextKind(from: TaskStateKind, event: TaskEvent): TaskStateKind {
  const to = moves[from][event];
  if (to) return to;
  throw new TtrpcError(Code.FailedPrecondition, `cannot ${event} task: it is ${from}`);
}
