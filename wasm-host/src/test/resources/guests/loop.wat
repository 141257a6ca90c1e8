;; Never returns: used to prove the wall-time limit. Its memory lets tests see that a timed-out
;; run's memory is not reused.
(module
  (memory 1)
  (func (export "_start")
    (loop $forever
      (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
      (br $forever))))
