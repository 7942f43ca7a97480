;; `_start` calls proc_exit(42): a host must report exit status 42.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (call $proc_exit (i32.const 42))
    ;; proc_exit never returns; reaching this line is a host bug, and shows as a trap.
    unreachable))
