// Issue 4: containers that behave like containers — signals, stdio forms, the OCI spec's mounts
// and root, Pids — end to end through a private containerd.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { startContainerd, type Containerd } from "../harness/containerd.js";
import { runDetached } from "./ctr-tasks.js";
import { binDir, demoImage, demoImageTar, requireBuilt } from "./fixtures.js";

const runtime = "io.containerd.v8.v1";

describe("normal-mode containers behave like containers", () => {
  let c: Containerd;
  let n = 0;
  const id = (what: string) => `${what}-${++n}`;
  const run = (args: string[], options: { input?: string } = {}) =>
    c.ctr(["run", "--rm", "--runtime", runtime, ...args], options);
  const detached = (cid: string, args: string[], flags: string[] = []) =>
    runDetached(c, runtime, cid, args, { flags });
  /** Kills a detached task and resolves with its exit status and how long the kill took. */
  const killAndWait = async (cid: string, signal: string) => {
    const events = c.spawnCtr(["events"]);
    let seen = "";
    events.stdout!.on("data", (d: Buffer) => (seen += d.toString()));
    try {
      await new Promise((r) => setTimeout(r, 150));
      const start = Date.now();
      const killed = await c.ctr(["task", "kill", "-s", signal, cid]);
      assert.equal(killed.code, 0, killed.stderr);
      const exit = new RegExp(`/tasks/exit \\{"container_id":"${cid}".*"exit_status":(\\d+)`);
      while (!exit.test(seen)) {
        assert.ok(Date.now() - start < 10_000, `no exit event for ${cid}:\n${seen}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      return { status: Number(exit.exec(seen)![1]), ms: Date.now() - start };
    } finally {
      events.kill();
    }
  };
  const remove = async (cid: string) => {
    assert.equal((await c.ctr(["task", "rm", cid])).code, 0);
    assert.equal((await c.ctr(["container", "rm", cid])).code, 0);
  };

  before(async () => {
    requireBuilt();
    c = await startContainerd({ binDir });
    assert.equal((await c.ctr(["image", "import", demoImageTar])).code, 0);
  });
  after(() => c?.stop());

  describe("signals", () => {
    for (const [what, args] of [
      ["sleeping in a host call", ["sleep", "1000"]],
      ["spinning without host calls", ["loop"]],
    ] as const) {
      it(`SIGKILL ends a module ${what} at once, with 137`, async (t) => {
        const cid = id("kill");
        await detached(cid, [...args]);
        const { status, ms } = await killAndWait(cid, "SIGKILL");
        t.diagnostic(`kill to exit event: ${ms} ms`);
        assert.equal(status, 137);
        await remove(cid);
      });
    }

    it("SIGKILL ends a module blocked reading a stdin that never comes, with 137", async (t) => {
      const cid = id("stdin");
      // A foreground run whose stdin stays open: the module waits for input that never comes.
      const ctr = c.spawnCtr(
        ["run", "--rm", "--runtime", runtime, demoImage, cid, "/wasmtest.wasm", "stdin"],
        {
          stdin: "pipe",
        },
      );
      const exited = new Promise<number | null>((resolve) => ctr.once("exit", resolve));
      let ls = "";
      for (let i = 0; i < 500 && !new RegExp(`${cid}\\s+\\d+\\s+RUNNING`).test(ls); i++) {
        ls = (await c.ctr(["task", "ls"])).stdout;
        await new Promise((r) => setTimeout(r, 20));
      }
      const start = Date.now();
      const killed = await c.ctr(["task", "kill", "-s", "SIGKILL", cid]);
      assert.equal(killed.code, 0, killed.stderr);
      assert.equal(await exited, 137);
      t.diagnostic(`kill to ctr exit: ${Date.now() - start} ms`);
    });

    it("SIGTERM and SIGINT end a module with 128+signal", async () => {
      for (const [signal, status] of [
        ["SIGTERM", 143],
        ["SIGINT", 130],
      ] as const) {
        const cid = id("term");
        await detached(cid, ["sleep", "1000"]);
        assert.equal((await killAndWait(cid, signal)).status, status);
        await remove(cid);
      }
    });

    it("ignores signals whose default action is to ignore, and refuses stop signals", async () => {
      const cid = id("ignore");
      await detached(cid, ["sleep", "1000"]);
      assert.equal((await c.ctr(["task", "kill", "-s", "SIGWINCH", cid])).code, 0);
      const stop = await c.ctr(["task", "kill", "-s", "SIGSTOP", cid]);
      assert.notEqual(stop.code, 0);
      assert.match(stop.stderr, /pausing a wasm container is not supported: invalid argument/);
      const ls = await c.ctr(["task", "ls"]);
      assert.match(ls.stdout, new RegExp(`${cid}\\s+\\d+\\s+RUNNING`));
      assert.equal((await killAndWait(cid, "SIGKILL")).status, 137);
      await remove(cid);
    });

    it("answers a kill after exit with not found", async () => {
      const cid = id("late");
      await detached(cid, ["exit", "3"]);
      let ls = "";
      for (let i = 0; i < 200 && !/STOPPED/.test(ls); i++) {
        ls = (await c.ctr(["task", "ls"])).stdout;
        await new Promise((r) => setTimeout(r, 20));
      }
      const r = await c.ctr(["task", "kill", "-s", "SIGKILL", cid]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /not found/);
      await remove(cid);
    });
  });

  describe("stdio", () => {
    it("--null-io runs the module with no stdio", async () => {
      const r = await run(["--null-io", demoImage, id("nullio")]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "");
    });

    it("--log-uri file:// appends stdout and stderr to the file", async () => {
      const log = path.join(mkdtempSync(path.join(c.dir, "log-")), "out.log");
      const r = await run([
        "--log-uri",
        `file://${log}`,
        demoImage,
        id("logfile"),
        "/wasmtest.wasm",
        "echo",
        "to the log",
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(readFileSync(log, "utf8"), "to the log\n");
    });

    it("--log-uri binary:// hands stdout and stderr to the logging binary", async () => {
      const dir = mkdtempSync(path.join(c.dir, "logger-"));
      const logger = path.join(dir, "logger.sh");
      // The runc shim's contract: stdout on fd 3, stderr on fd 4, a byte on fd 5 when ready.
      writeFileSync(logger, `#!/bin/sh\necho ready >&5\nexec 5>&-\ncat <&3 > "$1/out.txt"\n`, {
        mode: 0o755,
      });
      const r = await run([
        "--log-uri",
        `binary://${logger}?${encodeURIComponent(dir)}=`,
        demoImage,
        id("logbin"),
        "/wasmtest.wasm",
        "echo",
        "via binary",
      ]);
      assert.equal(r.code, 0, r.stderr);
      for (
        let i = 0;
        i < 100 && !readFileSync(path.join(dir, "out.txt"), { flag: "a+" }).length;
        i++
      ) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(readFileSync(path.join(dir, "out.txt"), "utf8"), "via binary\n");
    });

    it("refuses a terminal with a clear error", async () => {
      // ctr -t needs a terminal of its own: script(1) gives it one.
      const ctr = `/usr/bin/ctr -a ${c.address} -n ${c.namespace} run --rm -t --runtime ${runtime} ${demoImage} ${id("tty")}`;
      const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const p = spawn("script", ["-qec", ctr, "/dev/null"], { env: { PATH: "/usr/bin:/bin" } });
        let out = "";
        p.stdout.on("data", (d: Buffer) => (out += d.toString()));
        p.on("close", (code) => resolve({ code, out }));
      });
      assert.notEqual(r.code, 0);
      assert.match(r.out, /a terminal \(ctr run -t, tty: true\) is not supported/);
    });

    it("delivers everything a module writes before its exit is reported", async () => {
      const input =
        Array.from({ length: 40_000 }, (_, i) => `line ${i} of the flush test`).join("\n") + "\n";
      const r = await run([demoImage, id("flush"), "/wasmtest.wasm", "stdin"], { input });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.length, input.length);
      assert.equal(r.stdout, input);
    });
  });

  describe("memory", () => {
    const limit = ["--memory-limit", String(32 * 2 ** 20)];

    it("lets a module allocate within its memory limit", async () => {
      const r = await run([...limit, demoImage, id("within"), "/wasmtest.wasm", "alloc", "8"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "allocated 8 MiB\n");
    });

    it("stops a module that grows past its limit with 137 and publishes /tasks/oom", async () => {
      const events = c.spawnCtr(["events"]);
      let seen = "";
      events.stdout!.on("data", (d: Buffer) => (seen += d.toString()));
      try {
        await new Promise((r) => setTimeout(r, 150));
        const cid = id("oom");
        const r = await run([...limit, demoImage, cid, "/wasmtest.wasm", "alloc", "64"]);
        assert.equal(r.code, 137);
        assert.match(r.stderr, /out of memory: .* limit of 32\.0 MiB/);
        for (let i = 0; i < 200 && !seen.includes(`/tasks/delete {"container_id":"${cid}"`); i++) {
          await new Promise((r) => setTimeout(r, 20));
        }
        const topics = seen
          .split("\n")
          .filter((l) => l.includes(`"${cid}"`) && l.includes(" /tasks/"))
          .map((l) => /\/tasks\/[a-z]+/.exec(l)?.[0]);
        assert.deepEqual(topics, [
          "/tasks/create",
          "/tasks/start",
          "/tasks/oom",
          "/tasks/exit",
          "/tasks/delete",
        ]);
      } finally {
        events.kill();
      }
    });

    it("refuses a module that needs more than its limit at start, at create", async () => {
      const tiny = ["--memory-limit", String(64 * 1024)];
      const r = await run([...tiny, demoImage, id("tiny"), "/wasmtest.wasm"]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /needs .* MiB of memory at start, more than the container's limit/);
    });

    it("reports memory and CPU for ctr task metrics", async () => {
      type Metrics = {
        memory: { usage: { usage: number; limit: number } };
        cpu: { usage: { total?: number } };
      };
      const metricsOf = async (cid: string) => {
        const m = await c.ctr(["task", "metrics", "--format", "json", cid]);
        assert.equal(m.code, 0, m.stderr);
        return { metrics: JSON.parse(m.stdout) as Metrics, text: m.stdout };
      };
      // A spinning module: its thread's CPU time must show.
      const cid = id("metrics");
      await detached(cid, ["loop"], limit);
      await new Promise((r) => setTimeout(r, 1200));
      const { metrics, text } = await metricsOf(cid);
      assert.ok(metrics.memory.usage.usage > 0, text);
      assert.equal(metrics.memory.usage.limit, 32 * 2 ** 20);
      assert.ok(
        (metrics.cpu.usage.total ?? 0) > 100e6,
        `a second of spinning shows as CPU: ${text}`,
      );
      assert.equal((await killAndWait(cid, "SIGKILL")).status, 137);
      await remove(cid);
    });
  });

  describe("the OCI spec", () => {
    it("shows bind mounts at their destination, and honours ro", async () => {
      const host = mkdtempSync(path.join(c.dir, "bind-"));
      writeFileSync(path.join(host, "from-host.txt"), "host file\n");
      const mount = (opts: string) => [
        "--mount",
        `type=bind,src=${host},dst=/mnt/host,options=${opts}`,
      ];
      const cat = await run([
        ...mount("rbind:rw"),
        demoImage,
        id("bindcat"),
        "/wasmtest.wasm",
        "cat",
        "/mnt/host/from-host.txt",
      ]);
      assert.equal(cat.stdout, "host file\n");
      const write = await run([
        ...mount("rbind:rw"),
        demoImage,
        id("bindw"),
        "/wasmtest.wasm",
        "write",
        "/mnt/host/new.txt",
        "written",
      ]);
      assert.equal(write.code, 0, write.stderr);
      assert.equal(readFileSync(path.join(host, "new.txt"), "utf8"), "written");
      const ro = await run([
        ...mount("rbind:ro"),
        demoImage,
        id("bindro"),
        "/wasmtest.wasm",
        "write",
        "/mnt/host/ro.txt",
        "x",
      ]);
      assert.notEqual(ro.code, 0);
      assert.match(ro.stderr, /read-only|not permitted|not capable/i);
    });

    it("honours a read-only root filesystem", async () => {
      const r = await run([
        "--read-only",
        demoImage,
        id("roroot"),
        "/wasmtest.wasm",
        "write",
        "/data/x.txt",
        "x",
      ]);
      assert.notEqual(r.code, 0);
      const ok = await run([
        demoImage,
        id("rwroot"),
        "/wasmtest.wasm",
        "write",
        "/data/x.txt",
        "x",
      ]);
      assert.equal(ok.code, 0, ok.stderr);
    });

    it("lists the task's process for ctr task ps", async () => {
      const cid = id("ps");
      await detached(cid, ["sleep", "1000"]);
      const ps = await c.ctr(["task", "ps", cid]);
      assert.match(ps.stdout, /^\s*[1-9]\d*\s/m);
      assert.equal((await killAndWait(cid, "SIGKILL")).status, 137);
      await remove(cid);
    });
  });
});
