// JSPI as Node 20's V8 11.3 has it, behind `--experimental-wasm-stack-switching` (which must be
// on node's command line: set at run time, existing contexts lack it). suspension.ts lists what
// its tests established about it; Node's typings know none of it.

/** A function type as WebAssembly.Function takes it. */
export interface FunctionType {
  readonly parameters: readonly string[];
  readonly results: readonly string[];
}

export type JspiFunction = new (
  type: FunctionType,
  fn: (...args: never[]) => unknown,
  options: { suspending: "first" } | { promising: "first" },
) => (...args: unknown[]) => unknown;

/** WebAssembly.Function, if this V8 has JSPI. */
export const WasmFunction: JspiFunction | undefined = (
  WebAssembly as unknown as { Function?: JspiFunction }
).Function;

/** Whether this thread's V8 has JSPI (node was started with --experimental-wasm-stack-switching). */
export const hasJspi = (): boolean => typeof WasmFunction === "function";
