import type { MemoryShape } from "./memory-import.js";

/**
 * Messages between an instance (on the shim's thread) and the worker thread that runs its module.
 * Only structured-clonable data crosses: a compiled Module, plain objects, a shared Int32Array.
 */

/** Run one module to completion. */
export interface RunRequest {
  readonly module: WebAssembly.Module;
  /** The memory the module imports in place of its own (memory-import.ts); none if undefined. */
  readonly memory: MemoryShape | undefined;
  readonly exportName: string;
  readonly args: readonly string[];
  readonly env: readonly string[];
  readonly cwd: string;
  readonly preopens: readonly Preopen[];
  readonly stdin: number | undefined;
  readonly stdout: number | undefined;
  readonly stderr: number | undefined;
  /**
   * Set to 1 (and notified) by the shim to stop the run: every blocking WASI call returns within
   * milliseconds and the run ends as "interrupted" (architecture doc, decision 1).
   */
  readonly interrupt: Int32Array;
  /** Where the worker records the run's memory and thread for Stats (usage.ts). */
  readonly usage: Int32Array;
}

export interface Preopen {
  readonly guestPath: string;
  readonly hostPath: string;
  readonly readOnly: boolean;
}

/** How a run ended. */
export type RunResult =
  | { readonly kind: "exit"; readonly code: number }
  | { readonly kind: "trap"; readonly message: string }
  /** A memory.grow failed under the container's memory limit (memory-limit.ts). */
  | { readonly kind: "oom" }
  | { readonly kind: "interrupted" }
  | { readonly kind: "error"; readonly message: string };

/** To a co-hosting worker (co-host.ts): a run, named so that its answer can be told apart. */
export interface CoHostRequest {
  readonly id: number;
  readonly request: RunRequest;
}

/** From a co-hosting worker: how the run `id` ended. */
export interface CoHostAnswer {
  readonly id: number;
  readonly result: RunResult;
}
