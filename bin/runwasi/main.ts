// The `runwasi` tool's front door: finds the subcommand in the table, prints help, and turns
// every failure into one message on stderr plus an exit code (ExitCode). Subcommands live one per
// module; adding one is a new module and a row in `commands`.
import { ImageError } from "../../image/index.js";
import { CliFailure, ExitCode, UsageError, type CliIo, type Command } from "./command.js";
import { imageBuild } from "./image-build.js";

/** Every subcommand, in the order `runwasi --help` lists them. */
export const commands: readonly Command[] = [imageBuild];

const HELP_FLAGS = new Set(["-h", "--help"]);

/** Runs `runwasi ARGV…` and returns the exit code; never throws. */
export async function main(
  argv: readonly string[],
  io: CliIo,
  table: readonly Command[] = commands,
): Promise<number> {
  const command = findCommand(argv, table);
  if (command !== undefined) return runCommand(command, argv.slice(command.path.length), io);

  const [first, ...rest] = argv;
  if (first === undefined) {
    io.err(overview(table, []));
    return ExitCode.usage;
  }
  if (HELP_FLAGS.has(first)) {
    io.out(overview(table, []));
    return ExitCode.ok;
  }
  if (first === "help") return help(rest, io, table);

  // A group word alone ("runwasi image") lists what it holds.
  const words = argv.filter((a) => !a.startsWith("-"));
  const group = longestGroup(words, table);
  if (group.length > 0 && words.length === group.length) {
    const asked = argv.some((a) => HELP_FLAGS.has(a));
    (asked ? io.out : io.err)(overview(table, group));
    return asked ? ExitCode.ok : ExitCode.usage;
  }
  const unknown = words.slice(0, group.length + 1).join(" ") || first;
  io.err(`runwasi: unknown command '${unknown}'. Run 'runwasi --help' for the list.\n`);
  return ExitCode.usage;
}

async function runCommand(command: Command, args: readonly string[], io: CliIo): Promise<number> {
  const name = `runwasi ${command.path.join(" ")}`;
  try {
    return await command.run(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${name}: ${err.message}\nRun '${name} --help' for usage.\n`);
      return ExitCode.usage;
    }
    if (err instanceof CliFailure || err instanceof ImageError) {
      io.err(`${name}: ${err.message}\n`);
      return ExitCode.failure;
    }
    // System errors (EACCES, ENOSPC, …) carry the path in their message; anything else is a bug.
    if (err instanceof Error && "code" in err && "syscall" in err) {
      io.err(`${name}: ${err.message}\n`);
      return ExitCode.failure;
    }
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    io.err(`${name}: internal error, please report it:\n${detail}\n`);
    return ExitCode.failure;
  }
}

function help(words: readonly string[], io: CliIo, table: readonly Command[]): number {
  const command = table.find((c) => sameWords(c.path, words));
  if (command !== undefined) {
    io.out(command.help);
    return ExitCode.ok;
  }
  if (words.length === 0 || longestGroup(words, table).length === words.length) {
    io.out(overview(table, words));
    return ExitCode.ok;
  }
  io.err(`runwasi: no help for unknown command '${words.join(" ")}'. Run 'runwasi --help'.\n`);
  return ExitCode.usage;
}

/** The command whose path is the longest prefix of argv. */
function findCommand(argv: readonly string[], table: readonly Command[]): Command | undefined {
  let best: Command | undefined;
  for (const c of table) {
    if (sameWords(c.path, argv.slice(0, c.path.length))) {
      if (best === undefined || c.path.length > best.path.length) best = c;
    }
  }
  return best;
}

/** The longest leading run of `words` that is a proper prefix of some command's path. */
function longestGroup(words: readonly string[], table: readonly Command[]): readonly string[] {
  let n = 0;
  for (const c of table) {
    let k = 0;
    while (k < c.path.length - 1 && k < words.length && c.path[k] === words[k]) k++;
    n = Math.max(n, k);
  }
  return words.slice(0, n);
}

function sameWords(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((w, i) => w === b[i]);
}

function overview(table: readonly Command[], group: readonly string[]): string {
  const listed = table.filter((c) => sameWords(c.path.slice(0, group.length), group));
  const names = listed.map((c) => c.path.join(" "));
  const width = Math.max(...names.map((n) => n.length));
  const rows = listed.map((c, i) => `  ${(names[i] ?? "").padEnd(width)}   ${c.summary}`);
  const usage =
    group.length === 0
      ? "runwasi COMMAND [options]"
      : `runwasi ${group.join(" ")} COMMAND [options]`;
  return `Usage: ${usage}

runwasi prepares WebAssembly (WASI) workloads for containerd; the containerd-shim-v8-v1
shim runs them (ctr run --runtime io.containerd.v8.v1 IMAGE ID).

Commands:
${rows.join("\n")}

Run 'runwasi COMMAND --help' for a command's options.
Exit codes: 0 success, 1 the command failed, 2 the command line is wrong.
`;
}
