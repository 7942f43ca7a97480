// The WASI calls that may wait (wasi/'s SUSPENDING_FUNCTIONS: a sleep, an empty or full pipe),
// with their wasm signatures: a co-hosted module takes the suspender in these (suspension.ts),
// and the co-hosting thread wraps them as suspending imports (co-host-runner.ts). Kept here, not
// imported from wasi/, so that the shim's main thread, which compiles modules, does not load the
// WASI host; co-host.test.ts checks that the two lists agree.

type ValueType = "i32" | "i64";

/** Parameters of each waiting call; each returns an i32 errno. */
export const waitingCallParams: Readonly<Record<string, readonly ValueType[]>> = {
  fd_pread: ["i32", "i32", "i32", "i64", "i32"],
  fd_pwrite: ["i32", "i32", "i32", "i64", "i32"],
  fd_read: ["i32", "i32", "i32", "i32"],
  fd_write: ["i32", "i32", "i32", "i32"],
  poll_oneoff: ["i32", "i32", "i32", "i32"],
  sock_recv: ["i32", "i32", "i32", "i32", "i32", "i32"],
  sock_send: ["i32", "i32", "i32", "i32", "i32"],
};

/** Whether an import is one of them (preview1 and wasi_unstable agree on these signatures). */
export function mayWait(module: string, name: string): boolean {
  return (
    (module === "wasi_snapshot_preview1" || module === "wasi_unstable") &&
    Object.hasOwn(waitingCallParams, name)
  );
}
