/** The daemon's command line. */
export interface DaemonArgs {
  readonly action: "serve" | "version" | "help";
  /** The manager socket, when given with --socket. */
  readonly socket: string | undefined;
  readonly debug: boolean;
  /** Seconds a stopping daemon gives running containers after SIGTERM before SIGKILL. */
  readonly stopGraceSeconds: number | undefined;
  /** MiB a container without a memory limit may use; 0 for no default. */
  readonly defaultMemoryLimitMib: number | undefined;
}

/** The daemon's usage text. */
export function daemonUsage(program: string): string {
  return [
    `usage: ${program} [--socket PATH] [--debug] [--stop-grace SECONDS] [--default-memory-limit MIB]`,
    "",
    "Runs every WebAssembly sandbox of this node for containerd (shared mode). containerd starts",
    "containers through the thin shim, which asks this daemon over the manager socket.",
    "",
    "  --socket PATH         the manager socket (default $CONTAINERD_V8D_SOCKET,",
    "                        else /run/containerd-v8d/manager.sock)",
    "  --debug               log debug lines too",
    "  --stop-grace SECONDS  on SIGTERM, how long running containers get before SIGKILL (2)",
    "  --default-memory-limit MIB",
    "                        the memory limit of a container that sets none (1024; 0: none)",
    "  --version, --help",
    "",
  ].join("\n");
}

/**
 * Parses `--flag value`, `--flag=value` and the single-dash forms. Throws an Error naming the
 * problem for anything else.
 */
export function parseDaemonArgs(argv: readonly string[]): DaemonArgs {
  let socket: string | undefined;
  let debug = false;
  let stopGraceSeconds: number | undefined;
  let defaultMemoryLimitMib: number | undefined;
  let action: DaemonArgs["action"] = "serve";
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith("-") ? splitFlag(arg) : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "socket":
        socket = value();
        break;
      case "stop-grace":
        stopGraceSeconds = number(flag, value());
        break;
      case "default-memory-limit":
        defaultMemoryLimitMib = number(flag, value());
        break;
      case "debug":
        debug = true;
        break;
      case "version":
      case "v":
        action = "version";
        break;
      case "help":
      case "h":
        action = "help";
        break;
      default:
        throw new Error(`unknown argument ${arg}`);
    }
  }
  return { action, socket, debug, stopGraceSeconds, defaultMemoryLimitMib };
}

function number(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${flag} ${v}: expected a number >= 0`);
  return n;
}

function splitFlag(arg: string): [string, string | undefined] {
  const body = arg.replace(/^--?/, "");
  const eq = body.indexOf("=");
  return eq < 0 ? [body, undefined] : [body.slice(0, eq), body.slice(eq + 1)];
}
