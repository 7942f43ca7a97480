// args, environ, random, proc_exit and proc_raise: the calls about the process rather than files.

import { Errno, errnoOf, WasiErrno } from "./errno.js";
import type { WasiContext } from "./context.js";
import { WasiExit } from "./exit.js";
import { utf8 } from "./memory.js";

/** NUL-terminated strings laid end to end, as args_get/environ_get copy them out. */
export interface StringTable {
  readonly count: number;
  readonly bytes: Uint8Array;
  /** Offset of each string in `bytes`. */
  readonly offsets: readonly number[];
}

/**
 * Encodes argv or environ on first use, then keeps it: most programs never ask (wasi-libc reads
 * args only for a main that takes them, environ only when the program looks at it).
 */
export function lazyStringTable(strings: readonly string[]): () => StringTable {
  const copy = [...strings];
  let table: StringTable | undefined;
  return () => (table ??= stringTable(copy));
}

/** NUL-terminated UTF-8 of every string, laid end to end. */
export function stringTable(strings: readonly string[]): StringTable {
  const parts = strings.map((s) => utf8(s + "\0"));
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  const offsets: number[] = [];
  let at = 0;
  for (const p of parts) {
    offsets.push(at);
    bytes.set(p, at);
    at += p.length;
  }
  return { count: strings.length, bytes, offsets };
}

/**
 * proc_raise's default actions (WASI `signal` numbers follow Linux's order): these are ignored,
 * every other valid signal terminates the program with 128 + signal, as a shell reports it.
 */
const IGNORED_SIGNALS = new Set([16 /* CHLD */, 17 /* CONT */, 22 /* URG */, 27 /* WINCH */]);
const MAX_SIGNAL = 30; // SYS

/** Creates args_*, environ_*, random_get and proc_*. */
export function createProcCalls(ctx: WasiContext, args: () => StringTable, env: () => StringTable) {
  const sizes = (tableOf: () => StringTable) => (countPtr: number, sizePtr: number) => {
    try {
      const table = tableOf();
      const { view } = ctx.mem.refresh();
      view.setUint32(countPtr, table.count, true);
      view.setUint32(sizePtr, table.bytes.length, true);
      return Errno.SUCCESS;
    } catch (error) {
      return errnoOf(error);
    }
  };
  const get = (tableOf: () => StringTable) => (pointers: number, buf: number) => {
    try {
      const table = tableOf();
      const mem = ctx.mem.refresh();
      mem.write(buf, table.bytes);
      table.offsets.forEach((offset, i) =>
        mem.view.setUint32(pointers + i * 4, buf + offset, true),
      );
      return Errno.SUCCESS;
    } catch (error) {
      return errnoOf(error);
    }
  };

  return {
    args_sizes_get: sizes(args),
    args_get: get(args),
    environ_sizes_get: sizes(env),
    environ_get: get(env),

    random_get(buf: number, len: number): number {
      try {
        const mem = ctx.mem.refresh();
        if (buf + len > mem.u8.length) throw new WasiErrno(Errno.FAULT);
        // getRandomValues fills at most 64 KiB per call (Web Crypto's quota).
        for (let at = 0; at < len; at += 65536) {
          crypto.getRandomValues(mem.u8.subarray(buf + at, buf + Math.min(len, at + 65536)));
        }
        return Errno.SUCCESS;
      } catch (error) {
        return errnoOf(error);
      }
    },

    proc_exit(code: number): number {
      throw new WasiExit(code >>> 0);
    },

    proc_raise(signal: number): number {
      if (signal === 0 || IGNORED_SIGNALS.has(signal)) return Errno.SUCCESS;
      if (signal < 0 || signal > MAX_SIGNAL) return Errno.INVAL;
      throw new WasiExit(128 + signal);
    },
  };
}
