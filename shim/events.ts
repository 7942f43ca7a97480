import {
  TaskCreate,
  TaskDelete,
  TaskExit,
  TaskOOM,
  TaskStart,
  type DeepPartial,
} from "../api/index.js";

/** An event ready to forward: containerd's type URL (the bare proto name, §5.2) and its bytes. */
export interface EncodedEvent {
  readonly typeUrl: string;
  readonly value: Uint8Array;
}

/**
 * Where task events go. `publish` only enqueues: it never blocks an RPC and never throws
 * (house style §6); delivery, retries and ordering are the sink's job.
 */
export interface EventSink {
  publish(topic: string, event: EncodedEvent): void;
}

// Type URLs are bare proto names: a `type.googleapis.com/` prefix is accepted by Forward but no
// subscriber can decode it (shim-protocol.md §5.2).
export const taskCreate = (e: DeepPartial<TaskCreate>): EncodedEvent => ({
  typeUrl: "containerd.events.TaskCreate",
  value: TaskCreate.encode(TaskCreate.fromPartial(e)).finish(),
});
export const taskStart = (e: DeepPartial<TaskStart>): EncodedEvent => ({
  typeUrl: "containerd.events.TaskStart",
  value: TaskStart.encode(TaskStart.fromPartial(e)).finish(),
});
export const taskExit = (e: DeepPartial<TaskExit>): EncodedEvent => ({
  typeUrl: "containerd.events.TaskExit",
  value: TaskExit.encode(TaskExit.fromPartial(e)).finish(),
});
export const taskDelete = (e: DeepPartial<TaskDelete>): EncodedEvent => ({
  typeUrl: "containerd.events.TaskDelete",
  value: TaskDelete.encode(TaskDelete.fromPartial(e)).finish(),
});
export const taskOom = (e: DeepPartial<TaskOOM>): EncodedEvent => ({
  typeUrl: "containerd.events.TaskOOM",
  value: TaskOOM.encode(TaskOOM.fromPartial(e)).finish(),
});
