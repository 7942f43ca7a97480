import type { OciSpec } from "./oci-spec.js";
import type { ExitStatus } from "./task-state.js";

/**
 * Everything an instance needs to know about its container, gathered by the shim at Create.
 * Stdio strings are exactly as containerd sent them (shim-protocol.md §7.1): "" for none, a FIFO
 * path, `file://…` or `binary://…`.
 */
export interface InstanceConfig {
  readonly id: string;
  readonly namespace: string;
  /** The bundle directory containerd made for this container. */
  readonly bundle: string;
  /** The container's root filesystem on the host, already mounted. */
  readonly rootfs: string;
  /** The parsed `<bundle>/config.json`. */
  readonly spec: OciSpec;
  readonly stdin: string;
  readonly stdout: string;
  readonly stderr: string;
  /** containerd's gRPC socket, and its ttrpc socket (where events go). */
  readonly containerdAddress: string;
  readonly ttrpcAddress: string;
}

/**
 * One container's workload, as a wasm host runs it. This is the whole contract between the shim
 * library and an engine: implement it, pass a factory to `runShim`, and the library does the rest
 * (command line, ttrpc, task state, events, rootfs).
 *
 * The shim calls `start` at most once, `wait` any number of times and before or after `start`
 * returns, `kill` at any time after `start` was called (also while it is still pending), and
 * `delete` once at the end.
 */
export interface Instance {
  /** Starts the workload; resolves with the pid containerd should show for it. */
  start(): Promise<number>;
  /**
   * Delivers a Linux signal number. After SIGKILL the workload must end promptly and `wait` must
   * resolve; what other signals do is the instance's choice (document it).
   */
  kill(signal: number): Promise<void>;
  /** Resolves once, when the workload has ended and its output is flushed. */
  wait(): Promise<ExitStatus>;
  /** Releases everything the instance holds. Called after the workload ended (or never started). */
  delete(): Promise<void>;
  /** Closes the workload's stdin so it reads end-of-file (containerd's CloseIO). Optional. */
  closeStdin?(): void;
  /** Pids of the processes that make up the workload, for `ctr task ps`. Defaults to the start pid. */
  pids?(): Promise<readonly number[]>;
  /** Resource usage, for containerd's Stats (`ctr task metrics`, CRI stats). Optional. */
  stats?(): Promise<InstanceStats>;
}

/** What a workload uses, as a cgroup would report it. */
export interface InstanceStats {
  readonly memoryBytes: number;
  /** The limit the workload runs under, if any. */
  readonly memoryLimitBytes?: number | undefined;
  readonly cpuUserNs: number;
  readonly cpuKernelNs: number;
}

/**
 * Makes the instance for a container. Throw a `TtrpcError` with a precise code for bad input
 * (e.g. INVALID_ARGUMENT for a module that is not wasm): containerd shows the message to the user.
 */
export type InstanceFactory = (config: InstanceConfig) => Instance | Promise<Instance>;

/**
 * A wasm host as the shim runs it: its instance factory, plus optional hooks around the daemon's
 * life. `prewarm` runs first thing when the daemon starts (start a worker thread, open a cache),
 * so that the slow part overlaps containerd's own work; `close` runs when the daemon exits.
 */
export interface ShimEngine {
  readonly instances: InstanceFactory;
  prewarm?(): void;
  close?(): Promise<void>;
}
