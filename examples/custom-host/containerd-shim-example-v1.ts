// A complete containerd shim for a custom wasm host, in one file: an `Instance` that runs the
// module on a worker thread through the project's WASI library. Everything else — the command
// line, ttrpc, task states, events, rootfs, pod grouping — comes from `runShim`.
//
//   ctr run --rm --runtime io.containerd.example.v1 docker.io/library/wasmtest:latest hello
import { constants, openSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { runShim, type ExitStatus, type Instance, type InstanceConfig } from "../../shim/index.js";
import { Wasi } from "../../wasi/index.js";

class ExampleInstance implements Instance {
  #worker: Worker | undefined;
  #exit!: (exit: ExitStatus) => void;
  readonly #exited = new Promise<ExitStatus>((resolve) => (this.#exit = resolve));

  constructor(readonly config: InstanceConfig) {}

  async start(): Promise<number> {
    const [module, ...args] = this.config.spec.process?.args ?? [];
    const bytes = await readFile(path.join(this.config.rootfs, module ?? "/app.wasm"));
    // O_RDWR never blocks on a FIFO, whether or not containerd's reader is there yet.
    const stdout = this.config.stdout ? openSync(this.config.stdout, constants.O_RDWR) : undefined;
    const data = {
      bytes,
      args: [module, ...args],
      env: this.config.spec.process?.env,
      rootfs: this.config.rootfs,
      stdout,
    };
    this.#worker = new Worker(new URL(import.meta.url), { workerData: data });
    this.#worker.on("message", (code: number) =>
      this.#exit({ exitStatus: code, exitedAt: new Date() }),
    );
    this.#worker.on("error", () => this.#exit({ exitStatus: 255, exitedAt: new Date() }));
    return process.pid;
  }

  async kill(signal: number): Promise<void> {
    await this.#worker?.terminate();
    this.#exit({ exitStatus: 128 + signal, exitedAt: new Date() });
  }

  wait(): Promise<ExitStatus> {
    return this.#exited;
  }

  async delete(): Promise<void> {
    await this.#worker?.terminate();
  }
}

if (isMainThread) {
  runShim({ runtime: "io.containerd.example.v1", engine: (config) => new ExampleInstance(config) });
} else {
  // The worker: instantiate with the WASI imports (add your own host functions here) and run.
  const { bytes, args, env, rootfs, stdout } = workerData;
  const wasi = new Wasi({
    args,
    env,
    stdout,
    stderr: stdout,
    preopens: [{ guestPath: "/", hostPath: rootfs }],
  });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), wasi.imports);
  parentPort!.postMessage(wasi.start(instance));
}
