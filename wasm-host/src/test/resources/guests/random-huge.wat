;; Asks random_get for 2 GiB into a 64 KiB memory and exits with the errno it gets.
(module
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory 1)
  (func (export "_start") (call $proc_exit (call $random_get (i32.const 0) (i32.const 0x7fffffff)))))
