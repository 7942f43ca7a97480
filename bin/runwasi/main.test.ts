// The runwasi tool, driven in-process through `main` with a recording CliIo; the images it writes
// are read back with GNU tar, as a consumer would.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it, type TestContext } from "node:test";
import { ExitCode, type CliIo, type Command } from "./command.js";
import { main } from "./main.js";

/** Eight bytes: the smallest valid WebAssembly module. */
const WASM = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

interface Run {
  code: number;
  out: string;
  err: string;
}

/** A temp dir holding app.wasm and a few host files, plus a `runwasi` bound to it as cwd. */
function workspace(t: TestContext) {
  const cwd = mkdtempSync(path.join(tmpdir(), "runwasi-cli-"));
  t.after(() => rmSync(cwd, { recursive: true, force: true }));
  writeFileSync(path.join(cwd, "app.wasm"), WASM);
  writeFileSync(path.join(cwd, "hello.txt"), "hello\n");
  mkdirSync(path.join(cwd, "static/css"), { recursive: true });
  writeFileSync(path.join(cwd, "static/css/site.css"), "p{}");
  const runwasi = async (
    argv: string[],
    env: Record<string, string> = {},
    table?: Command[],
  ): Promise<Run> => {
    let out = "";
    let err = "";
    const io: CliIo = { out: (s) => void (out += s), err: (s) => void (err += s), cwd, env };
    const code = await main(argv, io, table);
    return { code, out, err };
  };
  return { cwd, runwasi };
}

/** Extracts an image tar and returns its config and its layer's member list. */
function readImage(t: TestContext, tarFile: string) {
  const dir = mkdtempSync(path.join(tmpdir(), "runwasi-img-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync("tar", ["-xf", tarFile, "-C", dir]);
  const blob = (digest: string): Buffer =>
    readFileSync(path.join(dir, "blobs", ...digest.split(":")));
  const index = JSON.parse(readFileSync(path.join(dir, "index.json"), "utf8")) as {
    manifests: { digest: string; annotations: Record<string, string> }[];
  };
  const entry = index.manifests[0];
  assert.ok(entry);
  const manifest = JSON.parse(blob(entry.digest).toString()) as {
    config: { digest: string };
    layers: { digest: string }[];
  };
  const config = JSON.parse(blob(manifest.config.digest).toString()) as {
    os: string;
    architecture: string;
    created?: string;
    config: Record<string, unknown>;
  };
  const layer = path.join(dir, "layer.tar");
  writeFileSync(layer, blob(manifest.layers[0]?.digest ?? ""));
  const members = execFileSync("tar", ["-tvf", layer], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((l) => {
      const f = l.split(/\s+/);
      return `${f[0]} ${f.slice(5).join(" ")}`;
    });
  return { name: entry.annotations["io.containerd.image.name"], config, members };
}

describe("runwasi", () => {
  it("--help lists the commands and the exit codes on stdout, exit 0", async (t) => {
    const r = await workspace(t).runwasi(["--help"]);
    assert.equal(r.code, ExitCode.ok);
    assert.match(r.out, /^Usage: runwasi COMMAND/);
    assert.match(r.out, /image build +pack a WebAssembly module/);
    assert.match(r.out, /Exit codes: 0 success, 1 the command failed, 2 the command line is wrong/);
    assert.equal(r.err, "");
  });

  it("with no arguments prints the usage on stderr, exit 2", async (t) => {
    const r = await workspace(t).runwasi([]);
    assert.equal(r.code, ExitCode.usage);
    assert.match(r.err, /^Usage: runwasi COMMAND/);
  });

  it("names an unknown command and points to --help, exit 2", async (t) => {
    const { runwasi } = workspace(t);
    assert.deepEqual(await runwasi(["imag"]), {
      code: 2,
      out: "",
      err: "runwasi: unknown command 'imag'. Run 'runwasi --help' for the list.\n",
    });
    assert.match((await runwasi(["image", "bild"])).err, /unknown command 'image bild'/);
  });

  it("lists a group's commands for `runwasi image` and `runwasi help image`", async (t) => {
    const { runwasi } = workspace(t);
    const alone = await runwasi(["image"]);
    assert.equal(alone.code, ExitCode.usage);
    assert.match(alone.err, /Usage: runwasi image COMMAND/);
    const asked = await runwasi(["help", "image"]);
    assert.equal(asked.code, ExitCode.ok);
    assert.match(asked.out, /image build/);
  });

  it("prints a command's help for `help image build` and `image build --help`", async (t) => {
    const { runwasi } = workspace(t);
    const a = await runwasi(["help", "image", "build"]);
    const b = await runwasi(["image", "build", "--help"]);
    assert.equal(a.code, ExitCode.ok);
    assert.equal(a.out, b.out);
    assert.match(a.out, /^Usage: runwasi image build --name NAME -o OUT.tar/);
  });

  it("reports an unexpected exception as an internal error, exit 1", async (t) => {
    const broken: Command = {
      path: ["boom"],
      summary: "fails",
      help: "",
      run: () => Promise.reject(new Error("kaput")),
    };
    const r = await workspace(t).runwasi(["boom"], {}, [broken]);
    assert.equal(r.code, ExitCode.failure);
    assert.match(r.err, /^runwasi boom: internal error, please report it:\nError: kaput/);
  });
});

describe("runwasi image build", () => {
  it("places the module at /<file name> and makes it the entrypoint", async (t) => {
    const { cwd, runwasi } = workspace(t);
    const r = await runwasi(["image", "build", "--name", "app", "-o", "out/app.tar", "app.wasm"]);
    assert.equal(r.err, "");
    assert.equal(r.code, ExitCode.ok);
    assert.match(
      r.out,
      /^wrote out\/app.tar: docker.io\/library\/app:latest \(sha256:[0-9a-f]{64}, /,
    );
    assert.match(r.out, /load it with: ctr image import out\/app.tar\n$/);
    const image = readImage(t, path.join(cwd, "out/app.tar"));
    assert.equal(image.name, "docker.io/library/app:latest");
    assert.equal(image.config.os, "wasip1");
    assert.equal(image.config.architecture, "wasm");
    assert.deepEqual(image.config.config, { Entrypoint: ["/app.wasm"] });
    assert.deepEqual(image.members, ["-rwxr-xr-x app.wasm"]);
  });

  it("puts every option into the image: files, trees, dirs, env, cmd, workdir, labels", async (t) => {
    const { cwd, runwasi } = workspace(t);
    const r = await runwasi([
      "image", "build", "--name", "docker.io/library/full:v1",
      "--entrypoint", "/opt/main.wasm#serve",
      "--file", "hello.txt:/etc/hello.txt", "--file", "static:/www",
      "--dir", "/data", "--env", "A=1", "--env", "B=x=y", "--cmd=--port", "--cmd", "80",
      "--workdir", "/data", "--label", "org.example=yes", "--platform", "wasi/wasm",
      "-o", "full.tar", "app.wasm",
    ]); // prettier-ignore
    assert.equal(r.err, "");
    assert.equal(r.code, ExitCode.ok);
    const image = readImage(t, path.join(cwd, "full.tar"));
    assert.equal(image.config.os, "wasi");
    assert.deepEqual(image.config.config, {
      Env: ["A=1", "B=x=y"],
      Entrypoint: ["/opt/main.wasm#serve"],
      Cmd: ["--port", "80"],
      WorkingDir: "/data",
      Labels: { "org.example": "yes" },
    });
    assert.deepEqual(image.members, [
      "drwxr-xr-x data/",
      "drwxr-xr-x etc/",
      "-rw-r--r-- etc/hello.txt",
      "drwxr-xr-x opt/",
      "-rwxr-xr-x opt/main.wasm",
      "drwxr-xr-x www/",
      "drwxr-xr-x www/css/",
      "-rw-r--r-- www/css/site.css",
    ]);
  });

  it("gives byte-identical tars for the same inputs, and honours SOURCE_DATE_EPOCH", async (t) => {
    const { cwd, runwasi } = workspace(t);
    const args = ["image", "build", "--name", "app", "--file", "static:/s", "app.wasm", "-o"];
    await runwasi([...args, "a.tar"]);
    await runwasi([...args, "b.tar"]);
    assert.deepEqual(readFileSync(path.join(cwd, "a.tar")), readFileSync(path.join(cwd, "b.tar")));
    const r = await runwasi([...args, "c.tar"], { SOURCE_DATE_EPOCH: "1700000000" });
    assert.equal(r.code, ExitCode.ok);
    assert.equal(readImage(t, path.join(cwd, "c.tar")).config.created, "2023-11-14T22:13:20.000Z");
  });

  it("answers command-line mistakes with what to add or fix, exit 2", async (t) => {
    const { runwasi } = workspace(t);
    const cases: [string[], RegExp][] = [
      [["-o", "x.tar", "app.wasm"], /missing --name: name the image, e\.g\. --name docker\.io/],
      [["--name", "app", "app.wasm"], /missing -o OUT\.tar/],
      [["--name", "app", "-o", "x.tar"], /missing MODULE\.wasm/],
      [["--name", "app", "-o", "x.tar", "a.wasm", "b.wasm"], /expected one module, got 2/],
      [["--nme", "app"], /Unknown option '--nme'/],
      [
        ["--name", "app", "-o", "x.tar", "--env", "NOVALUE", "app.wasm"],
        /--env "NOVALUE": expected KEY=VALUE/,
      ],
      [
        ["--name", "app", "-o", "x.tar", "--file", "hello.txt", "app.wasm"],
        /--file "hello.txt": expected SRC:DEST/,
      ],
      [
        ["--name", "app", "-o", "x.tar", "--entrypoint", "app.wasm", "app.wasm"],
        /must be an absolute path/,
      ],
      [["--name", "app", "-o", "x.tar", "--platform", "linux", "app.wasm"], /expected OS\/ARCH/],
    ];
    for (const [args, message] of cases) {
      const r = await runwasi(["image", "build", ...args]);
      assert.equal(r.code, ExitCode.usage, args.join(" "));
      assert.match(r.err, message, args.join(" "));
      assert.match(r.err, /Run 'runwasi image build --help' for usage\.\n$/);
    }
  });

  it("fails with exit 1 and a message naming the problem when inputs are wrong", async (t) => {
    const { runwasi } = workspace(t);
    const cases: [string[], string][] = [
      [["--name", "app", "-o", "x.tar", "nope.wasm"], "module nope.wasm does not exist"],
      [["--name", "app", "-o", "x.tar", "hello.txt"], "hello.txt is not a WebAssembly module"],
      [["--name", "App", "-o", "x.tar", "app.wasm"], 'invalid image name "App"'],
      [
        ["--name", "app", "-o", "x.tar", "--file", "gone:/g", "app.wasm"],
        "--file gone:/g: gone does not exist",
      ],
      [
        ["--name", "app", "-o", "x.tar", "--file", "hello.txt:/app.wasm", "app.wasm"],
        "/app.wasm is given twice",
      ],
      [["--name", "app", "-o", "hello.txt/x.tar", "app.wasm"], "cannot build hello.txt/x.tar"],
    ];
    for (const [args, message] of cases) {
      const r = await runwasi(["image", "build", ...args]);
      assert.equal(r.code, ExitCode.failure, args.join(" "));
      assert.ok(r.err.startsWith(`runwasi image build: ${message}`), r.err);
    }
  });
});
