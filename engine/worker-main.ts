// Entry point of a worker thread that runs wasm modules. By default one at a time, for as long as
// the shim keeps it: a warm thread starts the next module in well under a millisecond, a new one
// costs ~38 ms (architecture doc, decision 3). Started with `workerData.coHost`, it runs many at
// once (co-host.ts): requests then carry an id, and so do the answers.
import { parentPort, workerData } from "node:worker_threads";
import { CoHostRunner } from "./co-host-runner.js";
import type { CoHostRequest, RunRequest, RunResult } from "./protocol.js";
import { ModuleRunner } from "./run-module.js";

const port = parentPort!;
if ((workerData as { coHost?: boolean } | undefined)?.coHost === true) {
  const runner = new CoHostRunner();
  const beat = (workerData as { heartbeat: Int32Array }).heartbeat;
  // The controller tells a busy thread from a stuck one by this (co-host.ts): it moves as long
  // as the event loop turns, which the runs' waits and yields make it do every few ms.
  setInterval(() => Atomics.add(beat, 0, 1), 100).unref();
  port.on("message", ({ id, request }: CoHostRequest) =>
    runner.start(request, (result) => port.postMessage({ id, result })),
  );
} else {
  const runner = new ModuleRunner();
  const reply = (result: RunResult) => port.postMessage(result);
  port.on("message", (request: RunRequest) => runner.run(request, reply));
}
