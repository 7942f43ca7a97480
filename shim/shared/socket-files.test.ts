import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { Code } from "../../ttrpc/index.js";
import { isServing } from "../socket-probe.js";
import { bindSocket, removeStaleSocket } from "./socket-files.js";
import { SocketRecords } from "./socket-records.js";

function tempDir(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(path.join(tmpdir(), "socket-files-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A socket file nobody serves: bound, then the listener's fd dropped without unlinking. */
async function staleSocket(file: string): Promise<void> {
  const bound = await bindSocket(file);
  await new Promise<void>((resolve) => bound.listener.close(() => resolve()));
}

describe("sandbox socket files", () => {
  it("binds 0600 in a 0700 directory, and unlinks only the file it bound", async (t) => {
    const file = path.join(tempDir(t), "s", "sock");
    const first = await bindSocket(file);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
    assert.equal(await isServing(file), true);
    // A closing listener must not take the path with it: a successor may have bound it since.
    await new Promise<void>((resolve) => first.listener.close(() => resolve()));
    assert.equal(existsSync(file), true);
    const second = await bindSocket(file);
    first.unlink();
    assert.equal(existsSync(file), true, "the first owner's unlink leaves the second's file");
    second.unlink();
    assert.equal(existsSync(file), false);
    second.listener.close();
  });

  it("replaces a stale socket and refuses a live one", async (t) => {
    const file = path.join(tempDir(t), "sock");
    await staleSocket(file);
    assert.equal(await isServing(file), false);
    const bound = await bindSocket(file);
    t.after(() => bound.listener.close());
    await assert.rejects(bindSocket(file), { code: Code.FailedPrecondition });
    assert.equal(await removeStaleSocket(file), false, "a live socket stays");
  });

  it("records sockets, and a sweep removes the stale ones and every record", async (t) => {
    const dir = tempDir(t);
    const records = new SocketRecords(path.join(dir, "records"));
    const stale = path.join(dir, "stale.sock");
    const live = path.join(dir, "live.sock");
    await staleSocket(stale);
    const server = net.createServer().listen(live);
    t.after(() => server.close());
    await new Promise((r) => server.once("listening", r));
    records.add(stale);
    records.add(live);
    records.add(path.join(dir, "gone.sock"));
    assert.deepEqual(await records.sweep(), [stale]);
    assert.equal(existsSync(stale), false);
    assert.equal(existsSync(live), true);
    assert.deepEqual(await records.sweep(), [], "no record is left");
  });
});
