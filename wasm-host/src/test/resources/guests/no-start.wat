;; Exports no _start.
(module
  (memory 1)
  (func (export "main")))
