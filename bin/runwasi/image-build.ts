// `runwasi image build`: packs a WebAssembly module (plus optional files) into an OCI image tar
// that containerd 1.6's plain `ctr image import` accepts (image/README.md).
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { parsePlatform, writeImageTar, type LayerEntry } from "../../image/index.js";
import {
  CliFailure,
  ExitCode,
  UsageError,
  keyValue,
  parseOptions,
  type CliIo,
  type Command,
} from "./command.js";

const help = `Usage: runwasi image build --name NAME -o OUT.tar [options] MODULE.wasm

Packs a WebAssembly module into an OCI image tar that 'ctr image import OUT.tar' loads
as it is. The module is placed at /<its file name> in the image, and the image's
entrypoint runs it.

Options:
  --name NAME          image name (required), e.g. docker.io/library/app:latest;
                       short names are completed: app -> docker.io/library/app:latest
  -o, --output FILE    where to write the image tar (required)
  --entrypoint PATH    where the module goes in the image and what runs it
                       (default /<module file name>); append #EXPORT to call that
                       export instead of _start, e.g. /app.wasm#serve
  --cmd ARG            default argument passed after the entrypoint (repeatable)
  --env KEY=VALUE      environment variable (repeatable)
  --file SRC:DEST      copy the host file or directory SRC to DEST in the image
                       (repeatable), e.g. --file ./static:/www
  --dir DEST           create the empty directory DEST in the image (repeatable)
  --workdir DIR        working directory (default /)
  --label KEY=VALUE    image label (repeatable)
  --platform OS/ARCH   platform written in the image config (default wasip1/wasm)
  -h, --help           show this help

The same inputs always give the same image digest. Set SOURCE_DATE_EPOCH (seconds)
to record a creation time; otherwise there is none and file times are 1970-01-01.

Example:
  runwasi image build --name docker.io/library/hello:latest \\
      --env GREETING=hi --file ./hello.txt:/hello.txt -o hello.tar hello.wasm
  ctr image import hello.tar
`;

const options = {
  name: { type: "string" },
  output: { type: "string", short: "o" },
  entrypoint: { type: "string" },
  cmd: { type: "string", multiple: true },
  env: { type: "string", multiple: true },
  file: { type: "string", multiple: true },
  dir: { type: "string", multiple: true },
  workdir: { type: "string" },
  label: { type: "string", multiple: true },
  platform: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Every WebAssembly binary starts with these four bytes ("\0asm"). */
const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

interface HostFile {
  readonly src: string;
  readonly dest: string;
}

/** What the command line asks for, checked before any file is touched. */
interface BuildRequest {
  readonly name: string;
  readonly output: string;
  readonly module: string;
  /** The module's path in the image: the entrypoint without its "#export" suffix. */
  readonly moduleInImage: string;
  readonly entrypoint: string;
  /** --file values, split: host path → path in the image. */
  readonly files: readonly HostFile[];
  readonly dirs: readonly string[];
  readonly platform: ReturnType<typeof parsePlatform>;
  readonly cmd?: readonly string[];
  readonly env?: readonly string[];
  readonly workdir?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

async function run(args: readonly string[], io: CliIo): Promise<number> {
  const request = parseRequest(args);
  if (request === "help") {
    io.out(help);
    return ExitCode.ok;
  }
  const resolve = (p: string): string => path.resolve(io.cwd, p);
  const module = await readModule(
    resolve(request.module),
    request.module,
    request.platform.architecture === "wasm",
  );
  const entries: LayerEntry[] = [
    { kind: "file", path: request.moduleInImage, content: module, mode: 0o755 },
  ];
  for (const file of request.files) entries.push(await fileEntry(file, resolve));
  for (const dir of request.dirs) entries.push({ kind: "directory", path: dir });

  const created = creationTime(io.env["SOURCE_DATE_EPOCH"]);
  const image = await writeImageTar(resolve(request.output), {
    name: request.name,
    entries,
    ...(created === undefined ? {} : { created }),
    config: {
      ...request.platform,
      entrypoint: [request.entrypoint],
      ...(request.cmd === undefined ? {} : { cmd: request.cmd }),
      ...(request.env === undefined ? {} : { env: request.env }),
      ...(request.workdir === undefined ? {} : { workingDir: request.workdir }),
      ...(request.labels === undefined ? {} : { labels: request.labels }),
    },
  }).catch((err: unknown) => {
    // A system error names the syscall and the path; add which image it was building.
    if (err instanceof Error && "syscall" in err) {
      throw new CliFailure(`cannot build ${request.output}: ${err.message}`);
    }
    throw err;
  });
  io.out(
    `wrote ${request.output}: ${image.name} (${image.manifestDigest}, ${kib(image.tar.length)})\n` +
      `load it with: ctr image import ${request.output}\n`,
  );
  return ExitCode.ok;
}

/** The command line as a request, or "help"; throws `UsageError` naming what to add or fix. */
function parseRequest(args: readonly string[]): BuildRequest | "help" {
  const { values: o, positionals } = parseOptions(args, options);
  if (o.help) return "help";
  const [module, ...extra] = positionals;
  if (module === undefined) {
    throw new UsageError("missing MODULE.wasm: give the WebAssembly module to pack");
  }
  if (extra.length > 0) {
    throw new UsageError(
      `expected one module, got ${positionals.length}: ${positionals.join(" ")}`,
    );
  }
  if (o.name === undefined) {
    throw new UsageError(
      "missing --name: name the image, e.g. --name docker.io/library/app:latest",
    );
  }
  if (o.output === undefined) {
    throw new UsageError("missing -o OUT.tar: say where to write the image");
  }
  const entrypoint = o.entrypoint ?? `/${path.basename(module)}`;
  // The part before '#' is the file; '#export' selects a function (shim-protocol.md §6).
  const moduleInImage = entrypoint.split("#")[0] ?? "";
  if (!moduleInImage.startsWith("/") || moduleInImage === "/") {
    throw new UsageError(
      `--entrypoint ${JSON.stringify(entrypoint)}: must be an absolute path in the image, e.g. /app.wasm`,
    );
  }
  for (const item of o.env ?? []) keyValue("--env", item);
  return {
    name: o.name,
    output: o.output,
    module,
    moduleInImage,
    entrypoint,
    files: (o.file ?? []).map(splitFileOption),
    dirs: o.dir ?? [],
    platform: parsePlatformOption(o.platform ?? "wasip1/wasm"),
    ...(o.cmd === undefined ? {} : { cmd: o.cmd }),
    ...(o.env === undefined ? {} : { env: o.env }),
    ...(o.workdir === undefined ? {} : { workdir: o.workdir }),
    ...(o.label === undefined
      ? {}
      : { labels: Object.fromEntries(o.label.map((l) => keyValue("--label", l))) }),
  };
}

async function readModule(file: string, shown: string, mustBeWasm: boolean): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new CliFailure(`module ${shown} does not exist`);
    if (code === "EISDIR")
      throw new CliFailure(`module ${shown} is a directory; give the .wasm file`);
    throw err;
  }
  if (mustBeWasm && !WASM_MAGIC.every((b, i) => bytes[i] === b)) {
    throw new CliFailure(
      `${shown} is not a WebAssembly module (it does not start with \\0asm); ` +
        "give the compiled .wasm file, or --platform OS/ARCH for a non-wasm image",
    );
  }
  return bytes;
}

/** "SRC:DEST" → { src, dest }; SRC may itself contain ':', DEST must be absolute. */
function splitFileOption(spec: string): HostFile {
  const colon = spec.lastIndexOf(":");
  const src = spec.slice(0, colon);
  const dest = spec.slice(colon + 1);
  if (colon <= 0 || !dest.startsWith("/")) {
    throw new UsageError(
      `--file ${JSON.stringify(spec)}: expected SRC:DEST with an absolute DEST, e.g. --file ./hello.txt:/hello.txt`,
    );
  }
  return { src, dest };
}

/** A file, or a directory tree, depending on what SRC is on the host. */
async function fileEntry(
  { src, dest }: HostFile,
  resolve: (p: string) => string,
): Promise<LayerEntry> {
  const info = await stat(resolve(src)).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") throw new CliFailure(`--file ${src}:${dest}: ${src} does not exist`);
    throw err;
  });
  return info.isDirectory()
    ? { kind: "directory", path: dest, hostPath: resolve(src) }
    : { kind: "file", path: dest, hostPath: resolve(src) };
}

function parsePlatformOption(text: string): ReturnType<typeof parsePlatform> {
  try {
    return parsePlatform(text);
  } catch (err) {
    throw new UsageError(`--platform: ${(err as Error).message}`);
  }
}

/** reproducible-builds.org's SOURCE_DATE_EPOCH: a decimal count of seconds. */
function creationTime(epoch: string | undefined): Date | undefined {
  if (epoch === undefined || epoch === "") return undefined;
  if (!/^\d+$/.test(epoch)) {
    throw new CliFailure(
      `SOURCE_DATE_EPOCH=${epoch}: expected whole seconds since 1970, e.g. 1700000000`,
    );
  }
  return new Date(Number(epoch) * 1000);
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** `runwasi image build`. */
export const imageBuild: Command = {
  path: ["image", "build"],
  summary: "pack a WebAssembly module into an OCI image tar for 'ctr image import'",
  help,
  run,
};
