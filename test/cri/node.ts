// A Kubernetes node as far as containerd is concerned: a private containerd (test/harness) whose
// CRI plugin has the runtime handlers `runc`, `v8` and `v8d`, a sandbox image the project builds
// itself, the demo image imported where CRI looks for images, and a CRI client on its socket.
// Nothing is pulled and no system containerd, CNI plugin or kubelet is involved.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { writeImageTar } from "../../image/index.js";
import { binDir, demoImageTar, repoRoot } from "../e2e/fixtures.js";
import { startV8d } from "../e2e/v8d.js";
import { startContainerd, type Containerd } from "../harness/containerd.js";
import { CriClient } from "./client.js";

/** The only containerd namespace the CRI plugin reads (shim-protocol.md §8.2). */
export const CRI_NAMESPACE = "k8s.io";

/**
 * The pod sandbox ("pause") image. CRI runs it as each pod's first container; a wasm shim never
 * executes it (shim-protocol.md §6), so any image will do — this one holds a single text file. It
 * must exist in k8s.io before the first RunPodSandbox, or CRI tries to pull it (and fails offline).
 */
export const SANDBOX_IMAGE = "localhost/runwasi-node/pause:1";

/** A CRI runtime handler under test: a `runtimes.<name>` table, selected by a RuntimeClass. */
export interface CriHandler {
  /** The handler name (RuntimeClass `handler`, RunPodSandbox `runtime_handler`). */
  readonly name: "v8" | "v8d";
  /** containerd's runtime type, which names the shim binary (`io.containerd.v8.v1`). */
  readonly runtimeType: string;
  /** normal: one shim process per pod, gone with the pod; shared: one daemon per node. */
  readonly mode: "normal" | "shared";
  /** Why the handler cannot be tested here, or undefined when it can. */
  readonly unavailable: string | undefined;
}

/** The handlers the CRI tests run against, in the order they run. */
export const handlers: readonly CriHandler[] = [
  {
    name: "v8",
    runtimeType: "io.containerd.v8.v1",
    mode: "normal",
    // Never skipped: without the build the tests fail and say `make build` (requireBuilt).
    unavailable: undefined,
  },
  {
    name: "v8d",
    runtimeType: "io.containerd.v8d.v1",
    mode: "shared",
    // Shared mode is issue 6; its tests run as soon as its thin client and daemon are built.
    unavailable:
      missing("containerd-shim-v8d-v1", "shared mode (issue 6) is not built yet") ??
      missing("containerd-v8d", "shared mode (issue 6) is not built yet"),
  },
];

function missing(binary: string, why: string): string | undefined {
  const file = path.join(binDir, binary);
  return existsSync(file) ? undefined : `${file} does not exist: ${why}`;
}

/** The handler tables operators are told to add (deploy/README.md); the tests use them as they are. */
export const deployConfigFile = path.join(repoRoot, "deploy/containerd-config.toml");

/**
 * containerd's CRI configuration (version 2 TOML, appended to the harness's own): the deploy
 * snippet, plus what a node has anyway and containerd 1.6.20 refused to work without on this
 * machine (shim-protocol.md §8.2):
 * - a `runc` table, because the default handler (`default_runtime_name`, "runc") must exist or
 *   the CRI plugin does not load and every CRI call answers UNIMPLEMENTED;
 * - `restrict_oom_score_adj`, because root here lacks CAP_SYS_RESOURCE;
 * - `sandbox_image` naming an image that is already in k8s.io, because a missing one is pulled.
 */
export function criConfig(): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return [
    `[${cri}]`,
    `  sandbox_image = ${JSON.stringify(SANDBOX_IMAGE)}`,
    "  restrict_oom_score_adj = true",
    `[${cri}.containerd]`,
    '  default_runtime_name = "runc"',
    `[${cri}.containerd.runtimes.runc]`,
    '  runtime_type = "io.containerd.runc.v2"',
    readFileSync(deployConfigFile, "utf8"),
  ].join("\n");
}

/** A running node: containerd with CRI configured, its images imported, and a CRI client. */
export interface CriNode {
  readonly containerd: Containerd;
  readonly cri: CriClient;
  /** An absolute directory under the harness's, where pods' log directories go. */
  readonly logRoot: string;
  /** Restarts containerd (its pid only; shims keep running) and waits until CRI answers again. */
  restartContainerd(): Promise<void>;
  /** Closes the client, stops containerd and, in shared mode, the node's private daemon. */
  stop(): Promise<void>;
}

/**
 * Resolves once the CRI plugin answers. containerd answers `ctr version` (the harness's ready
 * check) before CRI has recovered its containers; until then CRI calls fail with UNKNOWN
 * "server is not initialized yet".
 */
async function untilCriAnswers(cri: CriClient, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await cri.version();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

/** Options of {@link startCriNode}. */
export interface CriNodeOptions {
  /** Where containerd finds the shims first on its PATH; default the build's dist/bin. */
  readonly binDir?: string;
}

/** Starts a node ready to run pods on `handler`. */
export async function startCriNode(
  handler: CriHandler,
  options: CriNodeOptions = {},
): Promise<CriNode> {
  // Shared mode: a private daemon, and containerd's environment aiming the thin client at it.
  const daemon = handler.mode === "shared" ? await startV8d() : undefined;
  let containerd: Containerd;
  try {
    containerd = await startContainerd({
      ...(daemon?.containerdOptions ?? { binDir: options.binDir ?? binDir }),
      config: criConfig(),
    });
  } catch (err) {
    await daemon?.stop();
    throw err;
  }
  const cri = new CriClient(containerd.address);
  const stop = async () => {
    cri.close();
    try {
      await containerd.stop();
    } finally {
      await daemon?.stop();
    }
  };
  try {
    const pause = path.join(containerd.dir, "pause.tar");
    await writeImageTar(pause, {
      name: SANDBOX_IMAGE,
      entries: [{ kind: "file", path: "/README", content: "never run: a wasm pod's sandbox\n" }],
      // Linux, like a real pause image: CRI may refuse an image for another platform.
      config: { os: "linux", architecture: "amd64", entrypoint: ["/pause"] },
    });
    for (const tar of [pause, demoImageTar]) {
      const imported = await containerd.ctr(["image", "import", tar], { namespace: CRI_NAMESPACE });
      if (imported.code !== 0) throw new Error(`importing ${tar} failed: ${imported.stderr}`);
    }
    await untilCriAnswers(cri);
    const restartContainerd = async () => {
      await containerd.restart();
      await untilCriAnswers(cri);
    };
    return { containerd, cri, logRoot: path.join(containerd.dir, "pods"), restartContainerd, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
