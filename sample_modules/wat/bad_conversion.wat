;; bad_conversion: i32.trunc_f64_s of NaN -> trap BAD_CONVERSION_TO_INTEGER.
;; _start -> $to_int (the NaN comes from 0.0 / 0.0 computed at run time).
(module $bad_conversion
  (func $to_int (param $v f64) (result i32)
    (i32.trunc_f64_s (local.get $v)))
  (func $_start (export "_start")
    (local $zero f64)
    (drop (call $to_int (f64.div (local.get $zero) (local.get $zero)))))
)
