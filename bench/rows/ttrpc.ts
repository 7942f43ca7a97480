// Row f, ttrpc: round-trip latency and calls/s of our ttrpc over one unix socket against a plain
// `net` echo of the same bytes (the floor any ttrpc over Node sockets stands on), each sample a
// fresh child (runners/ttrpc-child.ts); and what loading the shim's protocol code (api/ + ttrpc/,
// bundled as shipped) adds to a fresh node's start.
import { failureOf, runNode } from "../child.js";
import type { BenchContext, RowResult } from "../context.js";
import type { Row } from "../report.js";
import { median, rotation } from "../stats.js";

type Kind = "ttrpc" | "net";
const KINDS: readonly Kind[] = ["ttrpc", "net"];
/** Calls in flight for the calls/s figure: enough to keep both ends of the socket busy. */
const WINDOW = 32;

/** Measures ttrpc latency, rate and load time; see README.md, row f. */
export async function ttrpc(ctx: BenchContext): Promise<RowResult> {
  const p = ctx.params;
  const latencyUs: Record<Kind, number[]> = { ttrpc: [], net: [] };
  const rates: Record<Kind, number[]> = { ttrpc: [], net: [] };
  const failures: string[] = [];
  let frameBytes = 0;
  const child = async (args: string[]): Promise<Record<string, unknown> | undefined> => {
    const r = await runNode(ctx.runners.ttrpcChild, args);
    if (r.code === 0) return JSON.parse(r.stdout) as Record<string, unknown>;
    failures.push(`${args.join(" ")}: ${failureOf(r)}`);
    return undefined;
  };
  for (let round = 0; round < p.ttrpcSamples; round++) {
    for (const kind of rotation(KINDS, round)) {
      const lat = await child(["latency", kind, String(p.ttrpcLatencyCalls)]);
      if (lat) latencyUs[kind].push(...(lat.us as number[]));
      const rate = await child(["rate", kind, String(p.ttrpcRateCalls), String(WINDOW)]);
      if (rate) {
        rates[kind].push(rate.callsPerSecond as number);
        frameBytes = rate.frameBytes as number;
      }
    }
    ctx.progress(`ttrpc: round ${round + 1}/${p.ttrpcSamples}`);
  }

  // Load time: the same bundle shape on both sides, so only what api/ + ttrpc/ load differs.
  const loadMs: Record<"api" | "bare", number[]> = { api: [], bare: [] };
  for (let round = 0; round < p.loadRuns; round++) {
    for (const side of rotation(["api", "bare"] as const, round)) {
      const r = await runNode(side === "api" ? ctx.runners.loadApi : ctx.runners.empty, []);
      if (r.code === 0) loadMs[side].push(r.wallMs);
      else failures.push(`load ${side}: ${failureOf(r)}`);
    }
  }

  const med = (values: number[]) => (values.length > 0 ? median(values) : undefined);
  const note = failures.length > 0 ? `${failures.length} samples failed` : undefined;
  const rows: Row[] = [
    {
      id: "f1",
      name: `ttrpc unary round trip (${frameBytes}-byte request), one call at a time: ours vs \`net\` echo`,
      unit: "µs",
      ours: med(latencyUs.ttrpc),
      baseline: med(latencyUs.net),
      note,
    },
    {
      id: "f2",
      name: `ttrpc calls/s, ${WINDOW} in flight on one socket: ours vs \`net\` echo`,
      unit: "calls/s",
      ours: med(rates.ttrpc),
      baseline: med(rates.net),
      note,
    },
    {
      id: "f3",
      name: "load api/ + ttrpc/ (bundled) in a fresh node vs bare node",
      unit: "ms",
      ours: med(loadMs.api),
      baseline: med(loadMs.bare),
      target: { kind: "maxDelta", value: 10, source: "issue 2" },
      note,
    },
  ];
  return {
    rows,
    samples: {
      frameBytes,
      window: WINDOW,
      // Per-call latencies rounded to 0.1 µs keep results.json readable.
      latencyUs: Object.fromEntries(
        KINDS.map((k) => [k, latencyUs[k].map((v) => Math.round(v * 10) / 10)]),
      ),
      callsPerSecond: rates,
      loadMs,
      failures,
    },
  };
}
