/** The shim's command line as containerd passes it (shim-protocol.md §3.2, §3.7). */
export interface ShimArgs {
  readonly action: "start" | "delete" | "serve" | "version";
  readonly namespace: string;
  readonly id: string;
  /** containerd's gRPC socket (a plain path). */
  readonly address: string;
  readonly publishBinary: string;
  /** Only on `delete`; otherwise the bundle is the working directory. */
  readonly bundle: string;
  readonly debug: boolean;
  /** A socket path to serve on, instead of the conventional one (not used by containerd 1.6). */
  readonly socket: string;
}

const valueFlags = ["namespace", "id", "address", "publish-binary", "bundle", "socket"] as const;
const boolFlags = ["debug", "v"] as const;

/**
 * Parses Go `flag` syntax liberally: `-name value`, `--name value`, `-name=value`; boolean flags
 * take no value. The first positional argument is the action; none means "serve" (the daemon).
 * Throws an Error naming the problem for anything it does not understand.
 */
export function parseShimArgs(argv: readonly string[], cwd = process.cwd()): ShimArgs {
  const values = new Map<string, string>();
  const bools = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("-") || arg === "-") {
      positional.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq >= 0 ? body.slice(0, eq) : body;
    if ((boolFlags as readonly string[]).includes(name)) {
      if (eq < 0 || body.slice(eq + 1) === "true") bools.add(name);
      continue;
    }
    if (!(valueFlags as readonly string[]).includes(name)) {
      throw new Error(`unknown flag ${arg}`);
    }
    const value = eq >= 0 ? body.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new Error(`flag ${arg} needs a value`);
    values.set(name, value);
  }
  const verb = positional[0];
  if (positional.length > 1)
    throw new Error(`unexpected arguments: ${positional.slice(1).join(" ")}`);
  let action: ShimArgs["action"];
  if (bools.has("v")) action = "version";
  else if (verb === undefined) action = "serve";
  else if (verb === "start" || verb === "delete") action = verb;
  else throw new Error(`unknown action "${verb}": expected start, delete, or none to serve`);
  return {
    action,
    namespace: values.get("namespace") ?? "",
    id: values.get("id") ?? "",
    address: values.get("address") ?? "",
    publishBinary: values.get("publish-binary") ?? "",
    bundle: values.get("bundle") ?? cwd,
    debug: bools.has("debug"),
    socket: values.get("socket") ?? "",
  };
}

/** The flags to re-execute the shim as its daemon: the same, without the action. */
export function daemonArgs(a: ShimArgs): string[] {
  const out = ["-namespace", a.namespace, "-id", a.id, "-address", a.address];
  if (a.publishBinary) out.push("-publish-binary", a.publishBinary);
  if (a.debug) out.push("-debug");
  return out;
}
