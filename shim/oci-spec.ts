import { readFileSync } from "node:fs";
import path from "node:path";
import { Code, TtrpcError } from "../ttrpc/index.js";

/**
 * The part of the OCI runtime spec (`<bundle>/config.json`) a wasm shim reads; shim-protocol.md §6.
 * Everything else in the file (capabilities, rlimits, namespaces…) concerns Linux processes and is
 * kept only as unparsed data.
 */
export interface OciSpec {
  readonly ociVersion?: string;
  readonly process?: OciProcess;
  readonly root?: { readonly path: string; readonly readonly?: boolean };
  readonly mounts?: readonly OciMount[];
  readonly annotations?: Readonly<Record<string, string>>;
  readonly hostname?: string;
  readonly linux?: {
    readonly resources?: { readonly memory?: { readonly limit?: number } };
    readonly cgroupsPath?: string;
  };
}

export interface OciProcess {
  readonly terminal?: boolean;
  readonly args?: readonly string[];
  readonly env?: readonly string[];
  readonly cwd?: string;
}

export interface OciMount {
  readonly destination: string;
  readonly type?: string;
  readonly source?: string;
  readonly options?: readonly string[];
}

/** The annotation that puts every container of a pod into one shim (shim-protocol.md §3.5). */
export const sandboxIdAnnotation = "io.kubernetes.cri.sandbox-id";
/** `sandbox` for a pod's pause container, `container` for the others (shim-protocol.md §6). */
export const containerTypeAnnotation = "io.kubernetes.cri.container-type";

/**
 * Reads and minimally validates `<bundle>/config.json`. The read is synchronous: a few KiB of a
 * local file take microseconds, where fs/promises' open, stat, read and close are four trips
 * through libuv's thread pool on the start-up path of every container.
 */
export async function loadSpec(bundle: string): Promise<OciSpec> {
  const file = path.join(bundle, "config.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new TtrpcError(Code.NotFound, `cannot read the OCI spec ${file}: ${String(err)}`, {
      cause: err,
    });
  }
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (err) {
    throw new TtrpcError(Code.InvalidArgument, `${file} is not valid JSON: ${String(err)}`);
  }
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
    throw new TtrpcError(Code.InvalidArgument, `${file} does not hold a JSON object`);
  }
  return spec as OciSpec;
}

/**
 * The group a container's shim belongs to: its pod's sandbox id when CRI runs it, else itself.
 * Sharing the shim is entirely our choice (shim-protocol.md §3.5).
 */
export function groupIdOf(spec: OciSpec, containerId: string): string {
  return spec.annotations?.[sandboxIdAnnotation] || containerId;
}

/** True for a pod's pause container, which a wasm shim runs as a no-op (shim-protocol.md §6). */
export function isPodSandbox(spec: OciSpec): boolean {
  return spec.annotations?.[containerTypeAnnotation] === "sandbox";
}

/** `root.path`, resolved against the bundle: containerd writes the relative `"rootfs"`. */
export function rootPathOf(spec: OciSpec, bundle: string): string {
  return path.resolve(bundle, spec.root?.path ?? "rootfs");
}
