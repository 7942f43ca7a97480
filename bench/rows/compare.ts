// The shape the container rows share: "setup X vs setup Y" with a figure per setup, and a note
// that names the side it is about ("runc busybox: 1 of 1000 tasks failed").
import type { Row, Target } from "../report.js";
import { setupNames, type SetupKey } from "../setups.js";

/** One row: our setup against a baseline setup, and the target its issue sets. */
export interface Comparison {
  readonly id: string;
  readonly ours: SetupKey;
  readonly baseline: SetupKey;
  readonly target?: Target;
}

/** A setup's figure, or why it has none; a note may also qualify a figure. */
export interface Figure {
  readonly value?: number;
  readonly note?: string;
}

/** The row comparing `c.ours` with `c.baseline`, each side's figure from `figure`. */
export function comparisonRow(
  c: Comparison,
  name: string,
  unit: string,
  figure: (key: SetupKey) => Figure,
): Row {
  const sides = [c.ours, c.baseline].map((key) => ({ key, ...figure(key) }));
  const notes = sides.filter((s) => s.note).map((s) => `${setupNames[s.key]}: ${s.note}`);
  return {
    id: c.id,
    name,
    unit,
    ours: sides[0]!.value,
    baseline: sides[1]!.value,
    target: c.target,
    note: notes.length > 0 ? notes.join("; ") : undefined,
  };
}
