// The engine tests' WAT assembler: wabt's, with names resolved (a test writes `$f`, not 3).
import initWabt from "wabt";

/** Assembles WAT text; `features` as wabt's (e.g. `{ threads: true }` for shared memories). */
export async function wat(
  text: string,
  features: Record<string, boolean> = {},
): Promise<Uint8Array> {
  const m = (await initWabt()).parseWat("test.wat", text, features);
  try {
    m.resolveNames();
    return m.toBinary({}).buffer;
  } finally {
    m.destroy();
  }
}
