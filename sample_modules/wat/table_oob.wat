;; table_oob: call_indirect with an index past the end of the table
;; -> trap TABLE_OUT_OF_BOUNDS.  _start -> $pick -> $call_slot.
(module $table_oob
  (type $thunk (func (result i32)))
  (table $slots 2 funcref)
  (elem (table $slots) (i32.const 0) func $one $two)
  (func $one (type $thunk) (i32.const 1))
  (func $two (type $thunk) (i32.const 2))
  (func $call_slot (param $i i32) (result i32)
    (call_indirect $slots (type $thunk) (local.get $i)))
  (func $pick (result i32)
    (i32.add (call $call_slot (i32.const 1)) (call $call_slot (i32.const 5))))
  (func $_start (export "_start")
    (drop (call $pick)))
)
