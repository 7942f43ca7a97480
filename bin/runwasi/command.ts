// What every `runwasi` subcommand is and gets: the shared contract between main.ts (dispatch,
// help, error printing) and the subcommand modules, so adding one is one file plus one table row.
import { parseArgs, type ParseArgsConfig } from "node:util";

/** Process exit codes of `runwasi`, stated in `runwasi --help`. */
export const ExitCode = {
  ok: 0,
  /** The command was understood but failed: a missing file, an invalid image name, … */
  failure: 1,
  /** The command line itself is wrong: unknown option, missing argument. */
  usage: 2,
} as const;

/** The outside world a command may touch besides the file system; tests pass their own. */
export interface CliIo {
  /** Writes to standard output (results). */
  out(text: string): void;
  /** Writes to standard error (problems). */
  err(text: string): void;
  /** Directory that relative paths on the command line are relative to. */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** One subcommand. `run` returns the exit code; it throws `UsageError` for a bad command line. */
export interface Command {
  /** The words after `runwasi`, e.g. ["image", "build"]. */
  readonly path: readonly string[];
  /** One line for command listings. */
  readonly summary: string;
  /** The full `--help` text. */
  readonly help: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** The command line is wrong; main prints the message with a pointer to `--help`, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The command failed for a reason its message fully states; main prints it as is, exit 1. */
export class CliFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CliFailure";
  }
}

/**
 * `util.parseArgs` in strict mode, with its errors turned into `UsageError`s. Its own messages
 * already name the option ("Unknown option '--nme'"), so they are kept as they are.
 */
export function parseOptions<T extends NonNullable<ParseArgsConfig["options"]>>(
  args: readonly string[],
  options: T,
) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (err) {
    if (
      err instanceof TypeError &&
      "code" in err &&
      String(err.code).startsWith("ERR_PARSE_ARGS")
    ) {
      throw new UsageError(err.message);
    }
    throw err;
  }
}

/** Splits "KEY=VALUE"; the option name goes into the error so a person sees which one is wrong. */
export function keyValue(option: string, text: string): [key: string, value: string] {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new UsageError(`${option} ${JSON.stringify(text)}: expected KEY=VALUE`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}
