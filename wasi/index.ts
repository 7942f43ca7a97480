// The wasi/ library's front door: a WASI preview1 host in TypeScript over node:fs.

export { Wasi, PREVIEW1_FUNCTIONS, SUSPENDING_FUNCTIONS } from "./wasi.js";
export type { WasiOptions, WasiImports } from "./wasi.js";
export type { Preopen } from "./fd-table.js";
export type { Blocking } from "./wait.js";
export { WasiInterrupted, WasiExit } from "./exit.js";
export { Errno } from "./errno.js";
export type { ErrnoValue } from "./errno.js";
