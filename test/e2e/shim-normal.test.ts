// Issue 3 acceptance, end to end through a private containerd 1.6.20: `ctr run` runs the demo
// image, and nothing is left behind. The same tests run for both modes (issue 6): normal mode
// (io.containerd.v8.v1, a shim process per container) and shared mode (io.containerd.v8d.v1, a
// thin shim asking a private containerd-v8d daemon).
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { startContainerd, type Containerd, type ContainerdOptions } from "../harness/containerd.js";
import {
  binDir,
  buildFixturesImage,
  demoImage,
  demoImageTar,
  fixturesImage,
  requireBuilt,
} from "./fixtures.js";
import { bundles, fifosOf, mountsUnder, shimProcesses, shimSockets } from "./leaks.js";
import { startV8d } from "./v8d.js";

/** What a mode needs around containerd: its options (shims on PATH, environment), and checks. */
interface ModeSetup {
  readonly containerd: ContainerdOptions;
  /** Mode-specific leak checks (throws when something is left). */
  assertNothingLeft(): void;
  stop(): Promise<void>;
}

interface Mode {
  readonly title: string;
  readonly runtime: string;
  setUp(): Promise<ModeSetup>;
}

const modes: readonly Mode[] = [
  {
    title: "containerd-shim-v8-v1 through containerd",
    runtime: "io.containerd.v8.v1",
    setUp: async () => ({
      containerd: { binDir },
      assertNothingLeft: () => {},
      stop: async () => {},
    }),
  },
  {
    title: "containerd-shim-v8d-v1 and the containerd-v8d daemon through containerd",
    runtime: "io.containerd.v8d.v1",
    setUp: async () => {
      for (const program of ["containerd-v8d", "containerd-shim-v8d-v1"]) {
        const file = path.join(binDir, program);
        if (!existsSync(file)) throw new Error(`${file} is missing: run \`make build\` first`);
      }
      const v8d = await startV8d();
      return {
        containerd: v8d.containerdOptions,
        assertNothingLeft: () =>
          assert.deepEqual(v8d.sandboxes(), [], "the daemon may hold no sandbox"),
        stop: () => v8d.stop(),
      };
    },
  },
];

for (const mode of modes) describeMode(mode);

function describeMode({ title, runtime, setUp }: Mode): void {
  describe(title, () => {
    let c: Containerd;
    let mode: ModeSetup | undefined;
    const ids: string[] = [];
    let n = 0;
    /** A fresh container id, remembered for the leak check. */
    const id = (what: string) => {
      const v = `${what}-${++n}`;
      ids.push(v);
      return v;
    };
    const run = (args: string[], options: { input?: string } = {}) =>
      c.ctr(["run", "--rm", "--runtime", runtime, ...args], options);

    before(async () => {
      requireBuilt();
      mode = await setUp();
      c = await startContainerd(mode.containerd);
      const demo = await c.ctr(["image", "import", demoImageTar]);
      assert.equal(demo.code, 0, demo.stderr);
      const fixtures = await c.ctr(["image", "import", await buildFixturesImage()]);
      assert.equal(fixtures.code, 0, fixtures.stderr);
    });

    after(async () => {
      try {
        await assertNothingLeft();
      } finally {
        await mode?.stop();
        await c?.stop();
      }
    });

    /**
     * containerd does not wait for a shim to exit after Shutdown (nor does runc's shim exit
     * synchronously), so a shim gets a few seconds to go before what it left counts as leaked.
     */
    async function assertNothingLeft() {
      const deadline = Date.now() + 5_000;
      for (;;) {
        try {
          return assertNothingLeftNow();
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 25));
        }
      }
    }

    function assertNothingLeftNow() {
      assert.deepEqual(shimProcesses(c.address), [], "no shim process may outlive its containers");
      assert.deepEqual(shimSockets(c.address, c.namespace, ids), [], "no shim socket may be left");
      assert.deepEqual(mountsUnder(c.dir), [], "no rootfs may stay mounted");
      assert.deepEqual(
        bundles(path.join(c.dir, "state"), c.namespace),
        [],
        "no bundle may be left",
      );
      assert.deepEqual(fifosOf(ids), [], "no FIFO may be left");
      mode?.assertNothingLeft();
    }

    it("prints exactly 'Hello from wasm!' and exits 0", async () => {
      const r = await run([demoImage, id("hello")]);
      assert.equal(r.stderr, "");
      assert.equal(r.stdout, "Hello from wasm!\n");
      assert.equal(r.code, 0);
      await assertNothingLeft();
    });

    it("passes the module's exit code through as ctr's", async () => {
      const r = await run([demoImage, id("exit"), "/wasmtest.wasm", "exit", "42"]);
      assert.equal(r.code, 42);
    });

    it("passes arguments to the module", async () => {
      const r = await run([demoImage, id("echo"), "/wasmtest.wasm", "echo", "a", "b", "c"]);
      assert.equal(r.stdout, "a b c\n");
      assert.equal(r.code, 0);
    });

    it("gives the module the image's and --env variables", async () => {
      const r = await run([
        "--env",
        "GREETING=hi there",
        demoImage,
        id("env"),
        "/wasmtest.wasm",
        "env",
      ]);
      const vars = r.stdout.trim().split("\n");
      assert.ok(vars.includes("GREETING=hi there"), r.stdout);
      assert.ok(
        vars.some((v) => v.startsWith("PATH=")),
        r.stdout,
      );
    });

    it("copies what is piped into ctr run to the module's stdin", async () => {
      const input = "line one\nline two\n" + "x".repeat(100_000) + "\n";
      const r = await run([demoImage, id("stdin"), "/wasmtest.wasm", "stdin"], { input });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, input);
    });

    it("reads a file of the image", async () => {
      const r = await run([demoImage, id("cat"), "/wasmtest.wasm", "cat", "/hello.txt"]);
      assert.equal(r.stdout, "hello from the image\n");
    });

    it("cannot write outside the container's root filesystem", async () => {
      const canary = path.join(c.dir, "canary.txt");
      writeFileSync(canary, "untouched\n");
      for (const target of [`/../../../../../..${canary}`, canary, "../../canary.txt"]) {
        const r = await run([demoImage, id("escape"), "/wasmtest.wasm", "write", target, "pwned"]);
        assert.notEqual(r.code, 0, `write ${target} must fail`);
      }
      assert.equal(readFileSync(canary, "utf8"), "untouched\n");
    });

    it("calls a named export with module.wasm#export, and runs WAT text", async () => {
      const r1 = await run([fixturesImage, id("export"), "/custom-export.wasm#hello"]);
      assert.equal(r1.stdout, "Hello from export!\n");
      const r2 = await run([fixturesImage, id("wat"), "/custom-export.wat#hello"]);
      assert.equal(r2.stdout, "Hello from export!\n");
    });

    it("runs detached, shows RUNNING with a pid, and ends on SIGTERM with 143 and SIGKILL with 137", async () => {
      const events = c.spawnCtr(["events"]);
      let seen = "";
      events.stdout!.on("data", (d: Buffer) => (seen += d.toString()));
      try {
        for (const [signal, status] of [
          ["SIGTERM", 143],
          ["SIGKILL", 137],
        ] as const) {
          const cid = id("daemon");
          const started = await c.ctr([
            "run",
            "-d",
            "--runtime",
            runtime,
            demoImage,
            cid,
            "/wasmtest.wasm",
            "daemon",
          ]);
          assert.equal(started.code, 0, started.stderr);
          const ls = await c.ctr(["task", "ls"]);
          const row = ls.stdout.split("\n").find((l) => l.startsWith(cid + " "));
          assert.match(row ?? "", /\s[1-9]\d*\s+RUNNING/, ls.stdout);
          const killed = await c.ctr(["task", "kill", "-s", signal, cid]);
          assert.equal(killed.code, 0, killed.stderr);
          await waitFor(
            () => new RegExp(`/tasks/exit[^\\n]*"${cid}"[^\\n]*"exit_status":${status}`).test(seen),
            `exit ${status} of ${cid}`,
          );
          assert.equal((await c.ctr(["task", "rm", cid])).code, 0);
          assert.equal((await c.ctr(["container", "rm", cid])).code, 0);
        }
      } finally {
        events.kill();
      }
    });

    it("publishes create, start, exit and delete events with the exit status", async () => {
      const events = c.spawnCtr(["events"]);
      let seen = "";
      events.stdout!.on("data", (d: Buffer) => (seen += d.toString()));
      try {
        await new Promise((r) => setTimeout(r, 200));
        const cid = id("events");
        const r = await run([demoImage, cid, "/wasmtest.wasm", "exit", "7"]);
        assert.equal(r.code, 7);
        await waitFor(() => seen.includes("/tasks/delete"), "the delete event");
        const mine = seen
          .split("\n")
          .filter((l) => l.includes(" /tasks/") && l.includes(`"${cid}"`));
        const topics = mine.map((l) => /\/tasks\/[a-z-]+/.exec(l)?.[0]);
        assert.deepEqual(
          topics,
          ["/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"],
          seen,
        );
        assert.match(mine[2]!, /"exit_status":7/);
      } finally {
        events.kill();
      }
    });

    describe("bad input gets a clear error and leaks nothing", () => {
      const failsWith = async (args: string[], pattern: RegExp) => {
        const r = await run(args);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, pattern);
        await assertNothingLeft();
      };
      it("an entrypoint that does not exist", () =>
        failsWith([demoImage, id("noent"), "/nope.wasm"], /module \/nope\.wasm does not exist/));
      it("a file that is not wasm", () =>
        failsWith([fixturesImage, id("notwasm"), "/not-wasm.txt"], /not a WebAssembly module/));
      it("a module without _start", () =>
        failsWith(
          [fixturesImage, id("nostart"), "/no-start.wasm"],
          /has no exported function _start/,
        ));
      it("a module path that escapes the root through a symlink", () =>
        failsWith([fixturesImage, id("symlink"), "/escape.wasm"], /outside the container's root/));
      it("a config.json without process.args", () =>
        failsWith([fixturesImage, id("noargs")], /no process\.args/));
      it("a module that traps: non-zero exit, the trap on stderr", async () => {
        const r = await run([fixturesImage, id("trap"), "/trap.wasm"]);
        assert.equal(r.code, 134);
        assert.match(r.stderr, /wasm trap: unreachable/);
        await assertNothingLeft();
      });
    });
  });
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
