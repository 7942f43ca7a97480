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

/**
 * Logs to the bundle's `log` FIFO, which containerd copies to its own log (shim-protocol.md §3.8).
 * Opened non-blocking: containerd holds the read end, and when it restarts, writes fail with
 * EPIPE/EAGAIN — a lost log line is better than a shim that blocks, so errors are dropped.
 * Lines are logfmt, like containerd's own.
 */
export class FifoLogger implements Logger {
  #fd: number | undefined;
  readonly #debug: boolean;
  readonly #fields: string;

  constructor(file: string, options: { debug: boolean; fields?: Record<string, string> }) {
    this.#debug = options.debug;
    this.#fields = Object.entries(options.fields ?? {})
      .map(([k, v]) => ` ${k}=${quote(v)}`)
      .join("");
    try {
      this.#fd = openSync(file, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch {
      this.#fd = undefined;
    }
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    if (this.#debug) this.#write("debug", msg, fields);
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

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #write(level: string, msg: string, fields?: Record<string, unknown>): void {
    if (this.#fd === undefined) return;
    let line = `time="${new Date().toISOString()}" level=${level} msg=${quote(msg)}${this.#fields}`;
    for (const [k, v] of Object.entries(fields ?? {})) line += ` ${k}=${quote(String(v))}`;
    try {
      writeSync(this.#fd, line + "\n");
    } catch {
      // EPIPE or EAGAIN while containerd restarts; see the class comment.
    }
  }
}

function quote(v: string): string {
  return /^[\w./:@-]+$/.test(v) ? v : JSON.stringify(v);
}
