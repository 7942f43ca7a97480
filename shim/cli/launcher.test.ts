import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { DeleteResponse } from "../../api/index.js";

/** The launcher installed as `shim`, beside a stand-in bundle that reports how it was called. */
function setup(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(path.join(tmpdir(), "launcher-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const shim = path.join(dir, "shim");
  copyFileSync(path.join(import.meta.dirname, "launcher.sh"), shim);
  execFileSync("chmod", ["+x", shim]);
  writeFileSync(`${shim}.cjs`, 'process.stdout.write("bundle " + process.argv.slice(2).join(" "))');
  const bundle = (spec: object) => {
    const b = path.join(dir, "bundle");
    mkdirSync(path.join(b, "rootfs"), { recursive: true });
    writeFileSync(path.join(b, "config.json"), JSON.stringify(spec));
    return b;
  };
  const env = { ...process.env, NODE_EXTRA_CA_CERTS: "" };
  const run = (args: string[]) => execFileSync(shim, args, { env });
  return { run, bundle };
}

describe("shim launcher", () => {
  it("answers delete itself with exit status 137 and the current time", (t) => {
    const { run, bundle } = setup(t);
    const b = bundle({ root: { path: "rootfs" } });
    const before = Date.now();
    const out = run(["-namespace", "n", "-address", "/a", "-id", "c1", "-bundle", b, "delete"]);
    const response = DeleteResponse.decode(out);
    assert.equal(response.exitStatus, 137);
    assert.equal(response.pid, 0);
    const at = response.exitedAt!.getTime();
    assert.ok(
      at >= before - 1000 && at <= Date.now() + 1000,
      `exited_at ${response.exitedAt?.toISOString()}`,
    );
  });

  it("runs the bundle for every other action, with the arguments untouched", (t) => {
    const { run } = setup(t);
    assert.equal(run(["-id", "c1", "start"]).toString(), "bundle -id c1 start");
    assert.equal(run(["-id", "c1"]).toString(), "bundle -id c1");
  });

  it("does not take a container id named delete for the action", (t) => {
    const { run } = setup(t);
    assert.equal(run(["-id", "delete", "start"]).toString(), "bundle -id delete start");
  });

  it("leaves a delete it cannot be sure of to the bundle", (t) => {
    const { run, bundle } = setup(t);
    const b = bundle({ root: { path: "/elsewhere" } });
    assert.equal(run(["-bundle", b, "delete"]).toString(), `bundle -bundle ${b} delete`);
  });
});
