// Issue 7 acceptance, end to end through containerd 1.6.20's CRI plugin: what kubelet asks of a
// RuntimeClass whose handler is ours. The same test bodies run for every handler in `handlers`
// (normal mode `v8`; shared mode `v8d` once it is built); where the modes are meant to differ
// (a shim process per pod, or one daemon per node) the test says so.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it, type TestContext } from "node:test";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { requireBuilt } from "../e2e/fixtures.js";
import { isServiceError } from "./client.js";
import { ContainerState, PodSandboxState } from "./gen/runtime/v1/api.js";
import { mountsUnder, shimProcesses, shimSockets } from "../e2e/leaks.js";
import { assertNothingLeft, fifosUnder } from "./leftovers.js";
import { CRI_NAMESPACE, handlers, startCriNode, type CriNode } from "./node.js";
import {
  createContainer,
  readCriLog,
  removePod,
  runPod,
  startContainer,
  waitForState,
  type Pod,
} from "./pod.js";

const { CONTAINER_EXITED, CONTAINER_RUNNING } = ContainerState;

for (const handler of handlers) {
  describe(
    `CRI pods on handler ${handler.name} (${handler.runtimeType})`,
    {
      skip: handler.unavailable,
    },
    () => {
      let node: CriNode;
      const podIds: string[] = [];
      /**
       * A pod for one test, removed after it, so that each test starts on an empty node (and a
       * leak is pinned on the test that made it).
       */
      const pod = async (t: TestContext, name: string): Promise<Pod> => {
        const p = await runPod(node, handler, name);
        podIds.push(p.id);
        t.after(() => removePod(node.cri, p));
        return p;
      };

      before(async () => {
        requireBuilt();
        node = await startCriNode(handler);
      });

      after(async () => {
        if (!node) return;
        try {
          await assertNothingLeft(node, podIds);
        } finally {
          await node.stop();
        }
      });

      it("answers Version as containerd's CRI runtime v1", async () => {
        const v = await node.cri.version();
        assert.equal(v.runtimeName, "containerd");
        assert.equal(v.runtimeApiVersion, "v1");
      });

      it("runs a pod with two wasm containers and writes each one's stdout to its CRI log file", async (t) => {
        const p = await pod(t, "two");
        const sandbox = await node.cri.podSandboxStatus(p.id, true);
        assert.equal(sandbox.status?.state, PodSandboxState.SANDBOX_READY);
        assert.equal(sandbox.status?.runtimeHandler, handler.name);
        // The sandbox's pid is where containerd finds the pod's network namespace.
        const { pid } = JSON.parse(sandbox.info["info"] ?? "{}") as { pid?: number };
        assert.ok(pid && existsSync(`/proc/${pid}/ns/net`), `sandbox pid ${pid} has a netns`);

        const one = await startContainer(node.cri, p, "one", ["echo", "hello", "from", "one"]);
        const two = await startContainer(node.cri, p, "two", []);
        for (const c of [one, two]) {
          const status = await waitForState(node.cri, c.id, CONTAINER_EXITED);
          assert.equal(status.exitCode, 0);
          assert.equal(status.reason, "Completed");
          assert.equal(status.logPath, c.logFile);
        }
        const logOne = await readCriLog(one.logFile, 1);
        assert.deepEqual(
          logOne.map((l) => [l.stream, l.tag, l.text]),
          [["stdout", "F", "hello from one"]],
        );
        const logTwo = await readCriLog(two.logFile, 1);
        assert.deepEqual(
          logTwo.map((l) => [l.stream, l.tag, l.text]),
          [["stdout", "F", "Hello from wasm!"]],
        );
        if (handler.mode === "normal") {
          // One shim for the whole pod, and the sandbox's pid is that shim's own.
          assert.deepEqual(node.containerd.shimPids(), [pid]);
        }
      });

      it("reports exit codes with the reasons Completed and Error, and stderr as stderr lines", async (t) => {
        const p = await pod(t, "exits");
        const ok = await startContainer(node.cri, p, "ok", ["exit", "0"]);
        const failed = await startContainer(node.cri, p, "failed", ["exit", "3"]);
        const stderr = await startContainer(node.cri, p, "stderr", ["stderr", "to stderr"]);
        const okStatus = await waitForState(node.cri, ok.id, CONTAINER_EXITED);
        assert.deepEqual([okStatus.exitCode, okStatus.reason], [0, "Completed"]);
        const failedStatus = await waitForState(node.cri, failed.id, CONTAINER_EXITED);
        assert.deepEqual([failedStatus.exitCode, failedStatus.reason], [3, "Error"]);
        // Not finished >= started: containerd stamps startedAt only once Start has returned, and
        // a module this short may have exited by then (the shim's exit time is the real one).
        const { createdAt, startedAt, finishedAt } = failedStatus;
        assert.ok(
          0n < createdAt && createdAt <= startedAt && createdAt < finishedAt,
          `created ${createdAt}, started ${startedAt}, finished ${finishedAt}`,
        );
        await waitForState(node.cri, stderr.id, CONTAINER_EXITED);
        const log = await readCriLog(stderr.logFile, 1);
        assert.deepEqual(
          log.map((l) => [l.stream, l.tag, l.text]),
          [["stderr", "F", "to stderr"]],
        );
      });

      it("restarts a container: remove it, then create it again in the same pod", async (t) => {
        const p = await pod(t, "restart");
        const first = await startContainer(node.cri, p, "app", ["echo", "first"]);
        await waitForState(node.cri, first.id, CONTAINER_EXITED);
        const shims = node.containerd.shimPids();
        await node.cri.removeContainer(first.id);
        await assert.rejects(node.cri.containerStatus(first.id), (err) => isServiceError(err));

        const second = await startContainer(node.cri, p, "app", ["echo", "second"], 1);
        const status = await waitForState(node.cri, second.id, CONTAINER_EXITED);
        assert.deepEqual([status.exitCode, status.reason], [0, "Completed"]);
        assert.equal(status.metadata?.attempt, 1);
        assert.deepEqual(
          (await readCriLog(second.logFile, 1)).map((l) => l.text),
          ["second"],
        );
        assert.deepEqual(
          (await readCriLog(first.logFile, 1)).map((l) => l.text),
          ["first"],
          "the first attempt's log stays",
        );
        const listed = await node.cri.listContainers({ filter: { podSandboxId: p.id } });
        assert.deepEqual(
          listed.containers.map((c) => c.id),
          [second.id],
        );
        if (handler.mode === "normal") {
          assert.deepEqual(
            node.containerd.shimPids(),
            shims,
            "the pod's shim served both attempts",
          );
        }
      });

      it("StopContainer stops a container that loops forever within the grace period plus 1 s", async (t) => {
        const p = await pod(t, "loop");
        const graceSeconds = 2;
        const loop = await startContainer(node.cri, p, "loop", ["loop"]);
        await waitForState(node.cri, loop.id, CONTAINER_RUNNING);
        const started = Date.now();
        await node.cri.stopContainer(loop.id, graceSeconds);
        const elapsedMs = Date.now() - started;
        const status = await waitForState(node.cri, loop.id, CONTAINER_EXITED, 0);
        assert.ok(elapsedMs < (graceSeconds + 1) * 1000, `stopped after ${elapsedMs} ms`);
        // A module cannot catch SIGTERM: it ends at once with 128+15.
        assert.deepEqual([status.exitCode, status.reason], [143, "Error"]);
      });

      it("StopContainer without a grace period kills at once with 137", async (t) => {
        const p = await pod(t, "kill");
        const loop = await startContainer(node.cri, p, "loop", ["loop"]);
        await waitForState(node.cri, loop.id, CONTAINER_RUNNING);
        const started = Date.now();
        await node.cri.stopContainer(loop.id, 0);
        const elapsedMs = Date.now() - started;
        const status = await waitForState(node.cri, loop.id, CONTAINER_EXITED, 0);
        assert.ok(elapsedMs < 1000, `stopped after ${elapsedMs} ms`);
        assert.deepEqual([status.exitCode, status.reason], [137, "Error"]);
      });

      it("answers ExecSync with an error that names the limitation", async (t) => {
        const p = await pod(t, "exec");
        const daemon = await startContainer(node.cri, p, "daemon", ["daemon"]);
        await waitForState(node.cri, daemon.id, CONTAINER_RUNNING);
        await assert.rejects(
          node.cri.execSync({
            containerId: daemon.id,
            cmd: ["/wasmtest.wasm", "echo"],
            timeout: 5n,
          }),
          (err) => {
            // containerd relays the shim's answer: "failed to exec in container: failed to
            // create exec …: method Exec: not implemented".
            assert.ok(isServiceError(err), String(err));
            assert.equal(err.code, GrpcStatus.UNIMPLEMENTED, err.details);
            assert.match(err.details, /exec.*not implemented/i);
            return true;
          },
        );
        const { status } = await node.cri.containerStatus(daemon.id);
        assert.equal(
          status?.state,
          CONTAINER_RUNNING,
          "a refused exec leaves the container running",
        );
      });

      it("keeps a running pod, its shim and its log across a containerd restart", async (t) => {
        // deploy/README.md tells operators to restart containerd after adding the handler.
        const p = await pod(t, "restart-containerd");
        const ticker = await startContainer(node.cri, p, "ticker", ["daemon"]);
        await waitForState(node.cri, ticker.id, CONTAINER_RUNNING);
        const before = await readCriLog(ticker.logFile, 1);
        const shims = node.containerd.shimPids();
        await node.restartContainerd();
        const sandbox = await node.cri.podSandboxStatus(p.id);
        assert.equal(sandbox.status?.state, PodSandboxState.SANDBOX_READY);
        const { status } = await node.cri.containerStatus(ticker.id);
        assert.equal(status?.state, CONTAINER_RUNNING);
        assert.deepEqual(node.containerd.shimPids(), shims, "the same shim serves the pod");
        // The module prints a line a second; the restarted containerd must see new ones.
        const afterRestart = await readCriLog(ticker.logFile, before.length + 2, 4_000);
        assert.ok(afterRestart.length >= before.length + 2, JSON.stringify(afterRestart));
        await node.cri.stopContainer(ticker.id, 1);
        const stopped = await waitForState(node.cri, ticker.id, CONTAINER_EXITED, 0);
        assert.deepEqual([stopped.exitCode, stopped.reason], [143, "Error"]);
      });

      it("removing the pod leaves no process, socket, mount or FIFO behind", async (t) => {
        const p = await pod(t, "remove");
        const running = await startContainer(node.cri, p, "running", ["daemon"]);
        const exited = await startContainer(node.cri, p, "exited", ["exit", "1"]);
        const created = await createContainer(node.cri, p, "created", []);
        await waitForState(node.cri, running.id, CONTAINER_RUNNING);
        await waitForState(node.cri, exited.id, CONTAINER_EXITED);
        // What removal must clean up is there to begin with, so the check below has teeth.
        const c = node.containerd;
        assert.notDeepEqual(fifosUnder(c.dir), [], "CRI's stdio FIFOs");
        assert.notDeepEqual(mountsUnder(c.dir), [], "the rootfs mounts");
        if (handler.mode === "normal") {
          assert.notDeepEqual(shimProcesses(c.address), [], "the pod's shim");
          assert.notDeepEqual(shimSockets(c.address, CRI_NAMESPACE, [p.id]), [], "its socket");
        }
        await node.cri.stopPodSandbox(p.id);
        const stopped = await node.cri.podSandboxStatus(p.id);
        assert.equal(stopped.status?.state, PodSandboxState.SANDBOX_NOTREADY);
        const status = await waitForState(node.cri, running.id, CONTAINER_EXITED, 0);
        assert.equal(status.reason, "Error");
        await node.cri.removePodSandbox(p.id);
        await assert.rejects(node.cri.podSandboxStatus(p.id), (err) => isServiceError(err));
        const left = await node.cri.listContainers({ filter: { podSandboxId: p.id } });
        assert.deepEqual(left.containers, []);
        assert.ok(created.id);
        await assertNothingLeft(node, [p.id]);
      });
    },
  );
}
