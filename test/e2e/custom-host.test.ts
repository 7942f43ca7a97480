// A host builder's shim (examples/custom-host), bundled by `make build`, run through containerd:
// the library turns a few lines of `Instance` into a working runtime.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startContainerd, type Containerd } from "../harness/containerd.js";
import { binDir, demoImage, demoImageTar, requireBuilt } from "./fixtures.js";
import { shimProcesses } from "./leaks.js";

const runtime = "io.containerd.example.v1";

describe("a custom host built on the shim library", () => {
  let c: Containerd;

  before(async () => {
    requireBuilt();
    c = await startContainerd({ binDir });
    const imported = await c.ctr(["image", "import", demoImageTar]);
    assert.equal(imported.code, 0, imported.stderr);
  });

  after(() => c?.stop());

  it("runs the demo image and prints its greeting", async () => {
    const r = await c.ctr(["run", "--rm", "--runtime", runtime, demoImage, "custom-hello"]);
    assert.equal(r.stdout, "Hello from wasm!\n");
    assert.equal(r.code, 0, r.stderr);
  });

  it("stops a running module on kill and reports 128+signal", async () => {
    const args = [
      "run",
      "-d",
      "--runtime",
      runtime,
      demoImage,
      "custom-daemon",
      "/wasmtest.wasm",
      "daemon",
    ];
    assert.equal((await c.ctr(args)).code, 0);
    assert.equal((await c.ctr(["task", "kill", "-s", "SIGKILL", "custom-daemon"])).code, 0);
    const deadline = Date.now() + 10_000;
    while (!/custom-daemon\s+\d+\s+STOPPED/.test((await c.ctr(["task", "ls"])).stdout)) {
      assert.ok(Date.now() < deadline, "the task did not stop");
      await new Promise((r) => setTimeout(r, 50));
    }
    const rm = await c.ctr(["task", "rm", "custom-daemon"]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal((await c.ctr(["container", "rm", "custom-daemon"])).code, 0);
    const gone = Date.now() + 5_000;
    while (shimProcesses(c.address).length > 0) {
      assert.ok(Date.now() < gone, "the shim did not exit after its last task was deleted");
      await new Promise((r) => setTimeout(r, 50));
    }
  });
});
