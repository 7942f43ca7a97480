import type { Worker } from "node:worker_threads";
import type { RunRequest, RunResult } from "./protocol.js";
import { interrupt, type Run, type RunHost } from "./run-host.js";
import type { WorkerPool } from "./worker-pool.js";

/** How long an interrupted run may take to unwind before its thread is terminated. */
const unwindGraceMs = 20;

/**
 * Each run on a worker thread of its own, taken from `pool`: stopping spinning wasm is then
 * simply terminating its thread (architecture doc, decision 4). A thread whose run ended by
 * itself goes back to the pool; one that had to be terminated, or failed, does not.
 */
export function ownThread(pool: WorkerPool): RunHost {
  return (request) => runOnOwnThread(pool, request);
}

function runOnOwnThread(pool: WorkerPool, request: RunRequest): Run {
  const worker: Worker = pool.take();
  let terminating = false;
  let done = false;
  let settle!: (result: RunResult) => void;
  const ended = new Promise<RunResult>((resolve) => (settle = resolve));
  const onMessage = (result: RunResult) => finish(result, result.kind !== "error");
  const onExit = () => finish({ kind: "interrupted" }, false);
  const onError = (err: Error) => finish({ kind: "error", message: err.message }, false);
  const finish = (result: RunResult, reusable: boolean) => {
    done = true;
    worker.off("message", onMessage).off("exit", onExit).off("error", onError);
    if (reusable && !terminating) pool.release(worker);
    else void worker.terminate();
    settle(result);
  };
  worker.on("message", onMessage).on("exit", onExit).on("error", onError);
  worker.postMessage(request);
  let stopping = false;
  return {
    ended,
    stop() {
      if (stopping) return;
      stopping = true;
      interrupt(request);
      // Blocked WASI calls return at once; spinning wasm never looks at the flag.
      setTimeout(() => {
        if (done) return;
        terminating = true;
        void worker.terminate();
      }, unwindGraceMs).unref();
    },
  };
}
