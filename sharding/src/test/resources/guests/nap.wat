;; Sleeps in poll_oneoff on the monotonic clock for an hour, so its wall time ends it (504): a
;; guest that waits in the host for its whole request.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory 1)
  (func (export "_start")
    (local $errno i32)
    ;; One subscription at 0: a relative timeout on clock 1 (monotonic); the event goes to 64.
    (i32.store8 (i32.const 8) (i32.const 0))
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const 3600000000000))
    (i32.store16 (i32.const 40) (i32.const 0))
    (local.set $errno
      (call $poll_oneoff (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))
    (if (local.get $errno) (then (call $proc_exit (local.get $errno))))))
