;; Recurses to a fixed depth, then answers "deep enough": proves the call depth a guest can count
;; on with the configured guest stack. "bottomless" never stops recursing.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 16) "Content-Type: text/plain\n\ndeep enough")
  (func $down (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $down (i32.sub (local.get $n) (i32.const 1)))))))
  (func $answer
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 37))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (if (i32.ne (call $down (i32.const 10000)) (i32.const 10000)) (then unreachable))
    (call $answer))
  (func (export "bottomless")
    (drop (call $down (i32.const -1)))
    (call $answer)))
