// One benchmark row (ours, baseline, ratio, target) and the markdown table they make.

/**
 * The goal an issue sets for a row. Ratios are ours ÷ baseline. `maxRatio` is for costs (lower is
 * better: latency, time), `minRatio` for rates (higher is better: tasks/s); `maxDelta` bounds
 * ours − baseline and `maxValue` ours alone, both in the row's unit.
 */
export type Target =
  | { readonly kind: "maxRatio"; readonly value: number; readonly source: string }
  | { readonly kind: "minRatio"; readonly value: number; readonly source: string }
  | { readonly kind: "maxDelta"; readonly value: number; readonly source: string }
  | { readonly kind: "maxValue"; readonly value: number; readonly source: string };

/** One line of the results table. */
export interface Row {
  /** Stable key ("a1", "c-100-normal"): how results.json and the README refer to the row. */
  readonly id: string;
  /** What is compared: "cold start: normal mode vs runc busybox echo". */
  readonly name: string;
  /** Unit of `ours` and `baseline`: "ms", "tasks/s", "MiB", "µs", "calls/s". */
  readonly unit: string;
  /** The figure for our side; undefined when it could not be measured (see `note`). */
  readonly ours: number | undefined;
  readonly baseline: number | undefined;
  readonly target?: Target;
  /** Why a figure is missing ("not built", "crashed 3/5"), or a caveat. */
  readonly note?: string;
}

/** ours ÷ baseline, or undefined when either is missing. */
export function ratioOf(row: Row): number | undefined {
  if (!isFigure(row.ours) || !isFigure(row.baseline) || row.baseline === 0) return undefined;
  return row.ours / row.baseline;
}

/** Whether the row meets its target: undefined when it has none or a figure is missing. */
export function holds(row: Row): boolean | undefined {
  const t = row.target;
  const ratio = ratioOf(row);
  if (t === undefined || !isFigure(row.ours)) return undefined;
  switch (t.kind) {
    case "maxRatio":
      return ratio === undefined ? undefined : ratio <= t.value;
    case "minRatio":
      return ratio === undefined ? undefined : ratio >= t.value;
    case "maxDelta":
      return isFigure(row.baseline) ? row.ours - row.baseline <= t.value : undefined;
    case "maxValue":
      return row.ours <= t.value;
  }
}

/** The target as the table shows it: "≤ 1.0× (issue 3)". */
export function formatTarget(t: Target | undefined, unit: string): string {
  if (t === undefined) return "—";
  switch (t.kind) {
    case "maxRatio":
      return `≤ ${t.value.toFixed(2)}× (${t.source})`;
    case "minRatio":
      return `≥ ${t.value.toFixed(1)}× (${t.source})`;
    case "maxDelta":
      return `≤ +${t.value} ${unit} (${t.source})`;
    case "maxValue":
      return `≤ ${t.value} ${unit} (${t.source})`;
  }
}

/** A number with as many digits as its size deserves: 1234, 123, 12.3, 1.23, 0.123. */
export function formatNumber(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toString();
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

/** The results as a markdown table: row, ours, baseline, ratio, target, holds?. */
export function markdownTable(rows: readonly Row[]): string {
  const lines = [
    "| row | ours | baseline | ratio | target | holds? |",
    "|---|---:|---:|---:|---|:---:|",
  ];
  for (const row of rows) {
    const ratio = ratioOf(row);
    const verdict = holds(row);
    const figure = (v: number | undefined) =>
      isFigure(v) ? `${formatNumber(v)} ${row.unit}` : (row.note ?? "—");
    lines.push(
      [
        "",
        ` ${row.id}. ${row.name}${row.note && isFigure(row.ours) ? ` (${row.note})` : ""} `,
        ` ${figure(row.ours)} `,
        ` ${figure(row.baseline)} `,
        ` ${ratio === undefined ? "—" : `${ratio.toFixed(2)}×`} `,
        ` ${formatTarget(row.target, row.unit)} `,
        ` ${verdict === undefined ? "—" : verdict ? "yes" : "**no**"} `,
        "",
      ].join("|"),
    );
  }
  return lines.join("\n");
}

function isFigure(v: number | undefined): v is number {
  return v !== undefined && Number.isFinite(v);
}
