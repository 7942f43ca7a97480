// The shared-mode daemon: every wasm sandbox of the node in this one process, each image's module
// compiled once (architecture doc, decision 3). Containers share a few worker threads on JSPI
// stacks (engine/co-host.ts) when node runs with --experimental-wasm-stack-switching, as the
// shebang asks; without it, or for a module that cannot be rewritten, each gets a warm thread.
import {
  CoHostThreads,
  ModuleCache,
  WarmWorkerPool,
  createV8Engine,
  hasJspi,
} from "../engine/index.js";
import { runSharedDaemon } from "../shim/index.js";

const coHost = hasJspi();
runSharedDaemon({
  runtime: "io.containerd.v8d.v1",
  engine: createV8Engine({
    // Co-hosting, dedicated threads are for the odd module the rewrite cannot handle.
    pool: new WarmWorkerPool({ warm: coHost ? 1 : 4 }),
    modules: new ModuleCache().loader,
    ...(coHost && { coHost: new CoHostThreads() }),
  }),
});
