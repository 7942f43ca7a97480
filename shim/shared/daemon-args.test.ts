import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { daemonUsage, parseDaemonArgs } from "./daemon-args.js";

describe("containerd-v8d command line", () => {
  it("serves with defaults when given nothing", () => {
    assert.deepEqual(parseDaemonArgs([]), {
      action: "serve",
      socket: undefined,
      debug: false,
      stopGraceSeconds: undefined,
      defaultMemoryLimitMib: undefined,
    });
  });

  it("takes --flag value, --flag=value and single dashes", () => {
    const a = parseDaemonArgs(["--socket", "/x.sock", "-debug", "--stop-grace=5"]);
    assert.equal(a.socket, "/x.sock");
    assert.equal(a.debug, true);
    assert.equal(a.stopGraceSeconds, 5);
    assert.equal(parseDaemonArgs(["--default-memory-limit", "0"]).defaultMemoryLimitMib, 0);
    assert.equal(parseDaemonArgs(["-v"]).action, "version");
    assert.equal(parseDaemonArgs(["--help"]).action, "help");
  });

  it("names what it does not understand", () => {
    assert.throws(() => parseDaemonArgs(["--bogus"]), /unknown argument --bogus/);
    assert.throws(() => parseDaemonArgs(["--socket"]), /socket needs a value/);
    assert.throws(() => parseDaemonArgs(["--stop-grace", "soon"]), /expected a number/);
    assert.throws(() => parseDaemonArgs(["serve"]), /unknown argument serve/);
  });

  it("documents every flag in its usage", () => {
    const usage = daemonUsage("containerd-v8d");
    for (const flag of ["--socket", "--debug", "--stop-grace", "--default-memory-limit"]) {
      assert.ok(usage.includes(flag), flag);
    }
  });
});
