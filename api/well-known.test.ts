import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Any,
  CreateTaskResponse,
  DeleteResponse,
  GO_ZERO_TIME_MS,
  Metrics,
  RuntimeOptions,
  StateResponse,
  Status,
  TaskDefinition,
  TaskExit,
  TaskOOM,
  isUnsetTime,
  packAny,
  unpackAny,
} from "./index.js";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("generated messages on the wire", () => {
  it("encode the bytes containerd sends and expects (shim-protocol.md §2)", () => {
    assert.equal(hex(CreateTaskResponse.encode({ pid: 4242 }).finish()), "089221");
    // The runtime options Any containerd wrote on a shim's start stdin, byte for byte.
    const options = packAny(RuntimeOptions, { configPath: "/etc/foo.toml" });
    const wire = Any.encode(options).finish();
    assert.equal(wire.length, 44);
    assert.equal(
      Buffer.from(wire).toString("latin1"),
      "\x0a\x19runtimeoptions.v1.Options\x12\x0f\x12\x0d/etc/foo.toml",
    );
  });

  it("omit an unset timestamp and carry Go's zero time when given", () => {
    assert.equal(
      hex(DeleteResponse.encode(DeleteResponse.fromPartial({ exitStatus: 137 })).finish()),
      "10" + "89" + "01",
    );
    const zero = DeleteResponse.decode(
      DeleteResponse.encode(
        DeleteResponse.fromPartial({ exitedAt: new Date(GO_ZERO_TIME_MS) }),
      ).finish(),
    );
    assert.equal(zero.exitedAt?.toISOString(), "0001-01-01T00:00:00.000Z");
    assert.ok(isUnsetTime(zero.exitedAt));
    assert.ok(isUnsetTime(undefined));
    assert.equal(isUnsetTime(new Date(0)), false);
  });

  it("keep the task status numbers of containerd.v1.types.Status", () => {
    assert.deepEqual(
      [
        Status.UNKNOWN,
        Status.CREATED,
        Status.RUNNING,
        Status.STOPPED,
        Status.PAUSED,
        Status.PAUSING,
      ],
      [0, 1, 2, 3, 4, 5],
    );
    const state = StateResponse.decode(
      StateResponse.encode(StateResponse.fromPartial({ status: Status.STOPPED })).finish(),
    );
    assert.equal(state.status, Status.STOPPED);
  });

  it("describe the task service as containerd.task.v2.Task with its 17 methods", () => {
    assert.equal(TaskDefinition.fullName, "containerd.task.v2.Task");
    assert.deepEqual(
      Object.values(TaskDefinition.methods).map((m) => m.name),
      [
        "State",
        "Create",
        "Start",
        "Delete",
        "Pids",
        "Pause",
        "Resume",
        "Checkpoint",
        "Kill",
        "Exec",
        "ResizePty",
        "CloseIO",
        "Update",
        "Wait",
        "Stats",
        "Connect",
        "Shutdown",
      ],
    );
  });
});

describe("Any helpers", () => {
  it("pack with the bare type URL and unpack bare or prefixed URLs of the same type", () => {
    const any = packAny(TaskExit, { containerId: "c1", exitStatus: 7 });
    assert.equal(any.typeUrl, "containerd.events.TaskExit");
    assert.equal(unpackAny(TaskExit, any)?.exitStatus, 7);
    const prefixed = { ...any, typeUrl: "type.googleapis.com/containerd.events.TaskExit" };
    assert.equal(unpackAny(TaskExit, prefixed)?.containerId, "c1");
    assert.equal(unpackAny(TaskOOM, any), undefined);
    assert.equal(unpackAny(TaskOOM, undefined), undefined);
  });

  it("name the cgroup v1 metrics as consumers expect", () => {
    const any = packAny(Metrics, {
      memory: { usage: { usage: 1024, limit: 4096 } },
      cpu: { usage: { total: 5 } },
    });
    assert.equal(any.typeUrl, "io.containerd.cgroups.v1.Metrics");
    assert.equal(unpackAny(Metrics, any)?.memory?.usage?.limit, 4096);
  });
});
