// `bench/run.ts --publish`: after a full run on the reference machine, puts its table into
// bench/README.md (between the results markers) and its charts into bench/results/, so that the
// committed README always shows one whole run — never figures pasted from different runs.
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";

const README = path.join(import.meta.dirname, "README.md");
const RESULTS = path.join(import.meta.dirname, "results");
const BEGIN = "<!-- results:begin (written by bench/run.ts --publish) -->";
const END = "<!-- results:end -->";

/** What the README says about the run besides its table. */
export interface RunInfo {
  readonly date: string;
  readonly commit: string;
  readonly elapsedSeconds: number;
  readonly machine: string;
  readonly loadavg: readonly number[];
}

/** Copies the SVGs of `outDir` into bench/results and rewrites the README's results section. */
export function publishResults(outDir: string, table: string, info: RunInfo): void {
  mkdirSync(RESULTS, { recursive: true });
  const charts = readdirSync(outDir)
    .filter((f) => f.endsWith(".svg"))
    .sort();
  for (const chart of charts) copyFileSync(path.join(outDir, chart), path.join(RESULTS, chart));
  const section = [
    BEGIN,
    "",
    `Run of ${info.date} on commit ${info.commit}: ${info.machine}, ` +
      `${Math.round(info.elapsedSeconds / 60)} min; load average at the end ` +
      `${info.loadavg.map((l) => l.toFixed(1)).join(" / ")} (1 / 5 / 15 min).`,
    "",
    table,
    "",
    ...charts.map((chart) => `![${chart.replace(/\.svg$/, "")}](results/${chart})`),
    "",
    END,
  ].join("\n");
  const readme = readFileSync(README, "utf8");
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`${README} has no results markers`);
  writeFileSync(README, readme.slice(0, begin) + section + readme.slice(end + END.length));
}
