import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { example } from "./example.js";
import { tempDir } from "./testing.js";

const here = import.meta.dirname;

/** The lines between two marker lines, without the common indentation. */
function between(text: string, begin: RegExp, end: RegExp): string {
  const lines = text.split("\n");
  const from = lines.findIndex((line) => begin.test(line));
  const to = lines.findIndex((line, i) => i > from && end.test(line));
  assert.ok(from >= 0 && to > from, `markers ${begin} … ${end} not found`);
  const body = lines.slice(from + 1, to);
  const indent = Math.min(
    ...body.filter((line) => line.trim()).map((line) => line.length - line.trimStart().length),
  );
  return body.map((line) => line.slice(indent)).join("\n");
}

describe("README example", () => {
  it("is example.ts verbatim", async () => {
    const readme = await readFile(path.join(here, "README.md"), "utf8");
    const source = await readFile(path.join(here, "example.ts"), "utf8");
    const shown = between(readme, /^<!-- example:begin/, /^<!-- example:end/);
    assert.equal(shown, ["```ts", between(source, /README:begin/, /README:end/), "```"].join("\n"));
  });

  it("runs and gets its greeting", async (t) => {
    const socketPath = path.join(await tempDir(t), "example.sock");
    assert.equal(await example(socketPath), "hello ttrpc from me");
  });
});
