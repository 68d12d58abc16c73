;; int_overflow: i32.div_s of INT_MIN by -1 -> trap INTEGER_OVERFLOW.
;; _start -> $scale -> $signed_div.
(module $int_overflow
  (func $signed_div (param $a i32) (param $b i32) (result i32)
    (i32.div_s (local.get $a) (local.get $b)))
  (func $scale (param $x i32) (result i32)
    (call $signed_div (local.get $x) (i32.const -1)))
  (func $_start (export "_start")
    (drop (call $scale (i32.const 0x80000000))))
)
