import { closeSync, constants, mkdirSync, openSync } from "node:fs";
import path from "node:path";
import { Code, TtrpcError } from "../shim/index.js";

/** Host fds for a workload's stdio; undefined = none (reads see EOF, writes are discarded). */
export interface StdioFds {
  readonly stdin: number | undefined;
  readonly stdout: number | undefined;
  readonly stderr: number | undefined;
}

type Target =
  | { readonly kind: "none" }
  | { readonly kind: "fifo"; readonly path: string }
  | { readonly kind: "file"; readonly path: string };

/**
 * Reads a stdio string from CreateTaskRequest (shim-protocol.md §7.1): "" is none, a bare path or
 * `fifo://` is a FIFO the client made, `file://` a log file to append to. `binary://` loggers are
 * not supported yet and are refused here, at Create, with a clear error.
 */
export function parseStdio(uri: string, which: string): Target {
  if (uri === "") return { kind: "none" };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri)?.[1];
  if (scheme === undefined) return { kind: "fifo", path: uri };
  const url = new URL(uri);
  const file = decodeURIComponent(url.pathname);
  switch (scheme) {
    case "fifo":
      return { kind: "fifo", path: file };
    case "file":
      return { kind: "file", path: file };
    case "binary":
      throw new TtrpcError(
        Code.InvalidArgument,
        `${which} ${uri}: binary:// log drivers are not supported by this shim; use file:// or a FIFO`,
      );
    default:
      throw new TtrpcError(
        Code.InvalidArgument,
        `${which} ${uri}: unknown stdio scheme ${scheme}://`,
      );
  }
}

/**
 * Opens the workload's stdio without ever blocking (shim-protocol.md §7.2): FIFOs non-blocking,
 * stdout/stderr falling back to O_RDWR when no reader is there yet (ENXIO). The wasm thread writes
 * with non-blocking writes and parks when a pipe is full, so it never stalls the shim.
 */
export function openStdio(io: { stdin: string; stdout: string; stderr: string }): StdioFds {
  const targets = {
    stdin: parseStdio(io.stdin, "stdin"),
    stdout: parseStdio(io.stdout, "stdout"),
    stderr: parseStdio(io.stderr, "stderr"),
  };
  const opened: number[] = [];
  const track = (fd: number | undefined) => (fd !== undefined && opened.push(fd), fd);
  try {
    const stdout = track(openWriter(targets.stdout));
    const stderr =
      io.stderr !== "" && io.stderr === io.stdout ? stdout : track(openWriter(targets.stderr));
    const stdin = track(openReader(targets.stdin));
    return { stdin, stdout, stderr };
  } catch (err) {
    for (const fd of opened) closeSync(fd);
    throw new TtrpcError(Code.Internal, `opening the container's stdio failed: ${String(err)}`, {
      cause: err,
    });
  }
}

/** Closes what openStdio opened (once per distinct fd). */
export function closeStdio(fds: StdioFds): void {
  for (const fd of new Set([fds.stdin, fds.stdout, fds.stderr])) {
    if (fd === undefined) continue;
    try {
      closeSync(fd);
    } catch {
      // Already closed (CloseIO closed stdin).
    }
  }
}

// libuv opens every file O_CLOEXEC, so a spawned helper never inherits these.
const { O_RDONLY, O_WRONLY, O_RDWR, O_NONBLOCK, O_APPEND, O_CREAT } = constants;

function openWriter(t: Target): number | undefined {
  switch (t.kind) {
    case "none":
      return undefined;
    case "file":
      mkdirSync(path.dirname(t.path), { recursive: true });
      return openSync(t.path, O_WRONLY | O_APPEND | O_CREAT, 0o644);
    case "fifo":
      try {
        return openSync(t.path, O_WRONLY | O_NONBLOCK);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENXIO") throw err;
        return openSync(t.path, O_RDWR | O_NONBLOCK);
      }
  }
}

function openReader(t: Target): number | undefined {
  switch (t.kind) {
    case "none":
      return undefined;
    case "file":
      // A log file as stdin makes no sense; containerd never sends it. Read it as a file anyway.
      return openSync(t.path, O_RDONLY);
    case "fifo":
      return openSync(t.path, O_RDONLY | O_NONBLOCK);
  }
}
