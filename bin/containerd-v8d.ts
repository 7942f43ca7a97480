// The shared-mode daemon: every wasm sandbox of the node in this one process, each image's module
// compiled once (architecture doc, decision 3). Containers share a few worker threads on JSPI
// stacks (engine/co-host.ts) when node runs with --experimental-wasm-stack-switching, as the
// shebang asks; without it, with CONTAINERD_V8D_CO_HOST=0 (an operator's way out, should Node
// 20's experimental JSPI misbehave), or for a module that cannot be rewritten, each container
// gets a warm thread of its own.
import {
  CoHostThreads,
  ModuleCache,
  WarmWorkerPool,
  createV8Engine,
  hasJspi,
} from "../engine/index.js";
import { runSharedDaemon } from "../shim/index.js";

const coHost = hasJspi() && process.env["CONTAINERD_V8D_CO_HOST"] !== "0";
runSharedDaemon({
  runtime: "io.containerd.v8d.v1",
  engine: createV8Engine({
    // Co-hosting, dedicated threads are for the odd module the rewrite cannot handle.
    pool: new WarmWorkerPool({ warm: coHost ? 1 : 4 }),
    modules: new ModuleCache().loader,
    // --expose-gc (the shebang): after a burst, the garbage it left goes while the daemon is idle.
    ...(coHost && { coHost: new CoHostThreads({ onIdle: () => globalThis.gc?.() }) }),
  }),
});
