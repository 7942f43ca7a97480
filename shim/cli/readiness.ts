import { closeSync, writeSync } from "node:fs";

/** The fd on which the daemon reports readiness to `start` (the Go shim hands over fd 3 too). */
export const readinessFd = 3;

/** What the daemon tells `start`: serving, or why it could not. */
export type Readiness = { readonly ok: true } | { readonly ok: false; readonly error: string };

/**
 * Reports readiness once and closes the pipe. Does nothing when the daemon was started by hand,
 * without the pipe.
 */
export function reportReadiness(readiness: Readiness): void {
  try {
    writeSync(readinessFd, readiness.ok ? "ok\n" : `error ${readiness.error}\n`);
    closeSync(readinessFd);
  } catch {
    // No pipe: nobody is waiting.
  }
}
