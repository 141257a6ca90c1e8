;; Sleeps in poll_oneoff on the monotonic clock, then answers "rested": "_start" for 20 ms,
;; "forever" for an hour. Exits with the errno if poll_oneoff fails.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory 1)
  (data (i32.const 512) "Content-Type: text/plain\n\nrested")
  (func $sleep (param $nanos i64)
    (local $errno i32)
    ;; One subscription at 0: a relative timeout on clock 1 (monotonic); the event goes to 64.
    (i32.store8 (i32.const 8) (i32.const 0))
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (local.get $nanos))
    (i32.store16 (i32.const 40) (i32.const 0))
    (local.set $errno
      (call $poll_oneoff (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))
    (if (local.get $errno) (then (call $proc_exit (local.get $errno)))))
  (func $answer
    (i32.store (i32.const 256) (i32.const 512))
    (i32.store (i32.const 260) (i32.const 32))
    (drop (call $fd_write (i32.const 1) (i32.const 256) (i32.const 1) (i32.const 264))))
  (func (export "_start")
    (call $sleep (i64.const 20000000))
    (call $answer))
  (func (export "forever")
    (call $sleep (i64.const 3600000000000))
    (call $answer)))
