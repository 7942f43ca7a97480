// Assembles one WebAssembly text file into a binary module with the `wabt` npm package, so the
// WAT test fixtures need no native toolchain: `node scripts/wat2wasm.js in.wat out.wasm`.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import initWabt from "wabt";

const [input, output] = process.argv.slice(2);
if (input === undefined || output === undefined) {
  console.error("usage: node scripts/wat2wasm.js IN.wat OUT.wasm");
  process.exit(2);
}
const wabt = await initWabt();
let module;
try {
  module = wabt.parseWat(input, readFileSync(input, "utf8"));
  module.validate();
} catch (err) {
  // wabt's messages already carry file:line:column.
  console.error(`wat2wasm: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
const { buffer } = module.toBinary({});
module.destroy();
mkdirSync(path.dirname(output), { recursive: true });
writeFileSync(output, buffer);
