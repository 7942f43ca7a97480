import { closeSync, constants, mkdirSync, openSync } from "node:fs";
import type { Socket } from "node:net";
import path from "node:path";
import { Code, TtrpcError } from "../shim/index.js";

/**
 * A workload's stdio as host fds (undefined = none: reads see EOF, writes are discarded), and
 * how to release them once the workload is done.
 */
export interface Stdio {
  readonly stdin: number | undefined;
  readonly stdout: number | undefined;
  readonly stderr: number | undefined;
  /** Closes every fd; the readers (FIFO clients, a logging binary) then see end-of-file. */
  close(): void;
}

type Target =
  | { readonly kind: "none" }
  | { readonly kind: "fifo"; readonly path: string }
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "binary"; readonly path: string; readonly args: readonly string[] };

/**
 * Reads a stdio string from CreateTaskRequest (shim-protocol.md §7.1): "" is none, a bare path or
 * `fifo://` is a FIFO the client made, `file://` a log file to append to, `binary://` a logging
 * program to start (for stdout and stderr).
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
      if (which === "stdin") {
        throw new TtrpcError(
          Code.InvalidArgument,
          `stdin ${uri}: a logging binary cannot be stdin`,
        );
      }
      // The runc shim's argv: each query key, then its first value (even an empty one).
      return {
        kind: "binary",
        path: file,
        args: [...url.searchParams.entries()].flatMap(([k, v]) => [k, v]),
      };
    default:
      throw new TtrpcError(
        Code.InvalidArgument,
        `${which} ${uri}: unknown stdio scheme ${scheme}://; use a FIFO path, file:// or binary://`,
      );
  }
}

/**
 * Opens the workload's stdio without ever blocking (shim-protocol.md §7.2): FIFOs non-blocking,
 * stdout/stderr falling back to O_RDWR when no reader is there yet (ENXIO). The wasm thread writes
 * with non-blocking writes and parks when a pipe is full, so it never stalls the shim.
 */
export async function openStdio(
  io: { readonly stdin: string; readonly stdout: string; readonly stderr: string },
  container: { readonly id: string; readonly namespace: string },
): Promise<Stdio> {
  const targets = {
    stdin: parseStdio(io.stdin, "stdin"),
    stdout: parseStdio(io.stdout, "stdout"),
    stderr: parseStdio(io.stderr, "stderr"),
  };
  const closers: (() => void)[] = [];
  const close = () => {
    for (const closeOne of closers.splice(0).reverse()) {
      try {
        closeOne();
      } catch {
        // Already closed.
      }
    }
  };
  const track = (fd: number | undefined) => {
    if (fd !== undefined) closers.push(() => closeSync(fd));
    return fd;
  };
  try {
    if (targets.stdout.kind === "binary") {
      const logger = await startLogger(targets.stdout, container);
      closers.push(logger.close);
      const stdin = track(openReader(targets.stdin));
      return { stdin, stdout: logger.stdout, stderr: logger.stderr, close };
    }
    const stdout = track(await openWriter(targets.stdout));
    const stderr =
      io.stderr !== "" && io.stderr === io.stdout
        ? stdout
        : track(await openWriter(targets.stderr));
    const stdin = track(openReader(targets.stdin));
    return { stdin, stdout, stderr, close };
  } catch (err) {
    close();
    throw new TtrpcError(Code.Internal, `opening the container's stdio failed: ${String(err)}`, {
      cause: err,
    });
  }
}

/**
 * Starts a `binary://` logging program as the runc shim does (containerd pkg/process/io.go): the
 * workload's stdout on its fd 3, stderr on fd 4, and a readiness pipe on fd 5 on which it writes
 * a byte, or which it closes, once it is ready; CONTAINER_ID and CONTAINER_NAMESPACE in its
 * environment. Node makes socket pairs rather than pipes; a logger reads them the same way.
 */
async function startLogger(
  target: { readonly path: string; readonly args: readonly string[] },
  container: { readonly id: string; readonly namespace: string },
): Promise<{ stdout: number; stderr: number; close(): void }> {
  // Loaded here: child_process costs every container's start ~1 ms, and few use binary://.
  const { spawn } = await import("node:child_process");
  const child = spawn(target.path, target.args, {
    stdio: ["ignore", "ignore", "ignore", "pipe", "pipe", "pipe"],
    env: { CONTAINER_ID: container.id, CONTAINER_NAMESPACE: container.namespace },
    detached: true,
  });
  child.unref();
  const [stdout, stderr, ready] = [3, 4, 5].map((fd) => child.stdio[fd] as Socket);
  try {
    await new Promise<void>((resolve, reject) => {
      child.once("error", reject);
      ready!.once("data", () => resolve());
      ready!.once("close", () => resolve());
    });
  } catch (err) {
    throw new Error(`the logging binary ${target.path} could not start: ${String(err)}`);
  }
  ready!.destroy();
  return {
    stdout: socketFd(stdout!),
    stderr: socketFd(stderr!),
    close: () => {
      stdout!.destroy();
      stderr!.destroy();
    },
  };
}

/** The fd under a socket Node made, for the wasm thread's synchronous writes. */
function socketFd(socket: Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== "number" || fd < 0) throw new Error("the logging binary's pipe has no fd");
  return fd;
}

// libuv opens every file O_CLOEXEC, so a spawned helper never inherits these.
const { O_RDONLY, O_WRONLY, O_RDWR, O_NONBLOCK, O_APPEND, O_CREAT } = constants;

/**
 * How long a FIFO writer waits for the client's reader before holding a read end itself. The
 * client opens its end before Create, but in a goroutine (containerd's cio with the fifo
 * package): a fast module can start, write and end before that open has happened, and what it
 * wrote would then be gone with the pipe, the client seeing an empty stdout (seen once in 32
 * co-hosted hello runs). A reader that never comes (the client died) costs this much, once.
 */
const readerWaitMs = 500;
const readerPollMs = 1;

async function openWriter(t: Target): Promise<number | undefined> {
  switch (t.kind) {
    case "none":
    case "binary": // started by startLogger
      return undefined;
    case "file":
      mkdirSync(path.dirname(t.path), { recursive: true });
      return openSync(t.path, O_WRONLY | O_APPEND | O_CREAT, 0o644);
    case "fifo": {
      const deadline = performance.now() + readerWaitMs;
      for (;;) {
        try {
          return openSync(t.path, O_WRONLY | O_NONBLOCK);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENXIO") throw err;
        }
        // Still no reader: hold one ourselves, so writes never fail with EPIPE or ENXIO, and the
        // bytes wait in the pipe for whoever opens it (shim-protocol.md §7.2).
        if (performance.now() >= deadline) return openSync(t.path, O_RDWR | O_NONBLOCK);
        await new Promise((resolve) => setTimeout(resolve, readerPollMs));
      }
    }
  }
}

function openReader(t: Target): number | undefined {
  switch (t.kind) {
    case "none":
    case "binary":
      return undefined;
    case "file":
      // containerd never sends a log file as stdin; read it as a file all the same.
      return openSync(t.path, O_RDONLY);
    case "fifo":
      return openSync(t.path, O_RDONLY | O_NONBLOCK);
  }
}
