// The one private containerd every container row runs against, with runc (containerd's default
// runtime, Debian's runc) and our shims on its PATH, and the images the setups need imported.
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { writeImageTar } from "../image/index.js";
import { startContainerd, type Containerd } from "../test/harness/containerd.js";
import { writeNodeImage } from "./node-image.js";
import { containerSetups, type ContainerSetup, type SetupKey } from "./setups.js";
import { startSharedDaemon, type SharedDaemon } from "./shared-mode.js";

export const repoRoot = path.resolve(import.meta.dirname, "..");
export const binDir = path.join(repoRoot, "dist/bin");
const imagesDir = path.join(repoRoot, "build/images");
const demoWasm = path.join(repoRoot, "build/wasm/wasmtest.wasm");

/** The compute row's image: the n-body kernel as the entrypoint. */
export const COMPUTE_IMAGE = "docker.io/library/bench-compute:latest";

/** A running containerd with the setups' images, and whatever else the setups needed started. */
export interface Environment {
  readonly containerd: Containerd;
  /** The setups that can run here, in table order. */
  readonly setups: readonly ContainerSetup[];
  /** Every setup, including those that cannot run (with the reason). */
  readonly allSetups: readonly ContainerSetup[];
  /** The shared-mode daemon, when shared mode is built. */
  readonly sharedDaemon: SharedDaemon | undefined;
  close(): Promise<void>;
}

/** Fails with the command that fixes it when `make build` has not run. */
export function requireBuilt(): void {
  for (const f of [
    path.join(binDir, "containerd-shim-v8-v1"),
    path.join(imagesDir, "wasmtest.tar"),
    path.join(imagesDir, "busybox.tar"),
  ]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`make build\` first`);
  }
}

/**
 * Starts containerd and imports the images of the setups in `only` (default: all that can run),
 * plus the compute image when `computeWasm` is given. `workDir` receives generated image tars.
 */
export async function prepareEnvironment(options: {
  readonly workDir: string;
  readonly only?: readonly SetupKey[];
  readonly computeWasm?: string;
}): Promise<Environment> {
  requireBuilt();
  const allSetups = containerSetups(binDir);
  const setups = allSetups.filter(
    (s) => s.unavailable === undefined && (options.only?.includes(s.key) ?? true),
  );
  mkdirSync(options.workDir, { recursive: true });
  const tars = new Set<string>();
  for (const s of setups) {
    if (s.key === "runc") tars.add(path.join(imagesDir, "busybox.tar"));
    else if (s.key === "node-runc") {
      const tar = path.join(options.workDir, "node-wasi.tar");
      await writeNodeImage(tar, demoWasm);
      tars.add(tar);
    } else tars.add(path.join(imagesDir, "wasmtest.tar"));
  }
  if (options.computeWasm !== undefined) {
    const tar = path.join(options.workDir, "bench-compute.tar");
    await writeImageTar(tar, {
      name: COMPUTE_IMAGE,
      entries: [{ kind: "file", path: "/compute.wasm", hostPath: options.computeWasm }],
      config: { env: ["PATH=/"], entrypoint: ["/compute.wasm"] },
    });
    tars.add(tar);
  }

  // The shared daemon comes first: containerd's environment names its socket.
  const sharedDaemon = setups.some((s) => s.key === "shared")
    ? await startSharedDaemon()
    : undefined;
  let containerd: Containerd;
  try {
    containerd = await startContainerd(sharedDaemon?.containerdOptions ?? { binDir });
  } catch (err) {
    await sharedDaemon?.stop();
    throw err;
  }
  try {
    for (const tar of tars) {
      const r = await containerd.ctr(["image", "import", tar], { timeoutMs: 120_000 });
      if (r.code !== 0) throw new Error(`ctr image import ${tar} failed:\n${r.stderr}`);
    }
  } catch (err) {
    await containerd.stop();
    await sharedDaemon?.stop();
    throw err;
  }
  return {
    containerd,
    setups,
    allSetups,
    sharedDaemon,
    close: async () => {
      try {
        await containerd.stop();
      } finally {
        await sharedDaemon?.stop();
      }
    },
  };
}
