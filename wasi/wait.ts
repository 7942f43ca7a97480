// How a WASI call that must wait (a sleep, an empty pipe, a full one) waits. Each such call first
// tries synchronously (its fast path, which allocates nothing); only when it would block does it
// build its slow path: a generator that yields how long to wait (ms) before trying again and
// returns the errno. "park" runs that generator on this thread with Atomics.wait, as the host
// always did; "suspend" runs it as a Promise, so that a JSPI-suspended instance lets its
// siblings run on the thread's event loop meanwhile.

import type { WasiContext } from "./context.js";
import { WasiInterrupted } from "./exit.js";
import { checkInterrupt, park } from "./host-io.js";

/** How a call that must wait waits: "park" blocks the thread, "suspend" returns a Promise. */
export type Blocking = "park" | "suspend";

/** A call's slow path: yields milliseconds to wait before its next try, returns its errno. */
export type Waiting = Generator<number, number, undefined>;

/** Runs a slow path to its end: synchronously when parking, else as a Promise of the errno. */
export function wait(ctx: WasiContext, steps: Waiting): number | Promise<number> {
  return ctx.pending === undefined ? waitParked(ctx.interrupt, steps) : waitSuspended(ctx, steps);
}

function waitParked(interrupt: Int32Array, steps: Waiting): number {
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
    park(interrupt, step.value);
  }
}

async function waitSuspended(ctx: WasiContext, steps: Waiting): Promise<number> {
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
    await parkAsync(ctx, step.value);
  }
}

/** setTimeout's longest delay; a longer one would fire after 1 ms. Poll re-checks and waits on. */
const MAX_TIMER_MS = 2 ** 31 - 1;

type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
  ms: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };

/**
 * Waits up to `ms` without blocking the thread. `Atomics.waitAsync` on the interrupt word makes
 * the controller's Atomics.notify end the wait at once (rejecting with WasiInterrupted); it does
 * not keep the event loop alive, so a timer of the same length does (a run that is sleeping is
 * still running) and ends the wait on time. Whichever comes first clears the other's hold; `close`
 * cancels what is left, so nothing outlives the run.
 */
function parkAsync(ctx: WasiContext, ms: number): Promise<void> | undefined {
  const { interrupt } = ctx;
  const pending = ctx.pending as Set<() => void>;
  const delay = Math.min(ms, MAX_TIMER_MS);
  // Not in lib ES2023's typings; Node 20 has it.
  const waiting = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync(
    interrupt,
    0,
    0,
    delay,
  );
  if (!waiting.async) {
    // "not-equal" (already interrupted) or a zero timeout: nothing to wait for.
    checkInterrupt(interrupt);
    return undefined;
  }
  return new Promise<void>((resolve, reject) => {
    const end = (): void => {
      clearTimeout(timer);
      pending.delete(cancel);
      if (Atomics.load(interrupt, 0) !== 0) reject(new WasiInterrupted());
      else resolve();
    };
    const cancel = (): void => {
      clearTimeout(timer);
      pending.delete(cancel);
      reject(new WasiInterrupted());
    };
    const timer = setTimeout(end, delay);
    void waiting.value.then(end);
    pending.add(cancel);
  });
}

/** Ends every suspended wait of a run (rejecting it with WasiInterrupted): the run is closing. */
export function cancelWaits(ctx: WasiContext): void {
  if (ctx.pending === undefined) return;
  for (const cancel of [...ctx.pending]) cancel();
}
