import initWabt from "wabt";

let wabt: ReturnType<typeof initWabt> | undefined;

/** Assembles WebAssembly text into a binary module. */
export async function watToBinary(name: string, text: string): Promise<Uint8Array> {
  const w = await (wabt ??= initWabt());
  const parsed = w.parseWat(name, text);
  try {
    parsed.resolveNames();
    parsed.validate();
    return parsed.toBinary({}).buffer;
  } finally {
    parsed.destroy();
  }
}
