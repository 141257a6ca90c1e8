;; A greeting kept in the app's "default" key-value store: the first request finds no key
;; "greeting" (kv_get answers NOT_FOUND), stores one with kv_set and answers it; later requests,
;; on any node, read it back. The weave host ABI is described in docs/ABI.md.
(module
  (import "weave" "kv_open" (func $kv_open (param i32 i32 i32) (result i32)))
  (import "weave" "kv_get" (func $kv_get (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "weave" "kv_set" (func $kv_set (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; 0: two iovecs; 16: bytes written; 20: store handle; 24: value length
  (data (i32.const 64) "default")
  (data (i32.const 80) "greeting")
  (data (i32.const 96) "Content-Type: text/plain\n\n")
  (data (i32.const 128) "hello from the key-value store\n")
  (func (export "_start")
    (local $status i32)
    (local $value i32)
    (local $length i32)
    (if (call $kv_open (i32.const 64) (i32.const 7) (i32.const 20)) (then unreachable))
    ;; the value into 1024..2047
    (local.set $status
      (call $kv_get (i32.load (i32.const 20)) (i32.const 80) (i32.const 8)
        (i32.const 1024) (i32.const 1024) (i32.const 24)))
    (if (i32.eqz (local.get $status))
      (then
        (local.set $value (i32.const 1024))
        (local.set $length (i32.load (i32.const 24))))
      (else
        ;; 2: NOT_FOUND, the first visit; anything else is a failure.
        (if (i32.ne (local.get $status) (i32.const 2)) (then unreachable))
        (if (call $kv_set (i32.load (i32.const 20)) (i32.const 80) (i32.const 8)
              (i32.const 128) (i32.const 31))
          (then unreachable))
        (local.set $value (i32.const 128))
        (local.set $length (i32.const 31))))
    (i32.store (i32.const 0) (i32.const 96))
    (i32.store (i32.const 4) (i32.const 26))
    (i32.store (i32.const 8) (local.get $value))
    (i32.store (i32.const 12) (local.get $length))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 2) (i32.const 16)))))
