// What every row gets to work with, and what it hands back.
import type { Runners } from "./bundle.js";
import type { Environment } from "./environment.js";
import type { Params } from "./params.js";
import type { Programs } from "./programs.js";
import type { Row } from "./report.js";
import type { ContainerSetup, SetupKey } from "./setups.js";

/** Shared by the rows of one invocation. */
export interface BenchContext {
  readonly params: Params;
  /** The private containerd and its setups; undefined when no selected row needs containers. */
  readonly env: Environment | undefined;
  readonly runners: Runners;
  readonly programs: Programs;
  /** A scratch directory for this invocation (removed at the end). */
  readonly workDir: string;
  /** A progress line on stderr (stdout carries only the table). */
  progress(message: string): void;
}

/** A row module's result: table rows, every sample for results.json, and any SVG charts. */
export interface RowResult {
  readonly rows: readonly Row[];
  readonly samples: Readonly<Record<string, unknown>>;
  /** File name (e.g. "cold-start.svg") → SVG text. */
  readonly charts?: Readonly<Record<string, string>>;
}

/** The containerd environment, or an error naming the row that needed it. */
export function requireEnv(ctx: BenchContext): Environment {
  if (ctx.env === undefined) throw new Error("this row needs containerd, which was not started");
  return ctx.env;
}

/** The runnable setup with `key`, or undefined with the reason it cannot run. */
export function setupOf(
  env: Environment,
  key: SetupKey,
): { readonly setup?: ContainerSetup; readonly reason?: string } {
  const setup = env.setups.find((s) => s.key === key);
  if (setup) return { setup };
  return { reason: env.allSetups.find((s) => s.key === key)?.unavailable ?? "not selected" };
}
