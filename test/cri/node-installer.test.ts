// The node installer (deploy/node-installer/install.sh), which the DaemonSet's init container runs
// with the host's root at /host: here it installs into a scratch "host" directory, and a private
// containerd whose PATH starts at that host's /usr/local/bin then runs a wasm pod through the
// installed shim and node. What is not tested: the installer image and the DaemonSet itself (no
// kubelet or image build tool here), and a real host's /usr/local (this host's is left alone).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { realpathSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { binDir, repoRoot, requireBuilt } from "../e2e/fixtures.js";
import { ContainerState } from "./gen/runtime/v1/api.js";
import { handlers, startCriNode } from "./node.js";
import { readCriLog, removePod, runPod, startContainer, waitForState, type Pod } from "./pod.js";

const run = promisify(execFile);
const installer = path.join(repoRoot, "deploy/node-installer/install.sh");
const lib = "usr/local/lib/runwasi-node";

/** A copy of the build as the installer image holds it: dist/ plus a `node` beside it. */
async function installerSource(work: string): Promise<string> {
  const src = path.join(work, "src");
  await mkdir(src);
  await cp(binDir, path.join(src, "bin"), { recursive: true });
  await cp(path.join(binDir, "../package.json"), path.join(src, "package.json"));
  await symlink(process.execPath, path.join(src, "node"));
  return src;
}

/**
 * Runs the installer as the installer image does: busybox's sh and applets only (busybox-static
 * is installed by scripts/setup.sh), so nothing of GNU coreutils is relied on by accident.
 */
async function install(src: string, host: string): Promise<string> {
  const applets = path.join(path.dirname(src), "busybox");
  await mkdir(applets, { recursive: true });
  await run("busybox", ["--install", "-s", applets]);
  const { stdout } = await run(path.join(applets, "sh"), [installer, src, host], {
    env: { PATH: applets },
  });
  return stdout;
}

describe("node installer (deploy/node-installer/install.sh)", () => {
  it("installs the shims and node into the host's /usr/local, where containerd runs a wasm pod with them", async (t) => {
    requireBuilt();
    const work = await mkdtemp(path.join(tmpdir(), "node-installer-"));
    t.after(() => rm(work, { recursive: true, force: true }));
    const src = await installerSource(work);
    const host = path.join(work, "host");
    await install(src, host);

    const hostBin = path.join(host, "usr/local/bin");
    const [version] = await readdir(path.join(host, lib));
    assert.match(version ?? "", /^[0-9a-f]{12}$/);
    assert.equal(
      await readlink(path.join(hostBin, "containerd-shim-v8-v1")),
      `../lib/runwasi-node/${version}/bin/containerd-shim-v8-v1`,
    );
    assert.equal(await readlink(path.join(hostBin, "node")), `../lib/runwasi-node/${version}/node`);

    const handler = handlers.find((h) => h.name === "v8")!;
    const node = await startCriNode(handler, { binDir: hostBin });
    // One hook, in order: node:test runs a test's after hooks first to last.
    const pods: Pod[] = [];
    t.after(async () => {
      try {
        for (const p of pods) await removePod(node.cri, p);
      } finally {
        await node.stop();
      }
    });
    const pod = await runPod(node, handler, "installed");
    pods.push(pod);
    const daemon = await startContainer(node.cri, pod, "app", ["daemon"]);
    await waitForState(node.cri, daemon.id, ContainerState.CONTAINER_RUNNING);
    // The pod's shim is the installed node running the installed bundle.
    const [shim] = node.containerd.shimPids();
    assert.ok(shim, "a shim serves the pod");
    const installed = realpathSync(path.join(host, lib, version!));
    assert.equal(realpathSync(`/proc/${shim}/exe`), path.join(installed, "node"));
    const argv = readFileSync(`/proc/${shim}/cmdline`, "utf8").split("\0");
    assert.equal(argv[1], path.join(installed, "bin/containerd-shim-v8-v1.cjs"));
    assert.deepEqual((await readCriLog(daemon.logFile, 1)).map((l) => l.text).slice(0, 1), [
      "tick 1",
    ]);
  });

  it("reinstalls the same build as a no-op, and a new build beside the old one", async (t) => {
    requireBuilt();
    const work = await mkdtemp(path.join(tmpdir(), "node-installer-"));
    t.after(() => rm(work, { recursive: true, force: true }));
    const src = await installerSource(work);
    const host = path.join(work, "host");
    await install(src, host);
    await install(src, host);
    const first = await readdir(path.join(host, lib));
    assert.equal(first.length, 1, "the same build installs once");

    await writeFile(path.join(src, "bin/NEW"), "a changed build\n");
    await install(src, host);
    const both = await readdir(path.join(host, lib));
    assert.equal(both.length, 2, "the old version stays for the shims still running from it");
    const current = both.find((v) => v !== first[0])!;
    for (const name of ["containerd-shim-v8-v1", "runwasi", "node"]) {
      const target = await readlink(path.join(host, "usr/local/bin", name));
      assert.ok(target.startsWith(`../lib/runwasi-node/${current}/`), `${name} -> ${target}`);
    }
  });

  it("keeps a node the host already has, and refuses a source that is not a build", async (t) => {
    requireBuilt();
    const work = await mkdtemp(path.join(tmpdir(), "node-installer-"));
    t.after(() => rm(work, { recursive: true, force: true }));
    const src = await installerSource(work);
    const host = path.join(work, "host");
    await mkdir(path.join(host, "usr/bin"), { recursive: true });
    await writeFile(path.join(host, "usr/bin/node"), "the host's own node\n");
    const out = await install(src, host);
    assert.match(out, /using the host's own \/usr\/bin\/node/);
    await assert.rejects(readlink(path.join(host, "usr/local/bin/node")), { code: "ENOENT" });

    await assert.rejects(install(path.join(work, "nothing"), host), (err) => {
      assert.match(String((err as { stderr?: string }).stderr), /must be a build's dist\//);
      return true;
    });
  });
});
