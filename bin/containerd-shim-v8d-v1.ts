// The shared-mode shim containerd execs per container: a thin client of containerd-v8d, with no
// engine in it (it is on every container's start path).
import { runSharedClient } from "../shim/index.js";

runSharedClient({ runtime: "io.containerd.v8d.v1" });
