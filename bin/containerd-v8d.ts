// The shared-mode daemon: every wasm sandbox of the node in this one process, on warm worker
// threads, each image's module compiled once (architecture doc, decision 3).
import { ModuleCache, WarmWorkerPool, createV8Engine } from "../engine/index.js";
import { runSharedDaemon } from "../shim/index.js";

runSharedDaemon({
  runtime: "io.containerd.v8d.v1",
  engine: createV8Engine({
    pool: new WarmWorkerPool({ warm: 4 }),
    modules: new ModuleCache().loader,
  }),
});
