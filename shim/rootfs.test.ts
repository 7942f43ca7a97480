import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it, type TestContext } from "node:test";
import { Code, TtrpcError } from "../ttrpc/index.js";
import { loadAddon, mountCalls, type MountSyscalls } from "./mount-syscalls.js";
import { isMountPoint, mountRootfs, unmountRootfs, type RootfsMount } from "./rootfs.js";

const MS_RDONLY = 0x1;
const MS_NOSUID = 0x2;
const MS_REMOUNT = 0x20;
const MS_BIND = 0x1000;
const MS_REC = 0x4000;

describe("mountCalls: containerd's mounts as mount(2) calls", () => {
  it("an overlay: its options are data, in order", () => {
    const options = ["index=off", "workdir=/s/2/work", "upperdir=/s/2/fs", "lowerdir=/s/1/fs"];
    assert.deepEqual(mountCalls({ type: "overlay", source: "overlay", options }), [
      { source: "overlay", fstype: "overlay", flags: 0, data: options.join(",") },
    ]);
  });

  it("flag options become flags, as containerd's table says (rw clears ro)", () => {
    const calls = mountCalls({
      type: "overlay",
      source: "overlay",
      options: ["ro", "nosuid", "rw", "lowerdir=/a:/b"],
    });
    assert.deepEqual(calls, [
      { source: "overlay", fstype: "overlay", flags: MS_NOSUID, data: "lowerdir=/a:/b" },
    ]);
  });

  it("a bind mount (native snapshotter): rbind is MS_BIND|MS_REC", () => {
    assert.deepEqual(mountCalls({ type: "bind", source: "/s/3", options: ["rbind", "rw"] }), [
      { source: "/s/3", fstype: "bind", flags: MS_BIND | MS_REC, data: "" },
    ]);
  });

  it("a read-only bind mount is remounted read-only, which a fresh bind cannot be", () => {
    const flags = MS_BIND | MS_REC | MS_RDONLY;
    assert.deepEqual(mountCalls({ type: "bind", source: "/s/3", options: ["rbind", "ro"] }), [
      { source: "/s/3", fstype: "bind", flags, data: "" },
      { source: "", fstype: "", flags: flags | MS_REMOUNT, data: "" },
    ]);
  });

  it("leaves to util-linux what is not a plain overlay or bind mount", () => {
    const cases: RootfsMount[] = [
      { type: "ext4", source: "/dev/sda1", options: [] },
      { type: "overlay", source: "overlay", options: ["loop"] },
      { type: "bind", source: "/s", options: ["rbind", "rshared"] },
      { type: "bind", source: "/s", options: ["rbind", "x-systemd.automount"] },
      { type: "bind", source: "/s", options: ["rbind", "size=1m"] },
      { type: "overlay", source: "overlay", options: [`lowerdir=${"/x".repeat(2000)}`] },
    ];
    for (const m of cases) assert.equal(mountCalls(m), undefined, JSON.stringify(m).slice(0, 80));
  });
});

/** The addon, compiled from its source for this test: the unit tests need no build. */
function compileAddon(t: TestContext, dir: string): MountSyscalls | undefined {
  const include = path.resolve(path.dirname(process.execPath), "../include/node");
  if (!existsSync(path.join(include, "node_api.h"))) {
    t.skip("no Node-API headers");
    return undefined;
  }
  const file = path.join(dir, "runwasi-mount.node");
  const source = path.join(import.meta.dirname, "native/mount.c");
  execFileSync("cc", ["-shared", "-fPIC", "-O2", `-I${include}`, "-o", file, source]);
  return loadAddon(file);
}

/** Mounting needs root (CAP_SYS_ADMIN), which the end-to-end tests need too. */
const isRoot = process.getuid?.() === 0;

describe("mountRootfs and unmountRootfs", { skip: !isRoot && "needs root" }, () => {
  function setup(t: TestContext) {
    const dir = mkdtempSync(path.join(tmpdir(), "rootfs-test-"));
    const lower = path.join(dir, "lower");
    const target = path.join(dir, "rootfs");
    for (const d of ["lower", "upper", "work", "rootfs"]) mkdirSync(path.join(dir, d));
    writeFileSync(path.join(lower, "hello.txt"), "hi");
    t.after(() => {
      while (isMountPoint(target)) execFileSync("umount", ["-l", target]);
      rmSync(dir, { recursive: true, force: true });
    });
    const overlay: RootfsMount = {
      type: "overlay",
      source: "overlay",
      options: [
        "index=off",
        `workdir=${path.join(dir, "work")}`,
        `upperdir=${path.join(dir, "upper")}`,
        `lowerdir=${lower}`,
      ],
    };
    return { dir, lower, target, overlay };
  }

  for (const how of ["mount(2)", "util-linux"] as const) {
    it(`${how}: an overlay and a read-only bind mount, and their removal`, async (t) => {
      const { dir, lower, target, overlay } = setup(t);
      const syscalls = how === "mount(2)" ? compileAddon(t, dir) : undefined;
      if (how === "mount(2)" && !syscalls) return;
      const options = { syscalls };

      await mountRootfs([overlay], target, options);
      assert.equal(readFileSync(path.join(target, "hello.txt"), "utf8"), "hi");
      writeFileSync(path.join(target, "new.txt"), "upper");
      assert.ok(existsSync(path.join(dir, "upper", "new.txt")), "writes land in the upper dir");
      await unmountRootfs(target, options);
      assert.equal(isMountPoint(target), false);

      await mountRootfs(
        [{ type: "bind", source: lower, options: ["rbind", "ro"] }],
        target,
        options,
      );
      assert.equal(readFileSync(path.join(target, "hello.txt"), "utf8"), "hi");
      assert.throws(() => writeFileSync(path.join(target, "x"), ""), { code: "EROFS" });
      await unmountRootfs(target, options);
      assert.equal(isMountPoint(target), false);
      // Nothing mounted: nothing to do, no error.
      await unmountRootfs(target, options);
    });

    it(`${how}: a failed mount is an INTERNAL error naming the target, and leaves nothing`, async (t) => {
      const { dir, target } = setup(t);
      const syscalls = how === "mount(2)" ? compileAddon(t, dir) : undefined;
      if (how === "mount(2)" && !syscalls) return;
      const missing: RootfsMount = {
        type: "bind",
        source: path.join(dir, "missing"),
        options: ["rbind"],
      };
      await assert.rejects(mountRootfs([missing], target, { syscalls }), (err: Error) => {
        assert.ok(err instanceof TtrpcError && err.code === Code.Internal, String(err));
        assert.match(err.message, /mounting the rootfs at .*rootfs failed/);
        return true;
      });
      assert.equal(isMountPoint(target), false);
    });
  }

  it("unmounts stacked mounts one by one", async (t) => {
    const { dir, lower, target } = setup(t);
    const syscalls = compileAddon(t, dir);
    if (!syscalls) return;
    const bind: RootfsMount = { type: "bind", source: lower, options: ["bind"] };
    await mountRootfs([bind, bind], target, { syscalls });
    await unmountRootfs(target, { syscalls });
    assert.equal(isMountPoint(target), false);
  });
});
