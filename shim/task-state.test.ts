import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, TtrpcError } from "../ttrpc/index.js";
import { nextKind, type TaskEvent, type TaskStateKind } from "./task-state.js";

describe("task state machine", () => {
  it("allows exactly the moves of shim-protocol.md §4.3", () => {
    const legal: [TaskStateKind, TaskEvent, TaskStateKind][] = [
      ["created", "start", "starting"],
      ["created", "exit", "stopped"],
      ["created", "delete", "deleting"],
      ["starting", "started", "running"],
      ["starting", "exit", "stopped"],
      ["running", "exit", "stopped"],
      ["stopped", "delete", "deleting"],
      ["deleting", "rollback", "stopped"],
    ];
    const kinds: TaskStateKind[] = ["created", "starting", "running", "stopped", "deleting"];
    const events: TaskEvent[] = ["start", "started", "exit", "delete", "rollback"];
    for (const from of kinds) {
      for (const event of events) {
        const expected = legal.find(([f, e]) => f === from && e === event)?.[2];
        if (expected) assert.equal(nextKind(from, event), expected);
        else
          assert.throws(
            () => nextKind(from, event),
            (err: unknown) => err instanceof TtrpcError && err.code === Code.FailedPrecondition,
            `${from} --${event}--> must be refused`,
          );
      }
    }
  });
});
