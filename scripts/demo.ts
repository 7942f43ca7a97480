// `make demo`: a private containerd, the demo image, and one run through the shim — what a user
// does first, on any machine, without touching a system containerd.
import path from "node:path";
import { startContainerd } from "../test/harness/containerd.js";

const root = path.resolve(import.meta.dirname, "..");
const image = "docker.io/library/wasmtest:latest";
const command = ["run", "--rm", "--runtime=io.containerd.v8.v1", image, "testwasm"];

const containerd = await startContainerd({ binDir: path.join(root, "dist/bin") });
let code = 1;
try {
  const imported = await containerd.ctr([
    "image",
    "import",
    path.join(root, "build/images/wasmtest.tar"),
  ]);
  if (imported.code !== 0) throw new Error(`ctr image import failed: ${imported.stderr}`);
  console.log(`$ ctr ${command.join(" ")}`);
  const r = await containerd.ctr(command);
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  code = r.code ?? 1;
} finally {
  await containerd.stop();
}
process.exit(code);
