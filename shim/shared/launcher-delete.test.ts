import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { DeleteResponse } from "../../api/index.js";

const cli = path.join(import.meta.dirname, "../cli");

/**
 * The launcher as the shared-mode client gets it (scripts/build.js): FAST_DELETE with
 * FAST_DELETE_UNLESS_SOCKET, beside a stand-in bundle that says it ran; and a bundle directory
 * whose `address` names `socket`.
 */
function setup(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(path.join(tmpdir(), "launcher-delete-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const shim = path.join(dir, "shim");
  execFileSync(
    "cc",
    ["-O2", "-DFAST_DELETE", "-DFAST_DELETE_UNLESS_SOCKET", "-o", shim, "launcher.c", "sha256.c"],
    { cwd: cli },
  );
  writeFileSync(`${shim}.cjs`, 'process.stdout.write("bundle ran")');
  const bundle = path.join(dir, "bundle");
  mkdirSync(bundle);
  writeFileSync(path.join(bundle, "config.json"), JSON.stringify({ root: { path: "rootfs" } }));
  const socket = path.join(dir, "sandbox.sock");
  writeFileSync(path.join(bundle, "address"), `unix://${socket}`);
  const env = { PATH: process.env.PATH };
  const del = () =>
    execFileSync(shim, ["-namespace", "n", "-id", "c1", "-bundle", bundle, "delete"], { env });
  return { del, socket };
}

describe("shared-mode shim launcher, delete", () => {
  it("answers 137 itself once the daemon has removed the sandbox's socket", (t) => {
    const { del } = setup(t);
    assert.equal(DeleteResponse.decode(del()).exitStatus, 137);
  });

  it("leaves it to the bundle while the sandbox socket exists (a pod sibling, or a dead daemon's)", async (t) => {
    const { del, socket } = setup(t);
    const server = net.createServer().listen(socket);
    t.after(() => server.close());
    await new Promise((r) => server.once("listening", r));
    assert.equal(del().toString(), "bundle ran");
  });
});
