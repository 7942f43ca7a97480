import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { DeleteResponse } from "../../api/index.js";
import { silentLogger } from "../log.js";
import { PauseInstance } from "../pause-instance.js";
import { startSharedDaemon } from "./daemon.js";

const program = path.resolve(import.meta.dirname, "../../bin/containerd-shim-v8d-v1.ts");

/** A bundle, and the thin shim run in it as containerd runs it (flags, cwd, environment). */
function setup(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(path.join(tmpdir(), "thin-shim-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bundle = path.join(dir, "bundle");
  mkdirSync(path.join(bundle, "rootfs"), { recursive: true });
  writeFileSync(
    path.join(bundle, "config.json"),
    JSON.stringify({ process: { args: ["/app.wasm"] }, root: { path: "rootfs" } }),
  );
  const managerSocket = path.join(dir, "manager.sock");
  const address = path.join(dir, "containerd.sock");
  /** Runs the shim; async, so that a daemon in this very process can answer it. */
  const shim = (action: string) =>
    new Promise<{ status: number | null; stdout: Buffer; stderr: string }>((resolve) => {
      const flags = ["-namespace", "ns", "-address", address, "-id", "c1"];
      if (action === "delete") flags.push("-bundle", bundle);
      const child = execFile(
        process.execPath,
        // tsx by URL: the shim runs in the bundle directory, where no node_modules is.
        ["--import", import.meta.resolve("tsx"), program, ...flags, action],
        {
          cwd: bundle,
          env: { PATH: process.env.PATH, CONTAINERD_V8D_SOCKET: managerSocket },
          encoding: "buffer",
        },
        (_err, stdout, stderr) =>
          resolve({ status: child.exitCode, stdout, stderr: stderr.toString() }),
      );
    });
  return { bundle, managerSocket, shim };
}

describe("containerd-shim-v8d-v1", () => {
  it("fails start with a clear error, and nothing on stdout, when the daemon is not running", async (t) => {
    const { shim, managerSocket } = setup(t);
    const r = await shim("start");
    assert.equal(r.status, 1);
    assert.equal(r.stdout.toString(), "");
    assert.match(
      r.stderr,
      new RegExp(
        `start: containerd-v8d is not running at ${managerSocket} \\(ENOENT\\): start it with ` +
          "`systemctl start containerd-v8d`, or run `containerd-v8d --socket",
      ),
    );
  });

  it("answers delete with 137 when the daemon is gone", async (t) => {
    const { shim } = setup(t);
    const r = await shim("delete");
    assert.equal(r.status, 0, r.stderr);
    assert.equal(DeleteResponse.decode(r.stdout).exitStatus, 137);
    assert.match(r.stderr, /not running.*cleaning up without it/);
  });

  it("starts through the daemon: prints the sandbox's address and writes it to the bundle", async (t) => {
    const { shim, managerSocket, bundle } = setup(t);
    const daemon = await startSharedDaemon({
      engine: () => new PauseInstance(),
      socket: managerSocket,
      log: silentLogger,
    });
    t.after(() => daemon.stop());
    const r = await shim("start");
    const address = r.stdout.toString();
    assert.equal(r.status, 0, r.stderr);
    assert.match(address, /^unix:\/\/\/run\/containerd\/s\/[0-9a-f]{64}$/);
    assert.equal(readFileSync(path.join(bundle, "address"), "utf8"), address);
    assert.equal(daemon.manager.size, 1);
    await daemon.stop();
    assert.equal(existsSync(address.slice("unix://".length)), false, "stop removes the socket");
  });
});
