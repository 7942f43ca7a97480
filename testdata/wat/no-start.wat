;; A valid WASI-style module that lacks the `_start` export: a host must refuse to run it with an
;; error that names the missing export, not trap or hang.
(module
  (memory (export "memory") 1)
  (func (export "main") (result i32)
    i32.const 0))
