;; Imports a function no host provides.
(module
  (import "env" "mystery" (func $mystery))
  (func (export "_start")
    call $mystery))
