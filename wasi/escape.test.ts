// The escape suite: attempts to read, write or stat outside the preopens, each with the errno it
// must end with, and a canary outside that must stay unread and unchanged. Also a race in which
// the host swaps a path component between a directory and an escaping symlink mid-resolution.
// Needs root (mknod for the device-node attempts), as the shims themselves do.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  type BigIntStats,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Errno, Wasi } from "./index.js";
import { compileC } from "./testdata/build.js";

const { NOTCAPABLE, LOOP, NOENT, ROFS, INVAL, NOTDIR, FAULT, ACCES } = Errno;

/** Every attempt of testdata/escape.c and how it must end (0: allowed, and stays inside). */
const expected: Record<string, number> = {
  dotdot: NOTCAPABLE,
  abs_dotdot: NOTCAPABLE,
  sub_dotdot: NOTCAPABLE,
  dot_dotdot: NOTCAPABLE,
  many_dotdot: NOTCAPABLE,
  rel_symlink: NOTCAPABLE,
  rel_symlink_nofollow: LOOP,
  stat_follow: NOTCAPABLE,
  abs_host_symlink: NOENT, // a host path means nothing inside the guest's root
  abs_dotdot_symlink: NOTCAPABLE,
  symlink_chain: NOTCAPABLE,
  symlink_loop: LOOP,
  symlink_self: LOOP,
  dir_symlink_up: NOTCAPABLE,
  nested_symlink: NOTCAPABLE,
  proc_symlink: NOENT,
  dir_symlink_out: NOTCAPABLE,
  trailing_slash_symlink: NOTCAPABLE,
  stat_dirlink_slash: NOTCAPABLE,
  mkdir_out: NOTCAPABLE,
  create_out: NOTCAPABLE,
  create_via_dir_symlink: NOTCAPABLE,
  trunc_via_symlink: NOTCAPABLE,
  unlink_out: NOTCAPABLE,
  unlink_via_dir_symlink: NOTCAPABLE,
  rmdir_out: NOTCAPABLE,
  rename_from_out: NOTCAPABLE,
  rename_to_out: NOTCAPABLE,
  rename_via_dir_symlink: NOTCAPABLE,
  link_from_out: NOTCAPABLE,
  link_follow_symlink: NOTCAPABLE,
  link_to_out: NOTCAPABLE,
  symlink_abs_create: NOTCAPABLE,
  symlink_rel_create: 0,
  symlink_rel_use: NOTCAPABLE,
  symlink_in_out: NOTCAPABLE,
  readlink_out: NOTCAPABLE,
  truncate_via_symlink: NOTCAPABLE,
  utimes_via_symlink: NOTCAPABLE,
  utimes_out: NOTCAPABLE,
  opendir_dotdot: NOTCAPABLE,
  opendir_dir_symlink: NOTCAPABLE,
  openat_fd_dotdot: 0,
  openat_sub_dotdot: NOTCAPABLE,
  openat_back_to_root: 0,
  openat_root_dotdot: NOTCAPABLE,
  fstatat_sub_dotdot: NOTCAPABLE,
  device_mem: ACCES, // /dev/mem's numbers: refused like on a nodev mount
  device_block: ACCES,
  device_via_symlink: ACCES,
  device_null_allowed: 0,
  ro_write: ROFS,
  ro_rename_out: ROFS,
  ro_unlink: ROFS,
  raw_absolute_path: NOTCAPABLE,
  raw_ro_dotdot: NOTCAPABLE,
  raw_nul_in_path: INVAL,
  raw_file_as_dir: NOTDIR,
  raw_bad_pointer: FAULT,
  raw_empty_path: NOENT,
};

interface Layout {
  tmp: string;
  root: string;
  canaries: string[];
}

/** tmp/{canary, outside/canary2, root/ (preopen "/"), ro/ (read-only preopen "/ro")}. */
function layout(t: { after: (fn: () => void) => void }): Layout {
  const tmp = mkdtempSync(path.join(tmpdir(), "wasi-escape-"));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const root = path.join(tmp, "root");
  const canary = path.join(tmp, "canary");
  const canary2 = path.join(tmp, "outside", "canary2");
  mkdirSync(path.join(root, "sub"), { recursive: true });
  mkdirSync(path.join(tmp, "outside"));
  mkdirSync(path.join(tmp, "ro"));
  writeFileSync(canary, "secret-canary");
  writeFileSync(canary2, "secret-canary2");
  writeFileSync(path.join(root, "file"), "inside");
  writeFileSync(path.join(root, "sub", "file"), "inside");
  writeFileSync(path.join(tmp, "ro", "file"), "inside");
  const links: [string, string][] = [
    ["up", "../canary"],
    ["abs", canary],
    ["absup", "/../canary"],
    ["chain1", "chain2"],
    ["chain2", "chain3"],
    ["chain3", "sub/../../canary"],
    ["loop1", "loop2"],
    ["loop2", "loop1"],
    ["self", "self"],
    ["dirlink", ".."],
    ["sub/deep", "../../canary"],
    ["procl", `/proc/self/root${canary}`],
    ["outdir", "../outside"],
    ["memlink", "/mem"],
  ];
  for (const [name, target] of links) symlinkSync(target, path.join(root, name));
  // Device nodes, as an image layer may carry them: /dev/mem's numbers, a loop block device, null.
  for (const [name, type, major, minor] of [
    ["mem", "c", 1, 1],
    ["blk", "b", 7, 0],
    ["null", "c", 1, 3],
  ] as const) {
    execFileSync("mknod", [path.join(root, name), type, String(major), String(minor)]);
  }
  return { tmp, root, canaries: [canary, canary2] };
}

/**
 * What must not change about a canary: its stat, with atime where the filesystem records reads.
 * (Stat only: reading the content here would move the atime we are watching.)
 */
function fingerprint(file: string, withAtime: boolean): string {
  const st: BigIntStats = statSync(file, { bigint: true });
  const times = `${st.mtimeNs} ${st.ctimeNs}` + (withAtime ? ` ${st.atimeNs}` : "");
  return `${st.size} ${st.ino} ${times}`;
}

/**
 * Backdates the canaries' atime so that a read would move it (relatime updates an atime older than
 * a day), and says whether this filesystem records reads at all, using a control file.
 */
function armAtime(tmp: string, canaries: string[]): boolean {
  const control = path.join(tmp, "control");
  writeFileSync(control, "x");
  const old = Date.now() / 1000 - 3 * 86400;
  for (const f of [control, ...canaries]) utimesSync(f, old, old);
  const before = statSync(control, { bigint: true }).atimeNs;
  readFileSync(control);
  const recorded = statSync(control, { bigint: true }).atimeNs !== before;
  rmSync(control);
  return recorded;
}

function runGuest(module: WebAssembly.Module, l: Layout, args: string[]): string {
  const out = path.join(l.tmp, "stdout");
  const fd = openSync(out, "w");
  try {
    const wasi = new Wasi({
      args,
      stdout: fd,
      preopens: [
        { guestPath: "/", hostPath: l.root },
        { guestPath: "/ro", hostPath: path.join(l.tmp, "ro"), readOnly: true },
      ],
    });
    assert.equal(wasi.start(new WebAssembly.Instance(module, wasi.imports)), 0);
  } finally {
    closeSync(fd);
  }
  const text = readFileSync(out, "utf8");
  rmSync(out);
  return text;
}

test(`${Object.keys(expected).length} escape attempts fail with the right errno and leave the canary alone`, (t) => {
  const l = layout(t);
  const atime = armAtime(l.tmp, l.canaries);
  if (!atime) t.diagnostic("this filesystem does not record reads; atime not checked");
  const before = l.canaries.map((c) => fingerprint(c, atime));
  const outside = readdirSync(l.tmp).sort();

  const stdout = runGuest(compileC("testdata/escape.c"), l, ["escape"]);

  assert.doesNotMatch(stdout, /secret/);
  const got: Record<string, number> = {};
  for (const line of stdout.split("\n")) {
    const m = /^(\w+) (\d+)$/.exec(line);
    if (m) got[m[1] as string] = Number(m[2]);
  }
  assert.deepEqual(got, expected);
  assert.deepEqual(
    l.canaries.map((c) => fingerprint(c, atime)),
    before,
  );
  assert.equal(readFileSync(l.canaries[0] as string, "utf8"), "secret-canary");
  assert.deepEqual(readdirSync(l.tmp).sort(), outside); // nothing created next to the root
  assert.deepEqual(readdirSync(path.join(l.tmp, "outside")), ["canary2"]);
});

test("swapping a directory for an escaping symlink during resolution never leaks", async (t) => {
  const l = layout(t);
  const race = path.join(l.root, "race");
  mkdirSync(race);
  writeFileSync(path.join(race, "canary"), "inside");
  writeFileSync(path.join(l.tmp, "outside", "canary"), "secret-race");
  const atime = armAtime(l.tmp, l.canaries);
  const before = l.canaries.map((c) => fingerprint(c, atime));

  // Another process swaps root/race: directory → symlink out (relative, then absolute) → back.
  const swapper = spawn(
    process.execPath,
    [
      "-e",
      `const fs = require("fs"); const [race, out] = process.argv.slice(1);
       process.stdout.write("ready\\n");
       for (let i = 0; ; i++) {
         fs.renameSync(race, race + ".d");
         fs.symlinkSync(i % 2 ? "../outside" : out, race);
         fs.unlinkSync(race);
         fs.renameSync(race + ".d", race);
       }`,
      race,
      path.join(l.tmp, "outside"),
    ],
    { stdio: ["ignore", "pipe", "inherit"], env: { PATH: process.env["PATH"] ?? "" } },
  );
  t.after(() => swapper.kill("SIGKILL"));
  await new Promise<void>((resolve) => swapper.stdout.once("data", () => resolve()));

  // Rounds of 4,000 opens until the guest has met the escaping symlink (ENOTCAPABLE) at least
  // once, so the race was really run; on a loaded machine the swapper may need more than one.
  const errnos = new Set<number>();
  for (let round = 0; round < 5 && !errnos.has(NOTCAPABLE); round++) {
    const stdout = runGuest(compileC("testdata/race.c"), l, ["race", "4000"]);
    assert.doesNotMatch(stdout, /LEAK|secret/);
    assert.ok(/opened (\d+) leaked 0/.test(stdout), stdout);
    t.diagnostic(stdout.trim().replace(/\n/g, "; "));
    for (const [, errno] of stdout.matchAll(/^errno (\d+) \d+$/gm)) errnos.add(Number(errno));
  }
  swapper.kill("SIGKILL");
  // Every failure is one of the confined answers, never an unexpected errno.
  for (const errno of errnos) {
    assert.ok(([NOENT, NOTCAPABLE, LOOP, NOTDIR] as number[]).includes(errno), `errno ${errno}`);
  }
  assert.ok(errnos.has(NOTCAPABLE), "the swap to an escaping symlink was never observed");
  assert.deepEqual(
    l.canaries.map((c) => fingerprint(c, atime)),
    before,
  );
});
