;; multi: an exotic module for binary readers, not a WASI program.
;; - imports of every kind: func, table, memory, global (immutable and mutable)
;; - three memories in total (one imported, two defined: multi-memory)
;; - exports of every kind: funcs, a table, memories, globals
;; - a start function
;; - active data segments into two different memories plus a passive one
;; - active, passive and declarative element segments
;; - a data-count section (emitted because memory.init / data.drop are used)
;; Host must provide: env.log (func (param i32 i32)), env.table (table 1 funcref),
;; env.memory (memory 1), env.base (global i32), env.counter (global (mut i32)).
;; The start function calls env.log(16, 19) and reads the string from memory
;; "heap" ("hello, multi-memory"), and increments env.counter.
(module $multi
  (type $binop (func (param i32 i32) (result i32)))
  (import "env" "log" (func $log (param i32 i32)))
  (import "env" "table" (table $host_table 1 funcref))
  (import "env" "memory" (memory $host_mem 1))
  (import "env" "base" (global $base i32))
  (import "env" "counter" (global $counter (mut i32)))

  (memory $heap (export "heap") 1 2)
  (memory $scratch (export "scratch") 1)
  (table $funcs (export "funcs") 4 funcref)
  (global $answer (export "answer") i32 (i32.const 42))
  (global $total (export "total") (mut i64) (i64.const 0))

  (data $greeting (memory $heap) (i32.const 16) "hello, multi-memory")
  (data $scratch_init (memory $scratch) (i32.const 0) "\01\02\03\04")
  (data $passive "passive bytes")

  (elem $active (table $funcs) (i32.const 0) func $add $mul)
  (elem $passive_elem func $sub)
  (elem $declared declare func $init)

  (func $add (export "add") (type $binop)
    (i32.add (local.get 0) (local.get 1)))
  (func $mul (type $binop)
    (i32.mul (local.get 0) (local.get 1)))
  (func $sub (type $binop)
    (i32.sub (local.get 0) (local.get 1)))

  (func $init
    ;; passive data -> heap[64..77), then drop it
    (memory.init $heap $passive (i32.const 64) (i32.const 0) (i32.const 13))
    (data.drop $passive)
    ;; passive element -> funcs[2], then drop it
    (table.init $funcs $passive_elem (i32.const 2) (i32.const 0) (i32.const 1))
    (elem.drop $passive_elem)
    ;; copy 4 bytes from scratch[0] to heap[128]
    (memory.copy $heap $scratch (i32.const 128) (i32.const 0) (i32.const 4))
    ;; the imported memory also gets a byte
    (i32.store8 $host_mem (i32.const 0) (i32.const 7))
    (global.set $total
      (i64.extend_i32_u
        (i32.add (global.get $base) (i32.load $heap (i32.const 128)))))
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (drop (ref.func $init))
    (call $log (i32.const 16) (i32.const 19)))
  (start $init)

  (func $call_slot (export "call_slot") (param $slot i32) (param $a i32) (param $b i32) (result i32)
    (call_indirect $funcs (type $binop) (local.get $a) (local.get $b) (local.get $slot)))

  (export "log" (func $log))
  (export "host_table" (table $host_table))
  (export "host_memory" (memory $host_mem))
  (export "base" (global $base))
)
