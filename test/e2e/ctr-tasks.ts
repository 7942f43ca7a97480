// What several end-to-end tests do with the demo's tasks through `ctr`: start one detached, read
// its status from `ctr task ls`, wait for a status.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import type { Containerd } from "../harness/containerd.js";
import { demoImage } from "./fixtures.js";

/** Options of {@link runDetached}. */
export interface DetachedOptions {
  /** `ctr run` flags before the image (e.g. `--null-io`, `--memory-limit`). */
  readonly flags?: readonly string[];
  /** More to print when ctr fails, e.g. the shared daemon's log. */
  readonly context?: () => string;
}

/** `ctr run -d` of the demo as `cid` under `runtime`, running `/wasmtest.wasm …args`. */
export async function runDetached(
  c: Containerd,
  runtime: string,
  cid: string,
  args: readonly string[],
  options: DetachedOptions = {},
): Promise<void> {
  const flags = options.flags ?? [];
  const r = await c.ctr([
    "run",
    "-d",
    "--runtime",
    runtime,
    ...flags,
    demoImage,
    cid,
    "/wasmtest.wasm",
    ...args,
  ]);
  assert.equal(r.code, 0, `${cid}: ${r.stderr}${options.context ? `\n${options.context()}` : ""}`);
}

/** The task's status in `ctr task ls` (RUNNING, STOPPED, …), or undefined when it has none. */
export async function taskStatus(c: Containerd, cid: string): Promise<string | undefined> {
  const ls = await c.ctr(["task", "ls"]);
  return new RegExp(`^${cid}\\s+\\d+\\s+(\\w+)`, "m").exec(ls.stdout)?.[1];
}

/** Polls `ctr task ls` until the task has status `want` (undefined: no task); fails after 10 s. */
export async function waitForStatus(
  c: Containerd,
  cid: string,
  want: string | undefined,
): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if ((await taskStatus(c, cid)) === want) return;
    await sleep(20);
  }
  assert.fail(`${cid} never became ${want ?? "absent"}; it is ${await taskStatus(c, cid)}`);
}
