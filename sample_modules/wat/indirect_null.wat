;; indirect_null: call_indirect through a table slot that was never
;; initialised (null funcref) -> trap INDIRECT_CALL_TO_NULL.
;; _start -> $run_handlers -> $dispatch (call_indirect, slot 1 is null).
(module $indirect_null
  (type $handler (func (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "dispatching to slot 1\n")
  (table $handlers 2 funcref)
  (elem (table $handlers) (i32.const 0) func $double)

  (func $double (type $handler) (param $x i32) (result i32)
    (i32.mul (local.get $x) (i32.const 2)))

  (func $print (param $ptr i32) (param $len i32)
    ;; iovec at address 0: {ptr, len}; bytes written at address 8
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  (func $dispatch (param $slot i32) (param $arg i32) (result i32)
    (call_indirect $handlers (type $handler)
      (local.get $arg)
      (local.get $slot)))

  (func $run_handlers (result i32)
    (local $sum i32)
    (local.set $sum (call $dispatch (i32.const 0) (i32.const 21)))
    (call $print (i32.const 64) (i32.const 22))
    (i32.add (local.get $sum) (call $dispatch (i32.const 1) (i32.const 21))))

  (func $_start (export "_start")
    (drop (call $run_handlers)))
)
