// What kubelet does for a pod, reduced to the CRI calls the tests need: run a host-network pod
// sandbox on a handler, create containers of the demo image with kubelet's log layout, wait for
// a container to exit, and read its CRI log file.
import { randomBytes } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { demoImage } from "../e2e/fixtures.js";
import { status } from "@grpc/grpc-js";
import { isServiceError, type CriClient } from "./client.js";
import {
  ContainerState,
  NamespaceMode,
  PodSandboxConfig,
  type ContainerConfig,
  type ContainerStatus,
  type DeepPartial,
} from "./gen/runtime/v1/api.js";
import type { CriHandler, CriNode } from "./node.js";

const POLL_MS = 25;

/** A running pod sandbox and the config it was created with (CreateContainer needs it again). */
export interface Pod {
  readonly id: string;
  readonly config: PodSandboxConfig;
}

/**
 * RunPodSandbox on `handler` with the node's network (NamespaceOption network=NODE, so no CNI
 * plugin is needed) and a fresh absolute log directory, `<logRoot>/<namespace>_<name>_<uid>` as
 * kubelet names it. kubelet creates that directory before it asks; so does this.
 */
export async function runPod(node: CriNode, handler: CriHandler, name: string): Promise<Pod> {
  const uid = randomBytes(8).toString("hex");
  const logDirectory = path.join(node.logRoot, `default_${name}_${uid}`);
  await mkdir(logDirectory, { recursive: true });
  const config: DeepPartial<PodSandboxConfig> = {
    metadata: { name, uid, namespace: "default", attempt: 0 },
    logDirectory,
    linux: {
      securityContext: {
        namespaceOptions: {
          network: NamespaceMode.NODE,
          pid: NamespaceMode.CONTAINER,
          ipc: NamespaceMode.POD,
        },
      },
    },
  };
  const { podSandboxId } = await node.cri.runPodSandbox({ config, runtimeHandler: handler.name });
  return { id: podSandboxId, config: PodSandboxConfig.fromPartial(config) };
}

/**
 * Stops and removes `pod`, as kubelet does; a pod already removed is fine (containerd 1.6 answers
 * StopPodSandbox for it with NOT_FOUND, although the CRI spec asks for idempotence).
 */
export async function removePod(cri: CriClient, pod: Pod): Promise<void> {
  try {
    await cri.stopPodSandbox(pod.id);
  } catch (err) {
    if (isServiceError(err) && err.code === status.NOT_FOUND) return;
    throw err;
  }
  await cri.removePodSandbox(pod.id);
}

/** A container created in a pod, and where CRI writes its log. */
export interface PodContainer {
  readonly id: string;
  /** Absolute: the pod's log directory joined with the container's `log_path`. */
  readonly logFile: string;
}

/**
 * CreateContainer of the demo image in `pod`: `args` follow the image's entrypoint
 * (`/wasmtest.wasm`), as a Kubernetes container's `args` do. The log goes to
 * `<name>/<attempt>.log` under the pod's log directory, kubelet's layout.
 */
export async function createContainer(
  cri: CriClient,
  pod: Pod,
  name: string,
  args: readonly string[],
  attempt = 0,
): Promise<PodContainer> {
  const logPath = `${name}/${attempt}.log`;
  await mkdir(path.join(pod.config.logDirectory, name), { recursive: true });
  const config: DeepPartial<ContainerConfig> = {
    metadata: { name, attempt },
    image: { image: demoImage },
    args: [...args],
    logPath,
    linux: { securityContext: { namespaceOptions: { pid: NamespaceMode.CONTAINER } } },
  };
  const { containerId } = await cri.createContainer({
    podSandboxId: pod.id,
    config,
    sandboxConfig: pod.config,
  });
  return { id: containerId, logFile: path.join(pod.config.logDirectory, logPath) };
}

/** CreateContainer then StartContainer. */
export async function startContainer(
  cri: CriClient,
  pod: Pod,
  name: string,
  args: readonly string[],
  attempt = 0,
): Promise<PodContainer> {
  const container = await createContainer(cri, pod, name, args, attempt);
  await cri.startContainer(container.id);
  return container;
}

/** Polls ContainerStatus until the container is in `state`; resolves with that status. */
export async function waitForState(
  cri: CriClient,
  id: string,
  state: ContainerState,
  timeoutMs = 10_000,
): Promise<ContainerStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status } = await cri.containerStatus(id);
    if (status?.state === state) return status;
    if (Date.now() > deadline) {
      throw new Error(
        `container ${id} is not ${ContainerState[state]} after ${timeoutMs} ms: ` +
          JSON.stringify(status),
      );
    }
    await sleep(POLL_MS);
  }
}

/** One line of a CRI log file: `<RFC3339Nano time> <stream> <F|P> <text>`. */
export interface CriLogLine {
  readonly time: string;
  readonly stream: "stdout" | "stderr";
  /** F: the line is complete; P: a partial line that the next one continues. */
  readonly tag: "F" | "P";
  readonly text: string;
}

// The CRI log format (kubelet's pkg/kubelet/kuberuntime/logs, containerd's pkg/cri/io):
// an RFC3339Nano timestamp, the stream, the tag, and the text, separated by single spaces.
const LOG_LINE = /^(\S+) (stdout|stderr) ([FP]) (.*)$/;
const RFC3339_NANO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Parses a CRI log file's content; throws on a line that is not in the CRI log format. */
export function parseCriLog(content: string): CriLogLine[] {
  return content
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const m = LOG_LINE.exec(line);
      if (!m || !RFC3339_NANO.test(m[1]!) || Number.isNaN(Date.parse(m[1]!))) {
        throw new Error(`not a CRI log line: ${JSON.stringify(line)}`);
      }
      return {
        time: m[1]!,
        stream: m[2] as CriLogLine["stream"],
        tag: m[3] as CriLogLine["tag"],
        text: m[4]!,
      };
    });
}

/**
 * Reads a container's CRI log once it holds at least `lines` lines. containerd copies the
 * container's FIFOs to the file on its own schedule, which may trail the exit it reports.
 */
export async function readCriLog(
  file: string,
  lines: number,
  timeoutMs = 5_000,
): Promise<CriLogLine[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const content = await readFile(file, "utf8").catch(() => "");
    const parsed = parseCriLog(content);
    if (parsed.length >= lines || Date.now() > deadline) return parsed;
    await sleep(POLL_MS);
  }
}
