import { writeSync } from "node:fs";
import type { Logger } from "../log.js";

/** Options of a {@link DaemonLogger}. */
export interface DaemonLoggerOptions {
  /** Where lines go; default 2 (stderr, which systemd sends to the journal). */
  readonly fd?: number;
  readonly debug?: boolean;
  /** Fields added to every line. */
  readonly fields?: Readonly<Record<string, string>>;
}

/**
 * The daemon's log: logfmt lines, like containerd's own, on a file descriptor. A line that
 * cannot be written is dropped: a blocked or broken log must never stall the daemon that runs
 * every sandbox of the node.
 */
export class DaemonLogger implements Logger {
  readonly #options: DaemonLoggerOptions;
  readonly #fields: string;

  constructor(options: DaemonLoggerOptions = {}) {
    this.#options = options;
    this.#fields = formatFields(options.fields ?? {});
  }

  /** A logger that adds `fields` to every line (a sandbox's namespace and group). */
  with(fields: Readonly<Record<string, string>>): DaemonLogger {
    return new DaemonLogger({
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

  #write(level: string, msg: string, fields?: Record<string, unknown>): void {
    let line = `time="${new Date().toISOString()}" level=${level} msg=${quote(msg)}${this.#fields}`;
    if (fields) line += formatFields(fields);
    try {
      writeSync(this.#options.fd ?? 2, line + "\n");
    } catch {
      // EAGAIN or EPIPE: see the class comment.
    }
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
