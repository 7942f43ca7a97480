import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { DeleteResponse } from "../../api/index.js";
import { shimSocketPath } from "../socket-address.js";

const here = import.meta.dirname;

/**
 * The launcher compiled as `shim` with both fast paths, beside a stand-in bundle: run as a daemon
 * (no action) it serves one connection on the inherited fd 3 and records its arguments;
 * otherwise it prints how it was called.
 */
function setup(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(path.join(tmpdir(), "launcher-test-"));
  const sockets: string[] = [];
  t.after(() => {
    for (const s of sockets) if (existsSync(s)) unlinkSync(s);
    rmSync(dir, { recursive: true, force: true });
  });
  const shim = path.join(dir, "shim");
  execFileSync(
    "cc",
    ["-O2", "-DFAST_START", "-DFAST_DELETE", "-o", shim, "launcher.c", "sha256.c"],
    {
      cwd: here,
    },
  );
  const marker = path.join(dir, "daemon-args");
  writeFileSync(
    `${shim}.cjs`,
    `const args = process.argv.slice(2);
     if (args.includes("start") || args.includes("delete") || !args.includes("-socket")) {
       process.stdout.write("bundle " + args.join(" "));
     } else {
       require("fs").writeFileSync(${JSON.stringify(marker)}, args.join(" "));
       const server = require("net").createServer((c) => { c.end("served"); server.close(); });
       server.listen({ fd: 3 });
       setTimeout(() => process.exit(0), 5000).unref();
     }`,
  );
  const bundle = (spec: object) => {
    const b = mkdtempSync(path.join(dir, "bundle-"));
    mkdirSync(path.join(b, "rootfs"));
    writeFileSync(path.join(b, "config.json"), JSON.stringify(spec));
    return b;
  };
  const env = { PATH: process.env["PATH"] ?? "/usr/bin:/bin" };
  const run = (args: string[], cwd = dir) => execFileSync(shim, args, { env, cwd });
  const address = path.join(dir, "containerd.sock");
  return { run, bundle, marker, address, sockets };
}

const startArgs = (address: string, id: string) => [
  "-namespace",
  "ns1",
  "-address",
  address,
  "-publish-binary",
  "/usr/bin/containerd",
  "-id",
  id,
  "start",
];

function connect(socket: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = "";
    net
      .connect(socket)
      .on("data", (d) => (got += d))
      .on("end", () => resolve(got))
      .on("error", reject);
  });
}

describe("shim launcher", () => {
  it("computes SHA-256 as FIPS 180-4 does, and so the socket name containerd expects", async (t) => {
    const { run, bundle, address, sockets } = setup(t);
    const b = bundle({ root: { path: "rootfs" } });
    const printed = run(startArgs(address, "c1"), b).toString();
    const expected = shimSocketPath(address, "ns1", "c1");
    sockets.push(expected);
    assert.equal(printed, `unix://${expected}`);
    assert.equal(await connect(expected), "served");
  });

  it("starts the daemon with the bound socket on fd 3 and writes the address file", async (t) => {
    const { run, bundle, address, marker, sockets } = setup(t);
    const b = bundle({ root: { path: "rootfs" } });
    const printed = run([...startArgs(address, "c2"), "-debug"], b).toString();
    const socket = printed.replace("unix://", "");
    sockets.push(socket);
    assert.equal(readFileSync(path.join(b, "address"), "utf8"), printed);
    assert.equal(await connect(socket), "served");
    assert.equal(
      readFileSync(marker, "utf8"),
      `-namespace ns1 -id c2 -address ${address} -publish-binary /usr/bin/containerd -debug -socket ${socket}`,
    );
  });

  it("groups a pod's containers by their sandbox id, and reuses a live group socket", async (t) => {
    const { run, bundle, address, marker, sockets } = setup(t);
    const pod = {
      root: { path: "rootfs" },
      annotations: { "io.kubernetes.cri.sandbox-id": "pod1" },
    };
    const expected = shimSocketPath(address, "ns1", "pod1");
    sockets.push(expected);
    const server = net.createServer((c) => c.end());
    await new Promise<void>((resolve) => server.listen(expected, resolve));
    t.after(() => server.close());
    const printed = run(startArgs(address, "app1"), bundle(pod)).toString();
    assert.equal(printed, `unix://${expected}`);
    assert.equal(existsSync(marker), false, "no second daemon for the same pod");
  });

  it("answers delete itself with exit status 137 and the current time", (t) => {
    const { run, bundle } = setup(t);
    const b = bundle({ root: { path: "rootfs" } });
    const before = Date.now();
    const response = DeleteResponse.decode(
      run(["-namespace", "n", "-id", "c", "-bundle", b, "delete"]),
    );
    assert.equal(response.exitStatus, 137);
    assert.equal(response.pid, 0);
    const at = response.exitedAt!.getTime();
    assert.ok(at >= before - 1000 && at <= Date.now() + 1000, response.exitedAt?.toISOString());
  });

  it("leaves to the bundle what it cannot be sure of", (t) => {
    const { run, bundle, address } = setup(t);
    const custom = bundle({ root: { path: "/elsewhere" } });
    assert.equal(run(["-bundle", custom, "delete"]).toString(), `bundle -bundle ${custom} delete`);
    const b = bundle({ root: { path: "rootfs" } });
    const unclean = ["-namespace", "n", "-address", `${address}/../x`, "-id", "c", "start"];
    assert.equal(run(unclean, b).toString(), `bundle ${unclean.join(" ")}`);
    assert.equal(
      run(["-id", "c", "-unknown-flag", "start"]).toString(),
      "bundle -id c -unknown-flag start",
    );
    assert.equal(run(["-v"]).toString(), "bundle -v");
  });

  it("does not take a container id named delete for the action", (t) => {
    const { run } = setup(t);
    assert.equal(run(["-id", "delete", "-v"]).toString(), "bundle -id delete -v");
  });

  it("fails start with the reason on stderr when the bundle has no config.json", (t) => {
    const { address } = setup(t);
    const shim = path.join(path.dirname(address), "shim");
    const empty = mkdtempSync(path.join(tmpdir(), "launcher-empty-"));
    t.after(() => rmSync(empty, { recursive: true, force: true }));
    // No config.json: the bundle's full implementation reports it.
    const r = spawnSync(shim, startArgs(address, "c9"), {
      cwd: empty,
      env: { PATH: process.env["PATH"] },
    });
    assert.equal(r.stdout.toString(), `bundle ${startArgs(address, "c9").join(" ")}`);
  });
});
