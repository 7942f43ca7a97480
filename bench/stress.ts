// `make stress` (issue 4): N containers in total, M at a time, each a full create/start/wait/delete
// (what `ctr run --rm` does; stress-driver.ts says which client) through a private containerd; zero failures and nothing left behind required. Prints tasks/second.
//
//   node --import tsx bench/stress.ts [--setup normal|shared|runc|node-runc] [-n N] [-m M]
//                                     [--client api|ctr]
//
// Exit status 0 only when every task succeeded and nothing leaked. On failure the containerd log
// is kept in build/stress/ and the log lines naming each failed container are printed.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { prepareEnvironment, repoRoot } from "./environment.js";
import type { SetupKey } from "./setups.js";
import { median, quantile } from "./stats.js";
import {
  nothingLeaked,
  runStress,
  settleLeaks,
  type Leaks,
  type StressClient,
} from "./stress-driver.js";

const { values } = parseArgs({
  options: {
    setup: { type: "string", default: "normal" },
    n: { type: "string", short: "n", default: "1000" },
    m: { type: "string", short: "m", default: "8" },
    client: { type: "string", default: "api" },
  },
});
const key = values.setup as SetupKey;
const total = Number(values.n);
const concurrency = Number(values.m);
if (values.client !== "api" && values.client !== "ctr") {
  throw new Error(`--client ${values.client}: use "api" (containerd's gRPC API) or "ctr"`);
}
const client: StressClient = values.client;
const outDir = path.join(repoRoot, "build/stress");

const workDir = mkdtempSync(path.join(tmpdir(), "stress-"));
const env = await prepareEnvironment({ workDir, only: [key] });
let ok = false;
try {
  const setup = env.setups.find((s) => s.key === key);
  if (setup === undefined) {
    const why = env.allSetups.find((s) => s.key === key)?.unavailable ?? "unknown setup";
    throw new Error(`setup ${key}: ${why}`);
  }
  const c = env.containerd;
  console.log(`stress: ${setup.label}, N=${total}, M=${concurrency}, client ${client}`);
  const step = Math.max(1, Math.round(total / 10));
  const result = await runStress(c, setup, {
    total,
    concurrency,
    idPrefix: "stress",
    client,
    onTask: (done, failed) => {
      if (done % step === 0) console.error(`  ${done}/${total} done, ${failed} failed`);
    },
  });
  const leaks = await settleLeaks(c, result.ids);
  const lat = result.latenciesMs;
  console.log(
    `  ${result.tasksPerSecond.toFixed(2)} tasks/s (${total} tasks in ` +
      `${(result.elapsedMs / 1000).toFixed(1)} s); wall time per container median ` +
      `${median(lat).toFixed(0)} ms, p90 ${quantile(lat, 0.9).toFixed(0)} ms, ` +
      `max ${Math.max(...lat).toFixed(0)} ms`,
  );
  console.log(`  failures: ${result.failures.length}`);
  console.log(`  leaks: ${nothingLeaked(leaks) ? "none" : describe(leaks)}`);
  ok = result.failures.length === 0 && nothingLeaked(leaks);
  if (!ok) {
    mkdirSync(outDir, { recursive: true });
    const logFile = path.join(outDir, `containerd-${Date.now()}.log`);
    writeFileSync(logFile, c.log());
    for (const f of result.failures.slice(0, 10)) {
      console.log(`\n  ${f.id}: exit ${f.code}${f.error ? `, ${f.error}` : ""}`);
      const stderr = f.stderr.trim().split("\n").slice(0, 5).join("\n            ");
      if (stderr) console.log(`    stderr: ${stderr}`);
      if (f.stdout !== setup.helloStdout) console.log(`    stdout: ${JSON.stringify(f.stdout)}`);
      // The id as a whole word: "stress-5" must not match "stress-50".
      const naming = new RegExp(`(^|[^\\w-])${f.id}([^\\w-]|$)`);
      const lines = c
        .log()
        .split("\n")
        .filter((l) => naming.test(l));
      for (const line of lines.slice(-15)) console.log(`    log: ${line}`);
    }
    console.log(`\n  containerd log: ${logFile}`);
  }
} finally {
  await env.close();
  rmSync(workDir, { recursive: true, force: true });
}
process.exitCode = ok ? 0 : 1;

function describe(leaks: Leaks): string {
  return Object.entries(leaks)
    .filter(([, list]) => list.length > 0)
    .map(([kind, list]: [string, readonly string[]]) => `\n    ${kind}: ${list.join("\n      ")}`)
    .join("");
}
