;; Two entry points: `_start` (the default) and `hello`, chosen by a `#hello` suffix on the module
;; path (shim-protocol.md §6). Each prints a different line, so a test sees which one ran.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; iovec for "hello" at 0 (ptr, len), bytes at 16; iovec for "_start" at 64, bytes at 80.
  (data (i32.const 0) "\10\00\00\00\13\00\00\00")
  (data (i32.const 16) "Hello from export!\n")
  (data (i32.const 64) "\50\00\00\00\13\00\00\00")
  (data (i32.const 80) "Hello from _start!\n")
  (func $write_stdout (param $iovec i32)
    ;; fd 1, one iovec; the count of bytes written goes to offset 128 and is not checked.
    (drop (call $fd_write (i32.const 1) (local.get $iovec) (i32.const 1) (i32.const 128))))
  (func (export "hello")
    (call $write_stdout (i32.const 0)))
  (func (export "_start")
    (call $write_stdout (i32.const 64))))
