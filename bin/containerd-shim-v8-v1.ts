// containerd-shim-v8-v1: the normal-mode shim (runtime io.containerd.v8.v1), one process per
// container or per pod, running WASI modules on Node's V8.
import { createV8Engine } from "../engine/index.js";
import { runShim } from "../shim/index.js";

runShim({ runtime: "io.containerd.v8.v1", engine: createV8Engine() });
