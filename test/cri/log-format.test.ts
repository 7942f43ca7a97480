// The CRI log format reader the pod tests rely on: it must accept what containerd writes and
// reject anything else, or a broken log would pass as empty.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCriLog } from "./pod.js";

describe("parseCriLog", () => {
  it("reads full and partial stdout and stderr lines with RFC3339Nano times", () => {
    const content =
      "2026-11-25T00:57:01.123456789Z stdout F hello from one\n" +
      "2026-11-25T00:57:01.2+01:00 stderr P part \n" +
      "2026-11-25T00:57:01Z stdout F \n";
    assert.deepEqual(parseCriLog(content), [
      {
        time: "2026-11-25T00:57:01.123456789Z",
        stream: "stdout",
        tag: "F",
        text: "hello from one",
      },
      { time: "2026-11-25T00:57:01.2+01:00", stream: "stderr", tag: "P", text: "part " },
      { time: "2026-11-25T00:57:01Z", stream: "stdout", tag: "F", text: "" },
    ]);
  });

  it("rejects raw output, an unknown stream or tag, and a time that is not RFC3339", () => {
    for (const line of [
      "hello from one",
      "2026-11-25T00:57:01Z stdin F x",
      "2026-11-25T00:57:01Z stdout X x",
      "2026-11-25 00:57:01 stdout F x",
      "2026-13-45T00:57:01Z stdout F x",
    ]) {
      assert.throws(() => parseCriLog(`${line}\n`), /not a CRI log line/, line);
    }
  });
});
