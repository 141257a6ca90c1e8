;; Imports a WASI function with the wrong type.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32) (result i32)))
  (memory 1)
  (func (export "_start")))
