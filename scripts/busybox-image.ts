// Builds the runc baseline image that benchmarks compare the wasm shims against (architecture.md,
// decision 5): Debian's static busybox plus the applet links the benchmarks call, one layer.
//   node --import tsx scripts/busybox-image.ts OUT.tar
import { writeImageTar, type LayerEntry } from "../image/index.js";

const NAME = "docker.io/library/busybox-baseline:latest";
/** Installed by Debian's busybox-static (scripts/setup.sh). */
const BUSYBOX = "/bin/busybox";
const APPLETS = ["cat", "echo", "sh", "sleep"];
/** Node's names for CPUs → OCI's (image-spec `config.md` uses Go's GOARCH values). */
const GOARCH: Partial<Record<string, string>> = {
  x64: "amd64",
  arm64: "arm64",
  arm: "arm",
  ia32: "386",
};

const out = process.argv[2];
const architecture = GOARCH[process.arch];
if (out === undefined) {
  console.error("usage: node --import tsx scripts/busybox-image.ts OUT.tar");
  process.exit(2);
}
if (architecture === undefined) {
  console.error(`busybox-image: no OCI architecture name known for this CPU (${process.arch})`);
  process.exit(1);
}

const entries: LayerEntry[] = [
  { kind: "file", path: "/bin/busybox", hostPath: BUSYBOX, mode: 0o755 },
  ...APPLETS.map((name): LayerEntry => ({
    kind: "symlink",
    path: `/bin/${name}`,
    target: "busybox",
  })),
  // runc mounts /proc, /dev and /sys over these; /tmp is where shell scripts expect to write.
  ...["/proc", "/dev", "/sys"].map((p): LayerEntry => ({ kind: "directory", path: p })),
  { kind: "directory", path: "/tmp", mode: 0o1777 },
];
const image = await writeImageTar(out, {
  name: NAME,
  entries,
  config: {
    os: "linux",
    architecture,
    env: ["PATH=/bin"],
    cmd: ["sh"],
  },
});
console.log(`${image.name} → ${out}`);
