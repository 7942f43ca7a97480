// The "wasm runtime inside an ordinary container" baseline (issue 8, row 1): what a user without a
// wasm shim would do — put node and a ten-line runner into an image and let runc start it. Built
// from this host's own node binary and the shared libraries `ldd` names, so it runs the very
// same V8 as our shim; the runner uses node:wasi, as such a user would.
import { execFile } from "node:child_process";
import { realpathSync } from "node:fs";
import { promisify } from "node:util";
import { writeImageTar, type LayerEntry } from "../image/index.js";

const run = promisify(execFile);

/** The image name, as `ctr run` takes it. */
export const NODE_IMAGE = "docker.io/library/node-wasi-baseline:latest";
const NODE = "/usr/bin/node";
/** Where the demo module sits in the image, as in the demo image. */
export const NODE_IMAGE_MODULE = "/wasmtest.wasm";

/**
 * The runner: compile, instantiate, start; the whole root is preopened as "/", like our shim does
 * with a container's rootfs. CommonJS and synchronous compile: the quickest start a user gets.
 */
const RUNNER = `"use strict";
const { readFileSync } = require("node:fs");
const { WASI } = require("node:wasi");
const [file, ...args] = process.argv.slice(2);
const wasi = new WASI({
  version: "preview1",
  args: [file, ...args],
  env: process.env,
  preopens: { "/": "/" },
  returnOnExit: true,
});
const compiled = new WebAssembly.Module(readFileSync(file));
const instance = new WebAssembly.Instance(compiled, wasi.getImportObject());
process.exitCode = wasi.start(instance);
`;

/** The command that runs the demo module in the image; append the module's arguments. */
export const NODE_IMAGE_COMMAND = [NODE, "--no-warnings", "/run-wasm.cjs", NODE_IMAGE_MODULE];

/** Writes the image tar to `file`: node, its libraries, the runner and the demo module. */
export async function writeNodeImage(file: string, demoWasm: string): Promise<void> {
  const libraries = await sharedLibraries(NODE);
  const entries: LayerEntry[] = [
    { kind: "file", path: NODE, hostPath: NODE, mode: 0o755 },
    // Each library at the path the dynamic loader looks for (the one ldd prints), with the
    // content of whatever that path resolves to on this host.
    ...libraries.map((lib): LayerEntry => ({
      kind: "file",
      path: lib,
      hostPath: realpathSync(lib),
      mode: 0o755,
    })),
    { kind: "file", path: "/run-wasm.cjs", content: RUNNER },
    { kind: "file", path: NODE_IMAGE_MODULE, hostPath: demoWasm },
    // runc mounts /proc, /dev and /sys over these; node reads /proc at start.
    ...["/proc", "/dev", "/sys"].map((p): LayerEntry => ({ kind: "directory", path: p })),
    { kind: "directory", path: "/tmp", mode: 0o1777 },
  ];
  await writeImageTar(file, {
    name: NODE_IMAGE,
    entries,
    config: {
      os: "linux",
      architecture: process.arch === "arm64" ? "arm64" : "amd64",
      // A clean environment: above all no NODE_EXTRA_CA_CERTS (architecture.md, decision 2).
      env: ["PATH=/usr/bin"],
      entrypoint: NODE_IMAGE_COMMAND,
    },
  });
}

/** Absolute paths of the shared objects `ldd` lists for `binary`, the loader included. */
async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await run("ldd", [binary]);
  const paths = new Set<string>();
  for (const line of stdout.split("\n")) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)"
    const match = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (match) paths.add(match[1]!);
  }
  if (paths.size === 0) throw new Error(`ldd ${binary} listed no libraries:\n${stdout}`);
  return [...paths];
}
