import { LogfmtLogger, type LogfmtOptions } from "../log.js";

/** Options of a {@link DaemonLogger}. */
export interface DaemonLoggerOptions extends LogfmtOptions {
  /** Where lines go; default 2 (stderr, which systemd sends to the journal). */
  readonly fd?: number;
}

/**
 * The shared-mode daemon's log: logfmt on stderr by default. A blocked or broken log must never
 * stall the daemon that runs every sandbox of the node, so unwritable lines are dropped.
 */
export class DaemonLogger extends LogfmtLogger {
  constructor(options: DaemonLoggerOptions = {}) {
    super(options.fd ?? 2, options);
  }
}
