import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { daemonArgs, parseShimArgs } from "./args.js";

describe("shim command line", () => {
  it("parses containerd's start invocation", () => {
    const a = parseShimArgs(
      [
        "-namespace",
        "t2",
        "-address",
        "/x/c.sock",
        "-publish-binary",
        "/usr/bin/containerd",
        "-id",
        "p1",
        "-debug",
        "start",
      ],
      "/bundle",
    );
    assert.equal(a.action, "start");
    assert.equal(a.namespace, "t2");
    assert.equal(a.address, "/x/c.sock");
    assert.equal(a.id, "p1");
    assert.equal(a.debug, true);
    assert.equal(a.bundle, "/bundle");
  });

  it("accepts --flag value and -flag=value, and takes the bundle on delete", () => {
    const a = parseShimArgs(["--namespace=n", "--id", "c", "-bundle", "/b", "delete"]);
    assert.equal(a.action, "delete");
    assert.equal(a.namespace, "n");
    assert.equal(a.bundle, "/b");
  });

  it("serves when no action is given, and rebuilds the daemon's flags without the action", () => {
    const a = parseShimArgs(["-namespace", "n", "-id", "c", "-address", "/a"]);
    assert.equal(a.action, "serve");
    assert.deepEqual(daemonArgs(a), ["-namespace", "n", "-id", "c", "-address", "/a"]);
  });

  it("names unknown flags, missing values and unknown actions", () => {
    assert.throws(() => parseShimArgs(["-bogus", "x"]), /unknown flag -bogus/);
    assert.throws(() => parseShimArgs(["-id"]), /needs a value/);
    assert.throws(() => parseShimArgs(["restart"]), /unknown action "restart"/);
  });
});
