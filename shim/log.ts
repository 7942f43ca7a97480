import { closeSync, constants, openSync, writeSync } from "node:fs";

/** Structured log lines for the shim's log channel. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** A logger that drops everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Options of a {@link LogfmtLogger}. */
export interface LogfmtOptions {
  readonly debug?: boolean | undefined;
  /** Fields added to every line. */
  readonly fields?: Readonly<Record<string, string>> | undefined;
}

/**
 * logfmt lines, like containerd's own, written to a file descriptor. A line that cannot be
 * written (EAGAIN on a full pipe, EPIPE when the reader is gone) is dropped: a lost log line is
 * better than a shim that blocks.
 */
export class LogfmtLogger implements Logger {
  #fd: number | undefined;
  readonly #options: LogfmtOptions;
  readonly #fields: string;

  /** Logs to `fd`; undefined drops every line. */
  constructor(fd: number | undefined, options: LogfmtOptions = {}) {
    this.#fd = fd;
    this.#options = options;
    this.#fields = formatFields(options.fields ?? {});
  }

  /** A logger on the same fd that adds `fields` to every line. */
  with(fields: Readonly<Record<string, string>>): LogfmtLogger {
    return new LogfmtLogger(this.#fd, {
      ...this.#options,
      fields: { ...this.#options.fields, ...fields },
    });
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    if (this.#options.debug) this.#write("debug", msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.#write("info", msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.#write("warning", msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.#write("error", msg, fields);
  }

  /** Closes the fd; later lines are dropped. */
  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #write(level: string, msg: string, fields?: Record<string, unknown>): void {
    if (this.#fd === undefined) return;
    let line = `time="${new Date().toISOString()}" level=${level} msg=${quote(msg)}${this.#fields}`;
    if (fields) line += formatFields(fields);
    try {
      writeSync(this.#fd, line + "\n");
    } catch {
      // EAGAIN or EPIPE: see the class comment.
    }
  }
}

/**
 * Logs to the bundle's `log` FIFO, which containerd copies to its own log (shim-protocol.md §3.8).
 * Opened non-blocking: containerd holds the read end, and while it restarts writes fail with
 * EPIPE/EAGAIN, which the logger drops.
 */
export class FifoLogger extends LogfmtLogger {
  constructor(file: string, options: LogfmtOptions = {}) {
    super(openFifo(file), options);
  }
}

function openFifo(file: string): number | undefined {
  try {
    return openSync(file, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
}

function formatFields(fields: Readonly<Record<string, unknown>>): string {
  let out = "";
  for (const [k, v] of Object.entries(fields)) out += ` ${k}=${quote(String(v))}`;
  return out;
}

function quote(v: string): string {
  return /^[\w./:@-]+$/.test(v) ? v : JSON.stringify(v);
}
