import { TaskDefinition } from "../api/index.js";
import type { Server, ServiceImpl } from "../ttrpc/index.js";
import type { Local } from "./local.js";

/**
 * The service names containerd dials the task service by: v2 in containerd 1.6/1.7, v3 in 2.x
 * (architecture doc, "Protocol"). One implementation serves both.
 */
export const taskServiceNames = ["containerd.task.v2.Task", "containerd.task.v3.Task"] as const;

/**
 * Registers the task service on a ttrpc server: thin glue from each RPC to `Local`. Methods not
 * listed (Pause, Resume, Checkpoint, Exec, ResizePty, Update) answer UNIMPLEMENTED, which
 * the runtime-v2 contract requires for unsupported features.
 */
export function registerTaskService(server: Server, local: Local): void {
  const impl = {
    create: (req) => local.create(req),
    start: (req) => local.start(req),
    wait: (req) => local.wait(req),
    kill: (req) => local.kill(req),
    delete: (req) => local.delete(req),
    state: (req) => local.state(req),
    connect: (req) => local.connect(req),
    pids: (req) => local.pids(req),
    closeIO: (req) => local.closeIO(req),
    stats: (req) => local.stats(req),
    shutdown: (req) => local.shutdown(req),
  } satisfies Partial<ServiceImpl<typeof TaskDefinition>>;
  for (const name of taskServiceNames) server.register(TaskDefinition, impl, { name });
}
