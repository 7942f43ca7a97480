// Entry point of a worker thread that runs wasm modules, one at a time, for as long as the shim
// keeps it: a warm thread starts the next module in well under a millisecond, a new one costs
// ~38 ms (architecture doc, decision 3).
import { parentPort } from "node:worker_threads";
import type { RunRequest, RunResult } from "./protocol.js";
import { ModuleRunner } from "./run-module.js";

const runner = new ModuleRunner();
const reply = (result: RunResult) => parentPort!.postMessage(result);
parentPort!.on("message", (request: RunRequest) => runner.run(request, reply));
