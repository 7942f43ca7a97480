// The harness every end-to-end test stands on: check that it starts an isolated containerd, that
// restart keeps the configuration, and that stop leaves nothing behind.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { startContainerd } from "./containerd.js";
import { writeTinyImage } from "../fixtures/tiny-image.js";
import { mountsUnder, waitForExit } from "./processes.js";

describe("private containerd harness", () => {
  it("starts containerd 1.6 with its own sockets, namespace and config, and answers ctr", async (t) => {
    const c = await startContainerd({
      config: '[plugins."io.containerd.gc.v1.scheduler"]\n  pause_threshold = 0.03',
    });
    t.after(() => c.stop());
    assert.ok(c.address.startsWith(c.dir) && c.ttrpcAddress === `${c.address}.ttrpc`);
    assert.match(c.namespace, /^t[0-9a-f]{8}$/);
    const version = await c.ctr(["version"]);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /Server:\s+Version:\s+1\.6\./);
    const config = readFileSync(`${c.dir}/config.toml`, "utf8");
    assert.match(config, /level = "debug"/);
    assert.match(config, /pause_threshold = 0.03$/m);
    assert.match(c.log(), /containerd successfully booted/);
  });

  it("gives containerd a clean environment with binDir first on PATH", async (t) => {
    const c = await startContainerd({ binDir: "/opt/shims" });
    t.after(() => c.stop());
    const environ = readFileSync(`/proc/${c.pid}/environ`, "utf8").split("\0").filter(Boolean);
    assert.deepEqual(environ.sort(), [
      `HOME=${process.env.HOME ?? "/root"}`,
      "PATH=/opt/shims:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ]);
    assert.equal(readFileSync(`/proc/${c.pid}/cwd/config.toml`, "utf8").length > 0, true);
  });

  it("gives each instance its own namespace", async (t) => {
    const [a, b] = await Promise.all([startContainerd(), startContainerd()]);
    t.after(() => Promise.all([a!.stop(), b!.stop()]));
    assert.notEqual(a!.namespace, b!.namespace);
    assert.notEqual(a!.dir, b!.dir);
  });

  it("runs ctr in another namespace when asked, such as CRI's k8s.io", async (t) => {
    const c = await startContainerd();
    t.after(() => c.stop());
    const tar = await writeTinyImage(c.dir, "example.com/test/tiny:v1");
    const imported = await c.ctr(["image", "import", tar], { namespace: "k8s.io" });
    assert.equal(imported.code, 0, imported.stderr);
    const inK8s = await c.ctr(["image", "ls", "-q"], { namespace: "k8s.io" });
    // CRI adds a reference by image id beside the name: it saw the import.
    assert.match(inK8s.stdout, /^example\.com\/test\/tiny:v1$/m);
    const inOwn = await c.ctr(["image", "ls", "-q"]);
    assert.equal(inOwn.stdout, "");
  });

  it("passes input to ctr and reports its exit code", async (t) => {
    const c = await startContainerd();
    t.after(() => c.stop());
    const missing = await c.ctr(["image", "import", "-"], { input: "not a tar" });
    assert.notEqual(missing.code, 0);
    assert.notEqual(missing.stderr, "");
  });

  it("restarts with the same config and keeps serving", async (t) => {
    const c = await startContainerd();
    t.after(() => c.stop());
    const before = c.pid;
    await c.restart();
    assert.notEqual(c.pid, before);
    assert.equal((await c.ctr(["version"])).code, 0);
    assert.match(c.log(), /harness: containerd restarted/);
  });

  it("stop() kills its ctr and shim processes, unmounts leftovers and removes the directory", async () => {
    const c = await startContainerd();
    const events = c.spawnCtr(["events"]);
    // A stand-in for a shim left running: a process that names this instance's socket.
    const shim = spawn(
      process.execPath,
      ["-e", "setInterval(() => {}, 1000)", "--", "-address", c.address],
      { stdio: "ignore", env: { PATH: "/usr/bin:/bin" } },
    );
    const shimExit = waitForExit(shim);
    assert.deepEqual(c.shimPids(), [shim.pid]);
    mkdirSync(`${c.dir}/mnt`);
    execFileSync("mount", ["-t", "tmpfs", "leftover", `${c.dir}/mnt`]);
    mkdirSync(`${c.dir}/mnt/inner`);
    execFileSync("mount", ["-t", "tmpfs", "leftover", `${c.dir}/mnt/inner`]);

    const stopping = c.stop();
    assert.equal(c.stop(), stopping, "stop() is idempotent");
    await stopping;
    assert.match(await shimExit, /signal SIGTERM/);
    assert.notEqual(events.exitCode ?? events.signalCode, null);
    assert.deepEqual(mountsUnder(c.dir), []);
    assert.equal(existsSync(c.dir), false);
  });

  it("stops when disposed with await using", async () => {
    let dir = "";
    {
      await using c = await startContainerd();
      dir = c.dir;
    }
    assert.equal(existsSync(dir), false);
  });
});
