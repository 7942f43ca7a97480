// The container setups that the cold-start, throughput and memory rows compare, as one table: a
// setup is a runtime, an image, and the arguments of a "hello" run and of an idle container.
// Shared mode is one more entry, present when it is built.
import { existsSync } from "node:fs";
import path from "node:path";
import { NODE_IMAGE, NODE_IMAGE_COMMAND } from "./node-image.js";
import { SHARED_RUNTIME, sharedModeBuilt } from "./shared-mode.js";

/** Keys of the setups, in the order the table and charts list them. */
export type SetupKey = "normal" | "shared" | "runc" | "node-runc";

/** Short names for row titles and chart legends. */
export const setupNames: Readonly<Record<SetupKey, string>> = {
  normal: "normal mode",
  shared: "shared mode",
  runc: "runc busybox",
  "node-runc": "Node in runc",
};

/** One way to run a container through containerd. */
export interface ContainerSetup {
  readonly key: SetupKey;
  /** What the table calls it: "runc + busybox echo". */
  readonly label: string;
  /** Ours (a wasm shim of this project) or a baseline. */
  readonly ours: boolean;
  /** `ctr run` flags that pick the runtime; empty for containerd's default (runc). */
  readonly runtimeFlags: readonly string[];
  readonly image: string;
  /** Arguments after the container id for the hello run ([] = the image's entrypoint). */
  readonly hello: readonly string[];
  /** What the hello run prints, checked on every run. */
  readonly helloStdout: string;
  /** Arguments after the container id for a container that idles until killed. */
  readonly idle: readonly string[];
  /** Why the setup cannot run here (e.g. "not built"), or undefined when it can. */
  readonly unavailable: string | undefined;
}

/** The demo image (`make build`): /wasmtest.wasm as entrypoint. */
export const DEMO_IMAGE = "docker.io/library/wasmtest:latest";
/** The runc baseline image (`make build`): Debian's static busybox. */
export const BUSYBOX_IMAGE = "docker.io/library/busybox-baseline:latest";
/** The normal-mode runtime (issue 3). */
export const NORMAL_RUNTIME = "io.containerd.v8.v1";

const HELLO = "Hello from wasm!\n";

/** Every setup; those that cannot run here carry the reason in `unavailable`. */
export function containerSetups(binDir: string): ContainerSetup[] {
  return [
    {
      key: "normal",
      label: "normal mode (io.containerd.v8.v1)",
      ours: true,
      runtimeFlags: ["--runtime", NORMAL_RUNTIME],
      image: DEMO_IMAGE,
      hello: [],
      helloStdout: HELLO,
      idle: ["/wasmtest.wasm", "daemon"],
      unavailable: existsSync(path.join(binDir, "containerd-shim-v8-v1")) ? undefined : "not built",
    },
    {
      key: "shared",
      label: "shared mode (io.containerd.v8d.v1)",
      ours: true,
      runtimeFlags: ["--runtime", SHARED_RUNTIME],
      image: DEMO_IMAGE,
      hello: [],
      helloStdout: HELLO,
      idle: ["/wasmtest.wasm", "daemon"],
      unavailable: sharedModeBuilt(binDir) ? undefined : "not built",
    },
    {
      key: "runc",
      label: "runc + busybox echo",
      ours: false,
      runtimeFlags: [],
      image: BUSYBOX_IMAGE,
      hello: ["echo", "Hello from wasm!"],
      helloStdout: HELLO,
      idle: ["sleep", "1000000"],
      unavailable: undefined,
    },
    {
      key: "node-runc",
      label: "Node + node:wasi in runc",
      ours: false,
      runtimeFlags: [],
      image: NODE_IMAGE,
      hello: [],
      helloStdout: HELLO,
      idle: [...NODE_IMAGE_COMMAND, "daemon"],
      unavailable: undefined,
    },
  ];
}

/** `ctr run` arguments (after "run") of a hello run of `setup` as container `id`. */
export function helloRunArgs(setup: ContainerSetup, id: string): string[] {
  return ["--rm", ...setup.runtimeFlags, setup.image, id, ...setup.hello];
}
