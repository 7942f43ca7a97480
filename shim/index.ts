// The containerd-facing shim library. A host builder implements `Instance` and calls `runShim`;
// everything containerd expects of a shim (shim-protocol.md) is done here, for any engine.

// For host builders.
export { runShim } from "./cli/run-shim.js";
export type { ShimOptions } from "./cli/run-shim.js";
export type { Instance, InstanceConfig, InstanceFactory, InstanceStats } from "./instance.js";
export type { ExitStatus } from "./task-state.js";
export type { OciSpec, OciProcess, OciMount } from "./oci-spec.js";
// Shared mode: one daemon runs every sandbox of the node, from the same engine; containerd execs
// a thin shim that asks it for a sandbox (README, "Building your own shim").
export { runSharedDaemon } from "./shared/run-daemon.js";
export type { SharedDaemonProgramOptions } from "./shared/run-daemon.js";
export { runSharedClient } from "./shared/run-client.js";
export type { SharedClientOptions } from "./shared/run-client.js";
// Errors with a status code containerd understands; throw them from an Instance or its factory.
export { Code, TtrpcError } from "../ttrpc/index.js";

// For those who assemble a shim themselves (tests, other front ends).
export { Local } from "./local.js";
export type { LocalOptions } from "./local.js";
export { registerTaskService } from "./task-service.js";
export { EventPublisher } from "./publisher.js";
export type { EventSink, EncodedEvent } from "./events.js";
export { FifoLogger, LogfmtLogger, silentLogger } from "./log.js";
export type { Logger, LogfmtOptions } from "./log.js";
export { PauseInstance } from "./pause-instance.js";
export { shimSocketPath, socketAddress, shimSocketDir } from "./socket-address.js";
export { loadSpec, groupIdOf, isPodSandbox } from "./oci-spec.js";
// Shared mode, assembled by hand (tests, other front ends).
export { startSharedDaemon } from "./shared/daemon.js";
export type { SharedDaemon, SharedDaemonOptions } from "./shared/daemon.js";
export { ManagerService, registerManagerService } from "./shared/manager-service.js";
export type { ManagerServiceOptions } from "./shared/manager-service.js";
export { DaemonLogger } from "./shared/daemon-log.js";
export { defaultManagerSocket, managerSocketEnv } from "./shared/defaults.js";
