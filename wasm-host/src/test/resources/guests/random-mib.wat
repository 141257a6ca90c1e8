;; Fills 1 MiB of its memory from random_get, checks the last word was written, answers "filled".
;; Exits with the errno if random_get fails, with 99 if the buffer's end is still zero.
(module
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory 17)
  (data (i32.const 16) "Content-Type: text/plain\n\nfilled")
  (func (export "_start")
    (local $errno i32)
    (local.set $errno (call $random_get (i32.const 0x10000) (i32.const 0x100000)))
    (if (local.get $errno) (then (call $proc_exit (local.get $errno))))
    (if (i64.eqz (i64.load (i32.const 0x10fff8))) (then (call $proc_exit (i32.const 99))))
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 32))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
