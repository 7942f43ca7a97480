import type { Instance } from "./instance.js";
import { Deferred } from "./deferred.js";
import type { ExitStatus } from "./task-state.js";

/**
 * A pod's sandbox ("pause") container. Its image is a Linux binary that a wasm shim cannot run, and
 * it exists only to hold the pod's namespaces, so it does nothing until killed (shim-protocol.md §6).
 * Its pid is the shim's own: a live process whose /proc/<pid>/ns/net containerd can join.
 */
export class PauseInstance implements Instance {
  readonly #exit = new Deferred<ExitStatus>();

  async start(): Promise<number> {
    return process.pid;
  }

  async kill(signal: number): Promise<void> {
    this.#exit.resolve({ exitStatus: 128 + signal, exitedAt: new Date() });
  }

  wait(): Promise<ExitStatus> {
    return this.#exit.promise;
  }

  async delete(): Promise<void> {}
}
