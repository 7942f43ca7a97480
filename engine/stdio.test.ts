import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { openStdio } from "./stdio.js";

const dir = mkdtempSync(path.join(tmpdir(), "runwasi-stdio-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const container = { id: "c", namespace: "ns" };

function fifo(name: string): string {
  const p = path.join(dir, name);
  execFileSync("mkfifo", [p]);
  return p;
}

/** Reads what is in a non-blocking FIFO now, "" if nothing (or EOF). */
function drain(fd: number): string {
  const buf = Buffer.alloc(4096);
  try {
    const n = readSync(fd, buf, 0, buf.length, null);
    return buf.subarray(0, n).toString();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EAGAIN") return "";
    throw err;
  }
}

describe("a container's stdio FIFOs", () => {
  it("keeps what a quick module wrote for a client whose reader opens late", async () => {
    // containerd's client opens its reader in a goroutine: it may come after the module ended.
    const stdout = fifo("late-stdout");
    let reader: number | undefined;
    const opening = sleep(50).then(() => {
      reader = openSync(stdout, constants.O_RDONLY | constants.O_NONBLOCK);
    });
    const stdio = await openStdio({ stdin: "", stdout, stderr: "" }, container);
    writeSync(stdio.stdout!, "hello\n");
    stdio.close();
    await opening;
    assert.equal(drain(reader!), "hello\n");
    closeSync(reader!);
  });

  it("does not wait when the client's reader is there", async () => {
    const stdout = fifo("ready-stdout");
    const reader = openSync(stdout, constants.O_RDONLY | constants.O_NONBLOCK);
    const stdio = await openStdio({ stdin: "", stdout, stderr: "" }, container);
    writeSync(stdio.stdout!, "now\n");
    stdio.close();
    assert.equal(drain(reader), "now\n");
    closeSync(reader);
  });

  it("holds a reader itself when none comes, so writes still succeed", async () => {
    const stdout = fifo("orphan-stdout");
    const stdio = await openStdio({ stdin: "", stdout, stderr: "" }, container);
    assert.equal(writeSync(stdio.stdout!, "into the pipe\n"), 14);
    stdio.close();
  });
});
