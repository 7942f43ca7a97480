// Test support (suspend.test.ts): a "suspend" Wasi starts a 30 s sleep, which is then interrupted
// (argv[2] "interrupt") or closed ("close"). Prints what the sleep rejected with; the process must
// then exit at once — no timer of the sleep may keep it alive.

import { Wasi } from "../index.js";

const interrupt = new Int32Array(new SharedArrayBuffer(4));
const wasi = new Wasi({ blocking: "suspend", interrupt });
const memory = new WebAssembly.Memory({ initial: 1 });
wasi.initialize({ exports: { memory } } as unknown as WebAssembly.Instance);
const view = new DataView(memory.buffer);
view.setUint8(8, 0); // a clock subscription: tag 0
view.setUint32(16, 1, true); // monotonic
view.setBigUint64(24, 30_000_000_000n, true); // 30 s
const poll = wasi.imports.wasi_snapshot_preview1.poll_oneoff as (...a: number[]) => unknown;
const sleeping = poll(0, 1024, 1, 2048) as Promise<number>;
sleeping.then(
  () => process.stdout.write("resolved\n"),
  (error: Error) => process.stdout.write(`${error.name}\n`),
);
setTimeout(() => {
  if (process.argv[2] === "close") {
    wasi.close();
  } else {
    Atomics.store(interrupt, 0, 1);
    Atomics.notify(interrupt, 0);
  }
}, 20);
