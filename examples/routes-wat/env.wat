;; A WAGI guest in plain WebAssembly text: answers with every environment variable it was
;; given, one per line, so each route shows what Spin's router put in X_MATCHED_ROUTE,
;; PATH_INFO, X_PATH_MATCH_<NAME> and friends.
(module
  (import "wasi_snapshot_preview1" "environ_sizes_get"
    (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get"
    (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))

  ;; One page to start, at most 16 (1 MiB) for a large environment.
  (memory (export "memory") 1 16)

  ;; Layout: 0 header, 32 "too large" message, 64 iovec, 72 nwritten, 76 count, 80 size,
  ;; 1024 the environ pointer array, then the strings.
  (data (i32.const 0) "Content-Type: text/plain\n\n")
  (data (i32.const 32) "environment too large\n")

  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 64) (local.get $ptr))
    (i32.store (i32.const 68) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 64) (i32.const 1) (i32.const 72))))

  (func (export "_start")
    (local $strings i32) (local $size i32) (local $end i32) (local $have i32) (local $p i32)
    (call $write (i32.const 0) (i32.const 26))
    (drop (call $environ_sizes_get (i32.const 76) (i32.const 80)))
    (local.set $size (i32.load (i32.const 80)))
    (local.set $strings
      (i32.add (i32.const 1024) (i32.mul (i32.load (i32.const 76)) (i32.const 4))))
    (local.set $end (i32.add (local.get $strings) (local.get $size)))
    (local.set $have (i32.mul (memory.size) (i32.const 65536)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq
              (memory.grow
                (i32.div_u
                  (i32.add (i32.sub (local.get $end) (local.get $have)) (i32.const 65535))
                  (i32.const 65536)))
              (i32.const -1))
          (then
            (call $write (i32.const 32) (i32.const 22))
            (return)))))
    (drop (call $environ_get (i32.const 1024) (local.get $strings)))
    ;; Each variable ends with NUL: turn those into newlines and write the block at once.
    (local.set $p (local.get $strings))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (if (i32.eqz (i32.load8_u (local.get $p)))
          (then (i32.store8 (local.get $p) (i32.const 10))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (call $write (local.get $strings) (local.get $size))))
