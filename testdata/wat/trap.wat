;; `_start` executes `unreachable`: a host must report a trap (not exit 0) and keep running others.
(module
  (memory (export "memory") 1)
  (func (export "_start")
    unreachable))
