// The V8 engine: implements the shim library's `Instance` by running WASI modules on worker
// threads of this Node process, through the project's own WASI host.
export { createV8Engine, preopensOf } from "./v8-engine.js";
export type { V8Engine } from "./v8-engine.js";
export { V8Instance, trapExitStatus, hostErrorExitStatus } from "./v8-instance.js";
export { WorkerPool, defaultWorkerScript } from "./worker-pool.js";
// For a long-lived process that runs many containers (the shared-mode daemon).
export { WarmWorkerPool } from "./warm-pool.js";
export type { WarmWorkerPoolOptions } from "./warm-pool.js";
export { ModuleCache } from "./module-cache.js";
export type { ModuleCacheOptions, ModuleLoader } from "./module-cache.js";
export { signalAction, signalExitStatus } from "./signals.js";
export type { SignalAction } from "./signals.js";
export { CoHostThreads } from "./co-host.js";
export type { CoHostOptions } from "./co-host.js";
export { hasJspi } from "./jspi.js";
