// Hand-written SVG charts for bench/README.md: a distribution chart (one lane per setup: every
// sample as a dot, the middle half as a box, the median as a bar) and a line chart with a
// logarithmic x axis (memory per container against the number of containers). Plain strings, no
// dependencies; GitHub renders them inline.
import { quantile } from "./stats.js";

/** One lane of a distribution chart. */
export interface Distribution {
  readonly label: string;
  readonly values: readonly number[];
}

/** One line of a line chart: [x, y] points. */
export interface Series {
  readonly label: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
}

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];
const FONT = 'font-family="sans-serif" font-size="12"';

/** Horizontal strip-and-box plot of `lanes`, x from 0 to the largest sample. */
export function distributionChart(
  title: string,
  unit: string,
  lanes: readonly Distribution[],
): string {
  const left = 190;
  const right = 30;
  const width = 760;
  const laneHeight = 46;
  const top = 40;
  const plotWidth = width - left - right;
  const height = top + lanes.length * laneHeight + 40;
  const all = lanes.flatMap((l) => l.values);
  const xMax = niceCeiling(all.length > 0 ? Math.max(...all) : 1);
  const x = (v: number) => round1(left + (v / xMax) * plotWidth);
  const parts: string[] = [header(width, height, title)];
  for (const tick of ticks(xMax)) {
    parts.push(
      `<line x1="${x(tick)}" y1="${top - 6}" x2="${x(tick)}" y2="${height - 34}" stroke="#ddd"/>`,
      `<text x="${x(tick)}" y="${height - 20}" text-anchor="middle" ${FONT}>${tick}</text>`,
    );
  }
  parts.push(
    `<text x="${left + plotWidth / 2}" y="${height - 4}" text-anchor="middle" ${FONT}>${esc(unit)}</text>`,
  );
  lanes.forEach((lane, i) => {
    const color = COLORS[i % COLORS.length]!;
    const mid = top + i * laneHeight + laneHeight / 2;
    parts.push(
      `<text x="${left - 10}" y="${mid + 4}" text-anchor="end" ${FONT}>${esc(lane.label)}</text>`,
    );
    if (lane.values.length === 0) {
      parts.push(`<text x="${left + 6}" y="${mid + 4}" ${FONT} fill="#888">no samples</text>`);
      return;
    }
    const [p25, p50, p75] = [0.25, 0.5, 0.75].map((q) => quantile(lane.values, q)) as [
      number,
      number,
      number,
    ];
    parts.push(
      `<rect x="${x(p25)}" y="${mid - 12}" width="${Math.max(1, x(p75) - x(p25))}" height="24" ` +
        `fill="${color}" fill-opacity="0.18" stroke="${color}"/>`,
      `<line x1="${x(p50)}" y1="${mid - 14}" x2="${x(p50)}" y2="${mid + 14}" stroke="${color}" stroke-width="3"/>`,
    );
    // A fixed jitter per sample index keeps the picture the same for the same data.
    lane.values.forEach((v, k) => {
      const jitter = ((k * 7919) % 17) - 8;
      parts.push(
        `<circle cx="${x(v).toFixed(1)}" cy="${mid + jitter}" r="2.2" fill="${color}" fill-opacity="0.7"/>`,
      );
    });
    parts.push(
      `<text x="${Math.min(x(p75) + 8, width - right)}" y="${mid - 14}" ${FONT} fill="#444">median ${formatTick(p50)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

/** Line chart of `series`, x on a log10 axis (e.g. 1, 10, 100 containers), y from 0. */
export function logLineChart(
  title: string,
  xLabel: string,
  yLabel: string,
  series: readonly Series[],
): string {
  const left = 70;
  const right = 230;
  const width = 760;
  const height = 360;
  const top = 40;
  const bottom = 50;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const points = series.flatMap((s) => s.points);
  const xs = points.map(([px]) => px);
  const xMin = Math.min(...xs, 1);
  const xMax = Math.max(...xs, 10);
  const yMax = niceCeiling(Math.max(...points.map(([, py]) => py), 1));
  const span = Math.log10(xMax) - Math.log10(xMin) || 1;
  const lx = (v: number) => round1(left + ((Math.log10(v) - Math.log10(xMin)) / span) * plotWidth);
  const ly = (v: number) => round1(top + plotHeight - (v / yMax) * plotHeight);
  const parts: string[] = [header(width, height, title)];
  for (const tick of ticks(yMax)) {
    parts.push(
      `<line x1="${left}" y1="${ly(tick)}" x2="${left + plotWidth}" y2="${ly(tick)}" stroke="#ddd"/>`,
      `<text x="${left - 8}" y="${ly(tick) + 4}" text-anchor="end" ${FONT}>${tick}</text>`,
    );
  }
  for (const xv of [...new Set(xs)].sort((a, b) => a - b)) {
    parts.push(
      `<text x="${lx(xv)}" y="${top + plotHeight + 18}" text-anchor="middle" ${FONT}>${xv}</text>`,
    );
  }
  parts.push(
    `<text x="${left + plotWidth / 2}" y="${height - 10}" text-anchor="middle" ${FONT}>${esc(xLabel)}</text>`,
    `<text x="16" y="${top + plotHeight / 2}" text-anchor="middle" ${FONT} transform="rotate(-90 16 ${top + plotHeight / 2})">${esc(yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const sorted = [...s.points].sort((a, b) => a[0] - b[0]);
    if (sorted.length > 1) {
      const d = sorted
        .map(([px, py], k) => `${k === 0 ? "M" : "L"}${lx(px).toFixed(1)},${ly(py).toFixed(1)}`)
        .join(" ");
      parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    }
    for (const [px, py] of sorted) {
      parts.push(
        `<circle cx="${lx(px).toFixed(1)}" cy="${ly(py).toFixed(1)}" r="3.5" fill="${color}"/>`,
        `<text x="${(lx(px) + 6).toFixed(1)}" y="${(ly(py) - 6).toFixed(1)}" ${FONT} fill="${color}">${formatTick(py)}</text>`,
      );
    }
    const ly0 = top + 10 + i * 20;
    parts.push(
      `<rect x="${left + plotWidth + 20}" y="${ly0 - 9}" width="12" height="12" fill="${color}"/>`,
      `<text x="${left + plotWidth + 38}" y="${ly0 + 1}" ${FONT}>${esc(s.label)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

function header(width: number, height: number, title: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-family="sans-serif" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ].join("\n");
}

/** A round step (1, 2 or 5 × 10^k) that cuts 0..v into at most eight intervals. */
function tickStep(v: number): number {
  const exp = 10 ** Math.floor(Math.log10(v));
  for (const m of [0.1, 0.2, 0.5, 1, 2, 5, 10]) if (v / (m * exp) <= 8) return m * exp;
  return 10 * exp;
}

/** The axis end: `v` rounded up to a whole tick step. */
function niceCeiling(v: number): number {
  const step = tickStep(v);
  return Math.ceil(v / step - 1e-9) * step;
}

/** Round tick values from 0 to `max` (a niceCeiling). */
function ticks(max: number): number[] {
  const step = tickStep(max);
  const out: number[] = [];
  for (let v = 0; v <= max + step / 2; v += step) out.push(Number(v.toPrecision(6)));
  return out;
}

/** Coordinates to 0.1 px: enough for any screen, and short files. */
function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

function formatTick(v: number): string {
  return v >= 100 ? Math.round(v).toString() : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
