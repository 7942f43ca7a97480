import { constants } from "node:os";
import { Code, TtrpcError } from "../shim/index.js";

/** What a Linux signal does to a wasm workload, which cannot install handlers (yet). */
export type SignalAction = "terminate" | "ignore";

const sig = constants.signals;
// Signals whose default action is to ignore (signal(7)); a process that does not handle them
// keeps running, and so does a module.
const ignoredByDefault = new Set<number>([sig.SIGCHLD, sig.SIGCONT, sig.SIGURG, sig.SIGWINCH]);
// Stop signals would pause the workload; pausing is not supported (Pause is UNIMPLEMENTED too).
const stopSignals = new Set<number>([sig.SIGSTOP, sig.SIGTSTP, sig.SIGTTIN, sig.SIGTTOU]);
const maxSignal = 64;

/**
 * Classifies a signal the way a process without handlers would experience it. Signal 0 (an
 * existence check) is ignored. Throws INVALID_ARGUMENT for stop signals and numbers out of range.
 */
export function signalAction(signal: number): SignalAction {
  if (!Number.isInteger(signal) || signal < 0 || signal > maxSignal) {
    throw new TtrpcError(
      Code.InvalidArgument,
      `signal ${signal} is not a Linux signal number (1-64)`,
    );
  }
  if (signal === 0 || ignoredByDefault.has(signal)) return "ignore";
  if (stopSignals.has(signal)) {
    throw new TtrpcError(
      Code.InvalidArgument,
      `signal ${signal} would stop the workload, and pausing a wasm container is not supported`,
    );
  }
  return "terminate";
}

/** The exit status of a process killed by `signal`, as runc and a shell report it. */
export const signalExitStatus = (signal: number): number => 128 + signal;
