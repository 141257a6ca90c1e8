;; Proves Wasm globals and memory start fresh: traps if a mutable global or a memory byte still
;; holds what an earlier invocation set, otherwise sets both and answers "fresh".
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $runs (mut i32) (i32.const 0))
  (data (i32.const 16) "Content-Type: text/plain\n\nfresh")
  (func (export "_start")
    (if (i32.ne (global.get $runs) (i32.const 0)) (then unreachable))
    (if (i32.ne (i32.load8_u (i32.const 512)) (i32.const 0)) (then unreachable))
    (global.set $runs (i32.const 1))
    (i32.store8 (i32.const 512) (i32.const 1))
    ;; iovec at 0: base 16, length 31
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 31))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
