// Runs a program to completion and times it: the building block of every row that measures a
// process (load time, compute, the WASI and ttrpc children).
import { spawn } from "node:child_process";
import { msSince } from "./stats.js";

/** How a child ended and what it printed. */
export interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** From spawn to exit, in ms. */
  readonly wallMs: number;
}

/**
 * A clean environment for children: PATH only. Above all no NODE_EXTRA_CA_CERTS, which makes
 * every Node start ~3x slower (architecture.md, decision 2).
 */
export const CLEAN_ENV: NodeJS.ProcessEnv = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" };

/** Runs `file args` with a clean environment; SIGKILLs it after `timeoutMs`. */
export function runChild(
  file: string,
  args: readonly string[],
  timeoutMs = 300_000,
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(file, args, { env: CLEAN_ENV, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (err) => (clearTimeout(timer), reject(err)));
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, wallMs: msSince(start) });
    });
  });
}

/** Runs a bundled runner in a fresh `node --no-warnings` (node:wasi warns on stderr at load). */
export function runNode(script: string, args: readonly string[]): Promise<ChildResult> {
  return runChild(process.execPath, ["--no-warnings", script, ...args]);
}

/** Why a child failed, in one line: exit status or signal plus the end of its stderr. */
export function failureOf(r: ChildResult): string {
  const how = r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
  const tail = r.stderr.trim().split("\n").slice(-2).join(" / ");
  return tail ? `${how}: ${tail}` : how;
}
