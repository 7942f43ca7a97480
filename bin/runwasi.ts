// The `runwasi` command-line tool (bundled to dist/bin/runwasi by scripts/build.js). All logic is
// in bin/runwasi/; this file only connects it to the process.
import { main } from "./runwasi/main.js";

// No top-level await: the bundle is CommonJS, for start-up time (architecture.md, "Shipping").
void main(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  cwd: process.cwd(),
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
