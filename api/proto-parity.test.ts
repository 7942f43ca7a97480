// Our .proto files must say exactly what containerd's do: same packages, messages, fields (name,
// type, number, repeated), enum values and service methods. Compared against the sources Debian
// ships (golang-github-containerd-containerd-dev, golang-github-containerd-cgroups-dev); skipped
// where those are not installed.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";

const upstream = "/usr/share/gocode/src/github.com/containerd";
const ours = path.join(import.meta.dirname, "proto");

const pairs: [ours: string, upstream: string][] = [
  ["containerd/task/v2/shim.proto", "containerd/runtime/v2/task/shim.proto"],
  ["containerd/types/mount.proto", "containerd/api/types/mount.proto"],
  ["containerd/types/task/task.proto", "containerd/api/types/task/task.proto"],
  ["containerd/events/task.proto", "containerd/api/events/task.proto"],
  [
    "containerd/services/events/ttrpc/v1/events.proto",
    "containerd/api/services/ttrpc/events/v1/events.proto",
  ],
  ["runtimeoptions/v1/api.proto", "containerd/pkg/runtimeoptions/v1/api.proto"],
  ["cgroups/stats/v1/metrics.proto", "cgroups/stats/v1/metrics.proto"],
];

/** The wire-relevant content of a .proto file as sorted, comparable lines. */
function shape(source: string): string[] {
  const text = source
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\/\/.*$/gm, "")
    .replace(/\[[^\]]*\]/g, ""); // field options (gogoproto) do not change the wire
  const lines = [`package ${/^\s*package\s+([\w.]+)\s*;/m.exec(text)?.[1]}`];
  for (const block of text.matchAll(/\b(message|enum|service)\s+(\w+)\s*\{([^{}]*)\}/g)) {
    const [, kind, name, body = ""] = block;
    const owner = `${kind} ${name}`;
    lines.push(owner);
    if (kind === "service") {
      for (const [, method, req, res] of body.matchAll(
        /rpc\s+(\w+)\s*\(\s*([\w.]+)\s*\)\s*returns\s*\(\s*([\w.]+)\s*\)/g,
      )) {
        lines.push(`${owner}: rpc ${method}(${req}) returns (${res})`);
      }
    } else if (kind === "enum") {
      for (const [, value, number] of body.matchAll(/(\w+)\s*=\s*(-?\d+)\s*;/g)) {
        lines.push(`${owner}: ${value} = ${number}`);
      }
    } else {
      for (const [, repeated, type, field, number] of body.matchAll(
        /(repeated\s+)?(map\s*<[^>]+>|[\w.]+)\s+(\w+)\s*=\s*(\d+)\s*;/g,
      )) {
        const kind = repeated ? "repeated " : "";
        lines.push(`${owner}: ${kind}${type!.replace(/\s+/g, "")} ${field} = ${number}`);
      }
    }
  }
  return lines.sort();
}

describe("api/proto matches containerd's own .proto files", () => {
  for (const [mine, theirs] of pairs) {
    it(`${mine} has the messages, fields and numbers of ${theirs}`, (t) => {
      const reference = path.join(upstream, theirs);
      if (!existsSync(reference)) return t.skip(`${reference} is not installed`);
      assert.deepEqual(
        shape(readFileSync(path.join(ours, mine), "utf8")),
        shape(readFileSync(reference, "utf8")),
      );
    });
  }

  it("finds fields at all (the parser is not vacuous)", () => {
    const lines = shape(readFileSync(path.join(ours, "containerd/task/v2/shim.proto"), "utf8"));
    assert.ok(lines.includes("message StateResponse: google.protobuf.Timestamp exited_at = 10"));
    assert.ok(lines.includes("message UpdateTaskRequest: map<string,string> annotations = 3"));
    assert.ok(
      lines.includes("service Task: rpc Shutdown(ShutdownRequest) returns (google.protobuf.Empty)"),
    );
    assert.equal(lines.filter((l) => l.startsWith("service Task: rpc")).length, 17);
  });
});
