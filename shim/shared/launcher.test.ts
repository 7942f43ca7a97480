import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { DeleteResponse } from "../../api/index.js";
import { silentLogger } from "../log.js";
import { PauseInstance } from "../pause-instance.js";
import { startSharedDaemon } from "./daemon.js";

const here = import.meta.dirname;

/**
 * The launcher as the shared-mode client gets it (scripts/build.js) — start in C through the
 * manager (manager-start.c), delete in C unless the sandbox socket exists — beside a stand-in
 * bundle that says it ran; bundles to run it in; and a manager socket path for a daemon.
 */
function setup(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(path.join(tmpdir(), "shared-launcher-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const shim = path.join(dir, "shim");
  const flags = ["-DFAST_START_MANAGER", "-DFAST_DELETE", "-DFAST_DELETE_UNLESS_SOCKET"];
  const sources = ["../cli/launcher.c", "../cli/sha256.c", "manager-start.c"];
  execFileSync("cc", ["-O2", "-Wall", "-Werror", ...flags, "-o", shim, ...sources], { cwd: here });
  writeFileSync(`${shim}.cjs`, 'process.stdout.write("bundle ran")');
  const managerSocket = path.join(dir, "manager.sock");
  const bundle = (id: string, annotations: Record<string, string> = {}) => {
    const b = path.join(dir, id);
    mkdirSync(path.join(b, "rootfs"), { recursive: true });
    const spec = { process: { args: ["/app.wasm"] }, root: { path: "rootfs" }, annotations };
    writeFileSync(path.join(b, "config.json"), JSON.stringify(spec));
    return b;
  };
  /** Runs the launcher as containerd does; async, so a daemon in this process can answer. */
  const run = (b: string, id: string, action: "start" | "delete") =>
    new Promise<Buffer>((resolve, reject) => {
      const flags = ["-namespace", "ns", "-address", path.join(dir, "c.sock"), "-id", id];
      if (action === "delete") flags.push("-bundle", b);
      execFile(
        shim,
        [...flags, action],
        {
          cwd: b,
          env: { PATH: process.env.PATH, CONTAINERD_V8D_SOCKET: managerSocket },
          encoding: "buffer",
        },
        (err, stdout) => (err ? reject(err) : resolve(stdout)),
      );
    });
  const daemon = async () => {
    const d = await startSharedDaemon({
      engine: () => new PauseInstance(),
      socket: managerSocket,
      log: silentLogger,
    });
    t.after(() => d.stop());
    return d;
  };
  return { bundle, run, daemon };
}

describe("shared-mode shim launcher", () => {
  it("starts through the daemon in C: prints the sandbox address and writes it to the bundle", async (t) => {
    const { bundle, run, daemon } = setup(t);
    const d = await daemon();
    const b = bundle("c1");
    const address = (await run(b, "c1", "start")).toString();
    assert.match(address, /^unix:\/\/\/run\/containerd\/s\/[0-9a-f]{64}$/);
    assert.equal(readFileSync(path.join(b, "address"), "utf8"), address);
    assert.equal(d.manager.size, 1);
  });

  it("puts a pod's containers in one sandbox (Connect, then Create when there is none)", async (t) => {
    const { bundle, run, daemon } = setup(t);
    const d = await daemon();
    const pod = { "io.kubernetes.cri.sandbox-id": "pod1" };
    const first = (await run(bundle("app1", pod), "app1", "start")).toString();
    const second = (await run(bundle("app2", pod), "app2", "start")).toString();
    assert.equal(first, second);
    assert.equal(d.manager.size, 1);
  });

  it("leaves start to the bundle when the daemon does not answer", async (t) => {
    const { bundle, run } = setup(t);
    assert.equal((await run(bundle("c2"), "c2", "start")).toString(), "bundle ran");
  });

  it("leaves start to the bundle when the daemon answers an error", async (t) => {
    const { bundle, run, daemon } = setup(t);
    await daemon();
    const b = bundle("c3");
    // The launcher reads only the sandbox id; the daemon fails to parse the spec and says so.
    writeFileSync(path.join(b, "config.json"), "not json");
    assert.equal((await run(b, "c3", "start")).toString(), "bundle ran");
  });

  it("answers delete with 137 itself once the daemon has removed the sandbox's socket", async (t) => {
    const { bundle, run } = setup(t);
    const b = bundle("d1");
    writeFileSync(path.join(b, "address"), `unix://${b}/gone.sock`);
    assert.equal(DeleteResponse.decode(await run(b, "d1", "delete")).exitStatus, 137);
  });

  it("leaves delete to the bundle while the sandbox socket exists (a pod sibling, or a dead daemon's)", async (t) => {
    const { bundle, run } = setup(t);
    const b = bundle("d2");
    const socket = path.join(b, "sandbox.sock");
    writeFileSync(path.join(b, "address"), `unix://${socket}`);
    const server = net.createServer().listen(socket);
    t.after(() => server.close());
    await new Promise((r) => server.once("listening", r));
    assert.equal((await run(b, "d2", "delete")).toString(), "bundle ran");
  });
});
