// The deploy/ manifests agree with each other and with what the CRI tests run: the RuntimeClass
// names a handler of the containerd snippet (which test/cri/node.ts feeds to containerd as it is),
// the Deployment uses that RuntimeClass and the demo image, and the DaemonSet runs the installer
// the Dockerfile puts in its image. Plain text checks: the project has no YAML parser, and these
// files are short.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { demoImage, repoRoot } from "../e2e/fixtures.js";
import { handlers } from "./node.js";

const read = (file: string) => readFileSync(path.join(repoRoot, "deploy", file), "utf8");
/** The value of the first `key: value` line (unquoted), or undefined. */
const field = (text: string, key: string) =>
  new RegExp(`^\\s*${key}: "?([^"\\s]+)"?\\s*$`, "m").exec(text)?.[1];

describe("deploy/ manifests", () => {
  const containerdTables = [
    ...read("containerd-config.toml").matchAll(
      /^\[plugins\."io\.containerd\.grpc\.v1\.cri"\.containerd\.runtimes\.([\w-]+)\]\n\s*runtime_type = "([^"]+)"/gm,
    ),
  ].map((m) => ({ handler: m[1], runtimeType: m[2] }));

  it("the containerd snippet defines every handler the CRI tests run, with its runtime type", () => {
    assert.deepEqual(
      containerdTables,
      handlers.map((h) => ({ handler: h.name, runtimeType: h.runtimeType })),
    );
  });

  it("the RuntimeClass names the v8 handler of the containerd snippet", () => {
    const runtimeClass = read("runtimeclass.yaml");
    assert.equal(field(runtimeClass, "kind"), "RuntimeClass");
    assert.equal(field(runtimeClass, "handler"), "v8");
  });

  it("the Deployment runs the demo image on that RuntimeClass, never pulling it", () => {
    const deployment = read("deployment.yaml");
    assert.equal(field(deployment, "runtimeClassName"), field(read("runtimeclass.yaml"), "name"));
    assert.equal(field(deployment, "image"), demoImage);
    assert.equal(field(deployment, "imagePullPolicy"), "Never");
  });

  it("the installer DaemonSet runs the install.sh that the Dockerfile copies into its image", () => {
    const daemonSet = read("node-installer.yaml");
    const dockerfile = read("node-installer/Dockerfile");
    assert.match(daemonSet, /command: \["\/bin\/sh", "\/opt\/runwasi-node\/install\.sh"/);
    assert.match(
      dockerfile,
      /^COPY deploy\/node-installer\/install\.sh \/opt\/runwasi-node\/install\.sh$/m,
    );
    assert.match(daemonSet, /mountPath: \/host\/usr\/local$/m);
  });
});
