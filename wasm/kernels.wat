;; walloc's hot loops in float32 WebAssembly SIMD (f32x4): the forward 2-D bior4.4 wavelet packet
;; transform (wpt2d), its inverse (iwpt2d) and the encoder's 1×1 projection (project).
;; JS side: src/simd/kernels.ts.
;;
;; wpt2d, forward 2-D bior4.4 (CDF 9/7): the same algorithm as the JavaScript kernels in
;; src/wavelets/dwt.ts (analyzeLevel2D): each level lifts every row along the width, and a
;; software pipeline of row buffers lifts along the height, so a level reads its input once and writes its four bands once, with no full-size intermediate.
;; Differences: float32 throughout (the JS path keeps float64 scratch), and the width lifting runs
;; its four steps as separate vector passes over the de-interleaved row (evens s, odds d), which
;; vectorises where the JS pipeline over pairs cannot. Periodic wrap: s[h] = s[0] and d[-1] = d[h-1]
;; before each step that reads them.
;;
;; Steps (Daubechies & Sweldens), s_i = x[2i], d_i = x[2i+1], indices periodic:
;;   d += A(s_i + s_{i+1});  s += B(d_{i-1} + d_i);  d += G(s_i + s_{i+1});  s += D(d_{i-1} + d_i)
;;   lo_i = Z s_i,  hi_i = -d_i / Z
;;
;; Memory is owned by the JS side (src/simd/kernels.ts), which lays out the scratch rows and the
;; two ping-pong buffers and leaves 64 bytes of slack after the last one: vector loops may read (not
;; write into anything live) up to 7 floats past a row's end.
;;
;; Rebuild: npm run build:wasm (wat2wasm from Debian's wabt); test/src/simd/kernels.test.ts checks
;; that the committed .wasm is this file compiled.
(module
  (memory (export "memory") 1)

  (global $A f32 (f32.const -1.586134342059924))
  (global $B f32 (f32.const -0.052980118572961))
  (global $G f32 (f32.const 0.882911075530934))
  (global $D f32 (f32.const 0.443506852043971))
  (global $Z f32 (f32.const 1.149604398860241))
  (global $ZH f32 (f32.const -0.8698644516247808))

  ;; x[i] += k * (y[i] + y[i+1]) for i in [0, h), in vectors of 4 (writes up to 3 past h).
  (func $stepNext (param $x i32) (param $y i32) (param $h i32) (param $k f32)
    (local $i i32) (local $end i32) (local $kv v128)
    (local.set $kv (f32x4.splat (local.get $k)))
    (local.set $end (i32.shl (local.get $h) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (v128.store
          (i32.add (local.get $x) (local.get $i))
          (f32x4.add
            (v128.load (i32.add (local.get $x) (local.get $i)))
            (f32x4.mul (local.get $kv)
              (f32x4.add
                (v128.load (i32.add (local.get $y) (local.get $i)))
                (v128.load offset=4 (i32.add (local.get $y) (local.get $i)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))

  ;; x[i] += k * (y[i-1] + y[i]) for i in [0, h), in vectors of 4 (writes up to 3 past h).
  (func $stepPrev (param $x i32) (param $y i32) (param $h i32) (param $k f32)
    (local $i i32) (local $end i32) (local $kv v128) (local $p i32)
    (local.set $kv (f32x4.splat (local.get $k)))
    (local.set $end (i32.shl (local.get $h) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $p (i32.add (local.get $y) (local.get $i)))
        (v128.store
          (i32.add (local.get $x) (local.get $i))
          (f32x4.add
            (v128.load (i32.add (local.get $x) (local.get $i)))
            (f32x4.mul (local.get $kv)
              (f32x4.add
                (v128.load (i32.sub (local.get $p) (i32.const 4)))
                (v128.load (local.get $p))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))

  ;; out[i] = k * x[i] for i in [0, h), in vectors of 4 (writes up to 3 past h).
  (func $scale (param $out i32) (param $x i32) (param $h i32) (param $k f32)
    (local $i i32) (local $end i32) (local $kv v128)
    (local.set $kv (f32x4.splat (local.get $k)))
    (local.set $end (i32.shl (local.get $h) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (v128.store (i32.add (local.get $out) (local.get $i))
          (f32x4.mul (local.get $kv) (v128.load (i32.add (local.get $x) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))

  ;; Width lifting of the n-float row at $src into $out: lo at out[0, h), hi at out[h, n).
  ;; $s, $d: scratch of h + 8 floats each, $d with one float of room before it (d[-1]).
  ;; $out needs 4 floats of slack after n.
  (func $hlift (param $src i32) (param $n i32) (param $out i32) (param $s i32) (param $d i32)
    (local $h i32) (local $i i32) (local $end i32) (local $p i32) (local $v0 v128) (local $v1 v128)
    (local.set $h (i32.shr_u (local.get $n) (i32.const 1)))
    (local.set $end (i32.shl (local.get $h) (i32.const 2)))
    ;; de-interleave: evens to s, odds to d
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $p (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 1))))
        (local.set $v0 (v128.load (local.get $p)))
        (local.set $v1 (v128.load offset=16 (local.get $p)))
        (v128.store (i32.add (local.get $s) (local.get $i))
          (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $v0) (local.get $v1)))
        (v128.store (i32.add (local.get $d) (local.get $i))
          (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $v0) (local.get $v1)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))
    ;; s[h] = s[0]
    (f32.store (i32.add (local.get $s) (local.get $end)) (f32.load (local.get $s)))
    (call $stepNext (local.get $d) (local.get $s) (local.get $h) (global.get $A))
    ;; d[-1] = d[h-1]
    (f32.store (i32.sub (local.get $d) (i32.const 4)) (f32.load (i32.sub (i32.add (local.get $d) (local.get $end)) (i32.const 4))))
    (call $stepPrev (local.get $s) (local.get $d) (local.get $h) (global.get $B))
    (f32.store (i32.add (local.get $s) (local.get $end)) (f32.load (local.get $s)))
    (call $stepNext (local.get $d) (local.get $s) (local.get $h) (global.get $G))
    (f32.store (i32.sub (local.get $d) (i32.const 4)) (f32.load (i32.sub (i32.add (local.get $d) (local.get $end)) (i32.const 4))))
    (call $stepPrev (local.get $s) (local.get $d) (local.get $h) (global.get $D))
    ;; lo first: its vector tail spills into the hi half, which the hi pass then overwrites
    (call $scale (local.get $out) (local.get $s) (local.get $h) (global.get $Z))
    (call $scale (i32.add (local.get $out) (local.get $end)) (local.get $d) (local.get $h) (global.get $ZH)))

  ;; Height lifting of $cnt columns, one pipeline step: sn is the new even row s_j, sp/dp the rows
  ;; s_{j-1}/d_{j-1}; d1p, s2p, d3p the pipeline rows (updated). Writes lo row j-2 to $lo and hi
  ;; row j-2 to $hi, exactly $cnt floats each (a vector body and a scalar tail).
  (func $vlift (param $sn i32) (param $sp i32) (param $dp i32) (param $d1p i32) (param $s2p i32) (param $d3p i32)
               (param $cnt i32) (param $lo i32) (param $hi i32)
    (local $i i32) (local $end i32) (local $vend i32)
    (local $s0 v128) (local $d1o v128) (local $s2o v128) (local $d1 v128) (local $s2 v128) (local $d3 v128) (local $s4 v128)
    (local $fs0 f32) (local $fd1o f32) (local $fs2o f32) (local $fd1 f32) (local $fs2 f32) (local $fd3 f32) (local $fs4 f32)
    (local.set $end (i32.shl (local.get $cnt) (i32.const 2)))
    (local.set $vend (i32.and (local.get $end) (i32.const -16)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $vend)))
        (local.set $s0 (v128.load (i32.add (local.get $sp) (local.get $i))))
        (local.set $d1o (v128.load (i32.add (local.get $d1p) (local.get $i))))
        (local.set $s2o (v128.load (i32.add (local.get $s2p) (local.get $i))))
        (local.set $d1 (f32x4.add (v128.load (i32.add (local.get $dp) (local.get $i)))
          (f32x4.mul (f32x4.splat (global.get $A)) (f32x4.add (local.get $s0) (v128.load (i32.add (local.get $sn) (local.get $i)))))))
        (local.set $s2 (f32x4.add (local.get $s0)
          (f32x4.mul (f32x4.splat (global.get $B)) (f32x4.add (local.get $d1o) (local.get $d1)))))
        (local.set $d3 (f32x4.add (local.get $d1o)
          (f32x4.mul (f32x4.splat (global.get $G)) (f32x4.add (local.get $s2o) (local.get $s2)))))
        (local.set $s4 (f32x4.add (local.get $s2o)
          (f32x4.mul (f32x4.splat (global.get $D)) (f32x4.add (v128.load (i32.add (local.get $d3p) (local.get $i))) (local.get $d3)))))
        (v128.store (i32.add (local.get $lo) (local.get $i)) (f32x4.mul (f32x4.splat (global.get $Z)) (local.get $s4)))
        (v128.store (i32.add (local.get $hi) (local.get $i)) (f32x4.mul (f32x4.splat (global.get $ZH)) (local.get $d3)))
        (v128.store (i32.add (local.get $d1p) (local.get $i)) (local.get $d1))
        (v128.store (i32.add (local.get $s2p) (local.get $i)) (local.get $s2))
        (v128.store (i32.add (local.get $d3p) (local.get $i)) (local.get $d3))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))
    (block $tdone
      (loop $tnext
        (br_if $tdone (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $fs0 (f32.load (i32.add (local.get $sp) (local.get $i))))
        (local.set $fd1o (f32.load (i32.add (local.get $d1p) (local.get $i))))
        (local.set $fs2o (f32.load (i32.add (local.get $s2p) (local.get $i))))
        (local.set $fd1 (f32.add (f32.load (i32.add (local.get $dp) (local.get $i)))
          (f32.mul (global.get $A) (f32.add (local.get $fs0) (f32.load (i32.add (local.get $sn) (local.get $i)))))))
        (local.set $fs2 (f32.add (local.get $fs0) (f32.mul (global.get $B) (f32.add (local.get $fd1o) (local.get $fd1)))))
        (local.set $fd3 (f32.add (local.get $fd1o) (f32.mul (global.get $G) (f32.add (local.get $fs2o) (local.get $fs2)))))
        (local.set $fs4 (f32.add (local.get $fs2o)
          (f32.mul (global.get $D) (f32.add (f32.load (i32.add (local.get $d3p) (local.get $i))) (local.get $fd3)))))
        (f32.store (i32.add (local.get $lo) (local.get $i)) (f32.mul (global.get $Z) (local.get $fs4)))
        (f32.store (i32.add (local.get $hi) (local.get $i)) (f32.mul (global.get $ZH) (local.get $fd3)))
        (f32.store (i32.add (local.get $d1p) (local.get $i)) (local.get $fd1))
        (f32.store (i32.add (local.get $s2p) (local.get $i)) (local.get $fs2))
        (f32.store (i32.add (local.get $d3p) (local.get $i)) (local.get $fd3))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $tnext))))

  ;; One 2-D level: src [C, H, W] → dst [C, 2 (width band), 2 (height band), H/2, W/2], the layout
  ;; of analyzeLevel2D. $scr: scratch for rows up to W wide, laid out as ten rows of
  ;; $stride bytes (sn, dn, sp, dp, d1p, s2p, d3p, dummy, s, d).
  (func $level (param $src i32) (param $dst i32) (param $C i32) (param $H i32) (param $W i32) (param $scr i32) (param $stride i32)
    (local $c i32) (local $j i32) (local $r i32) (local $h2 i32) (local $w2 i32) (local $plane i32) (local $base i32) (local $oLL i32)
    (local $sn i32) (local $dn i32) (local $sp i32) (local $dp i32) (local $d1p i32) (local $s2p i32) (local $d3p i32)
    (local $dummy i32) (local $hs i32) (local $hd i32) (local $t i32) (local $row i32) (local $lo i32) (local $hi i32) (local $rowB i32)
    (local $loB i32) (local $hiB i32) (local $half i32)
    (local.set $h2 (i32.shr_u (local.get $H) (i32.const 1)))
    (local.set $w2 (i32.shr_u (local.get $W) (i32.const 1)))
    (local.set $plane (i32.mul (local.get $h2) (local.get $w2)))
    (local.set $rowB (i32.shl (local.get $W) (i32.const 2)))
    (local.set $half (i32.shl (local.get $w2) (i32.const 2)))
    (local.set $d1p (i32.add (local.get $scr) (i32.mul (local.get $stride) (i32.const 4))))
    (local.set $s2p (i32.add (local.get $scr) (i32.mul (local.get $stride) (i32.const 5))))
    (local.set $d3p (i32.add (local.get $scr) (i32.mul (local.get $stride) (i32.const 6))))
    (local.set $dummy (i32.add (local.get $scr) (i32.mul (local.get $stride) (i32.const 7))))
    (local.set $hs (i32.add (local.get $scr) (i32.mul (local.get $stride) (i32.const 8))))
    (local.set $hd (i32.add (i32.add (local.get $scr) (i32.mul (local.get $stride) (i32.const 9))) (i32.const 16)))
    (local.set $c (i32.const 0))
    (block $cdone
      (loop $cnext
        (br_if $cdone (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $sn (local.get $scr))
        (local.set $dn (i32.add (local.get $scr) (local.get $stride)))
        (local.set $sp (i32.add (local.get $scr) (i32.mul (local.get $stride) (i32.const 2))))
        (local.set $dp (i32.add (local.get $scr) (i32.mul (local.get $stride) (i32.const 3))))
        ;; the pipeline state starts at zero (as in the JS path; the values it touches never reach an output)
        (memory.fill (local.get $sp) (i32.const 0) (i32.mul (local.get $stride) (i32.const 5)))
        (local.set $base (i32.add (local.get $src) (i32.mul (i32.mul (local.get $c) (local.get $H)) (local.get $rowB))))
        (local.set $oLL (i32.add (local.get $dst) (i32.shl (i32.mul (i32.mul (local.get $c) (i32.const 4)) (local.get $plane)) (i32.const 2))))
        (local.set $j (i32.const -2))
        (block $jdone
          (loop $jnext
            (br_if $jdone (i32.ge_s (local.get $j) (i32.add (local.get $h2) (i32.const 2))))
            ;; r = (2j mod H + H) mod H
            (local.set $r (i32.rem_s (i32.add (i32.rem_s (i32.shl (local.get $j) (i32.const 1)) (local.get $H)) (local.get $H)) (local.get $H)))
            (call $hlift (i32.add (local.get $base) (i32.mul (local.get $r) (local.get $rowB))) (local.get $W) (local.get $sn) (local.get $hs) (local.get $hd))
            (call $hlift (i32.add (i32.add (local.get $base) (i32.mul (local.get $r) (local.get $rowB))) (local.get $rowB)) (local.get $W) (local.get $dn) (local.get $hs) (local.get $hd))
            (if (i32.lt_s (local.get $j) (i32.const 2))
              (then
                (call $vlift (local.get $sn) (local.get $sp) (local.get $dp) (local.get $d1p) (local.get $s2p) (local.get $d3p)
                  (local.get $W) (local.get $dummy) (local.get $dummy)))
              (else
                (local.set $row (i32.shl (i32.mul (i32.sub (local.get $j) (i32.const 2)) (local.get $w2)) (i32.const 2)))
                (local.set $lo (i32.add (local.get $oLL) (local.get $row)))
                (local.set $hi (i32.add (local.get $lo) (i32.shl (local.get $plane) (i32.const 2))))
                ;; width-lo half → bands 0 (height lo) and 1 (height hi)
                (call $vlift (local.get $sn) (local.get $sp) (local.get $dp) (local.get $d1p) (local.get $s2p) (local.get $d3p)
                  (local.get $w2) (local.get $lo) (local.get $hi))
                ;; width-hi half → bands 2 and 3
                (local.set $loB (i32.add (local.get $lo) (i32.shl (local.get $plane) (i32.const 3))))
                (local.set $hiB (i32.add (local.get $loB) (i32.shl (local.get $plane) (i32.const 2))))
                (call $vlift
                  (i32.add (local.get $sn) (local.get $half)) (i32.add (local.get $sp) (local.get $half)) (i32.add (local.get $dp) (local.get $half))
                  (i32.add (local.get $d1p) (local.get $half)) (i32.add (local.get $s2p) (local.get $half)) (i32.add (local.get $d3p) (local.get $half))
                  (local.get $w2) (local.get $loB) (local.get $hiB))))
            ;; rotate: the new rows become the previous ones
            (local.set $t (local.get $sp)) (local.set $sp (local.get $sn)) (local.set $sn (local.get $t))
            (local.set $t (local.get $dp)) (local.set $dp (local.get $dn)) (local.set $dn (local.get $t))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $jnext)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $cnext))))

  ;; J levels ping-ponging between $a (holding the input) and $b; returns the buffer with the result.
  (func (export "wpt2d") (param $a i32) (param $b i32) (param $C i32) (param $H i32) (param $W i32) (param $J i32)
                         (param $scr i32) (param $stride i32) (result i32)
    (local $l i32) (local $t i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $l) (local.get $J)))
        (call $level (local.get $a) (local.get $b) (local.get $C) (local.get $H) (local.get $W) (local.get $scr) (local.get $stride))
        (local.set $t (local.get $a)) (local.set $a (local.get $b)) (local.set $b (local.get $t))
        (local.set $C (i32.shl (local.get $C) (i32.const 2)))
        (local.set $H (i32.shr_u (local.get $H) (i32.const 1)))
        (local.set $W (i32.shr_u (local.get $W) (i32.const 1)))
        (local.set $l (i32.add (local.get $l) (i32.const 1)))
        (br $next)))
    (local.get $a))

  ;; ---------------------------------------------------------------------------------------------
  ;; iwpt2d: the inverse, undoing the lifting steps in reverse order (the exact inverse of the
  ;; forward lifting, which equals pywt's idwt2 to rounding): per level, a pipeline of row buffers
  ;; undoes the height steps for both width halves straight from the four band planes, and each
  ;; finished row is then un-lifted along the width and interleaved into the output.
  ;;   s4 = lo/Z, d3 = -Z hi;  s2 = s4 - D(d3_{i-1} + d3_i);  d1 = d3 - G(s2_i + s2_{i+1})
  ;;   s = s2 - B(d1_{i-1} + d1_i);  d = d1 - A(s_i + s_{i+1});  x[2i] = s_i, x[2i+1] = d_i

  ;; Width inverse of the row at $row ([lo h | hi h], n = 2h floats) into the n floats at $out
  ;; (exactly n written). $s, $d as in $hlift.
  (func $hinv (param $row i32) (param $n i32) (param $out i32) (param $s i32) (param $d i32)
    (local $h i32) (local $end i32) (local $vend i32) (local $i i32) (local $o i32) (local $vs v128) (local $vd v128)
    (local.set $h (i32.shr_u (local.get $n) (i32.const 1)))
    (local.set $end (i32.shl (local.get $h) (i32.const 2)))
    (call $scale (local.get $s) (local.get $row) (local.get $h) (f32.div (f32.const 1) (global.get $Z)))
    (call $scale (local.get $d) (i32.add (local.get $row) (local.get $end)) (local.get $h) (f32.neg (global.get $Z)))
    (f32.store (i32.sub (local.get $d) (i32.const 4)) (f32.load (i32.sub (i32.add (local.get $d) (local.get $end)) (i32.const 4))))
    (call $stepPrev (local.get $s) (local.get $d) (local.get $h) (f32.neg (global.get $D)))
    (f32.store (i32.add (local.get $s) (local.get $end)) (f32.load (local.get $s)))
    (call $stepNext (local.get $d) (local.get $s) (local.get $h) (f32.neg (global.get $G)))
    (f32.store (i32.sub (local.get $d) (i32.const 4)) (f32.load (i32.sub (i32.add (local.get $d) (local.get $end)) (i32.const 4))))
    (call $stepPrev (local.get $s) (local.get $d) (local.get $h) (f32.neg (global.get $B)))
    (f32.store (i32.add (local.get $s) (local.get $end)) (f32.load (local.get $s)))
    (call $stepNext (local.get $d) (local.get $s) (local.get $h) (f32.neg (global.get $A)))
    ;; interleave s and d: whole vectors, then a scalar tail (the next output row follows directly)
    (local.set $vend (i32.and (local.get $end) (i32.const -16)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $vend)))
        (local.set $vs (v128.load (i32.add (local.get $s) (local.get $i))))
        (local.set $vd (v128.load (i32.add (local.get $d) (local.get $i))))
        (local.set $o (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 1))))
        (v128.store (local.get $o) (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $vs) (local.get $vd)))
        (v128.store offset=16 (local.get $o) (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $vs) (local.get $vd)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))
    (block $tdone
      (loop $tnext
        (br_if $tdone (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $o (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 1))))
        (f32.store (local.get $o) (f32.load (i32.add (local.get $s) (local.get $i))))
        (f32.store offset=4 (local.get $o) (f32.load (i32.add (local.get $d) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $tnext))))

  ;; Height inverse of $cnt columns, one pipeline step on input rows lo_i, hi_i: updates the state
  ;; rows d3p (d3_i), s2p (s2_i), d1p (d1_{i-1}), sp (s_{i-1}) and writes d_{i-2} to $dout. Exactly
  ;; $cnt floats per row (the two width halves share the rows).
  (func $ivlift (param $lo i32) (param $hi i32) (param $sp i32) (param $d1p i32) (param $s2p i32) (param $d3p i32) (param $dout i32) (param $cnt i32)
    (local $i i32) (local $end i32) (local $vend i32)
    (local $d3 v128) (local $s2 v128) (local $d1 v128) (local $sv v128) (local $od3 v128) (local $os2 v128) (local $od1 v128)
    (local $fd3 f32) (local $fs2 f32) (local $fd1 f32) (local $fs f32) (local $fod3 f32) (local $fos2 f32) (local $fod1 f32)
    (local.set $end (i32.shl (local.get $cnt) (i32.const 2)))
    (local.set $vend (i32.and (local.get $end) (i32.const -16)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $vend)))
        (local.set $od3 (v128.load (i32.add (local.get $d3p) (local.get $i))))
        (local.set $os2 (v128.load (i32.add (local.get $s2p) (local.get $i))))
        (local.set $od1 (v128.load (i32.add (local.get $d1p) (local.get $i))))
        (local.set $d3 (f32x4.mul (f32x4.splat (f32.neg (global.get $Z))) (v128.load (i32.add (local.get $hi) (local.get $i)))))
        (local.set $s2 (f32x4.sub
          (f32x4.div (v128.load (i32.add (local.get $lo) (local.get $i))) (f32x4.splat (global.get $Z)))
          (f32x4.mul (f32x4.splat (global.get $D)) (f32x4.add (local.get $od3) (local.get $d3)))))
        (local.set $d1 (f32x4.sub (local.get $od3) (f32x4.mul (f32x4.splat (global.get $G)) (f32x4.add (local.get $os2) (local.get $s2)))))
        (local.set $sv (f32x4.sub (local.get $os2) (f32x4.mul (f32x4.splat (global.get $B)) (f32x4.add (local.get $od1) (local.get $d1)))))
        (v128.store (i32.add (local.get $dout) (local.get $i))
          (f32x4.sub (local.get $od1) (f32x4.mul (f32x4.splat (global.get $A))
            (f32x4.add (v128.load (i32.add (local.get $sp) (local.get $i))) (local.get $sv)))))
        (v128.store (i32.add (local.get $d3p) (local.get $i)) (local.get $d3))
        (v128.store (i32.add (local.get $s2p) (local.get $i)) (local.get $s2))
        (v128.store (i32.add (local.get $d1p) (local.get $i)) (local.get $d1))
        (v128.store (i32.add (local.get $sp) (local.get $i)) (local.get $sv))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))
    (block $tdone
      (loop $tnext
        (br_if $tdone (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $fod3 (f32.load (i32.add (local.get $d3p) (local.get $i))))
        (local.set $fos2 (f32.load (i32.add (local.get $s2p) (local.get $i))))
        (local.set $fod1 (f32.load (i32.add (local.get $d1p) (local.get $i))))
        (local.set $fd3 (f32.mul (f32.neg (global.get $Z)) (f32.load (i32.add (local.get $hi) (local.get $i)))))
        (local.set $fs2 (f32.sub
          (f32.div (f32.load (i32.add (local.get $lo) (local.get $i))) (global.get $Z))
          (f32.mul (global.get $D) (f32.add (local.get $fod3) (local.get $fd3)))))
        (local.set $fd1 (f32.sub (local.get $fod3) (f32.mul (global.get $G) (f32.add (local.get $fos2) (local.get $fs2)))))
        (local.set $fs (f32.sub (local.get $fos2) (f32.mul (global.get $B) (f32.add (local.get $fod1) (local.get $fd1)))))
        (f32.store (i32.add (local.get $dout) (local.get $i))
          (f32.sub (local.get $fod1) (f32.mul (global.get $A) (f32.add (f32.load (i32.add (local.get $sp) (local.get $i))) (local.get $fs)))))
        (f32.store (i32.add (local.get $d3p) (local.get $i)) (local.get $fd3))
        (f32.store (i32.add (local.get $s2p) (local.get $i)) (local.get $fs2))
        (f32.store (i32.add (local.get $d1p) (local.get $i)) (local.get $fd1))
        (f32.store (i32.add (local.get $sp) (local.get $i)) (local.get $fs))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $tnext))))

  ;; One inverse 2-D level: src [C, 2 (width band), 2 (height band), H/2, W/2] → dst [C, H, W].
  ;; $scr: seven rows of $stride bytes (sp, d1p, s2p, d3p, dout, s, d).
  (func $ilevel (param $src i32) (param $dst i32) (param $C i32) (param $H i32) (param $W i32) (param $scr i32) (param $stride i32)
    (local $c i32) (local $i i32) (local $r i32) (local $h2 i32) (local $w2 i32) (local $planeB i32) (local $rowB i32) (local $half i32)
    (local $sp i32) (local $d1p i32) (local $s2p i32) (local $d3p i32) (local $dout i32) (local $hs i32) (local $hd i32)
    (local $b0 i32) (local $off i32) (local $out i32)
    (local.set $h2 (i32.shr_u (local.get $H) (i32.const 1)))
    (local.set $w2 (i32.shr_u (local.get $W) (i32.const 1)))
    (local.set $planeB (i32.shl (i32.mul (local.get $h2) (local.get $w2)) (i32.const 2)))
    (local.set $rowB (i32.shl (local.get $W) (i32.const 2)))
    (local.set $half (i32.shl (local.get $w2) (i32.const 2)))
    (local.set $sp (local.get $scr))
    (local.set $d1p (i32.add (local.get $scr) (local.get $stride)))
    (local.set $s2p (i32.add (local.get $scr) (i32.mul (local.get $stride) (i32.const 2))))
    (local.set $d3p (i32.add (local.get $scr) (i32.mul (local.get $stride) (i32.const 3))))
    (local.set $dout (i32.add (local.get $scr) (i32.mul (local.get $stride) (i32.const 4))))
    (local.set $hs (i32.add (local.get $scr) (i32.mul (local.get $stride) (i32.const 5))))
    (local.set $hd (i32.add (i32.add (local.get $scr) (i32.mul (local.get $stride) (i32.const 6))) (i32.const 16)))
    (block $cdone
      (loop $cnext
        (br_if $cdone (i32.ge_u (local.get $c) (local.get $C)))
        (memory.fill (local.get $scr) (i32.const 0) (i32.mul (local.get $stride) (i32.const 5)))
        (local.set $b0 (i32.add (local.get $src) (i32.mul (i32.mul (local.get $c) (i32.const 4)) (local.get $planeB))))
        (local.set $out (i32.add (local.get $dst) (i32.mul (i32.mul (local.get $c) (local.get $H)) (local.get $rowB))))
        (local.set $i (i32.const -2))
        (block $idone
          (loop $inext
            (br_if $idone (i32.gt_s (local.get $i) (i32.add (local.get $h2) (i32.const 1))))
            (local.set $r (i32.rem_s (i32.add (i32.rem_s (local.get $i) (local.get $h2)) (local.get $h2)) (local.get $h2)))
            (local.set $off (i32.shl (i32.mul (local.get $r) (local.get $w2)) (i32.const 2)))
            ;; width-lo half: bands 0 (height lo) and 1 (height hi); width-hi half: bands 2 and 3
            (call $ivlift
              (i32.add (local.get $b0) (local.get $off))
              (i32.add (i32.add (local.get $b0) (local.get $planeB)) (local.get $off))
              (local.get $sp) (local.get $d1p) (local.get $s2p) (local.get $d3p) (local.get $dout) (local.get $w2))
            (call $ivlift
              (i32.add (i32.add (local.get $b0) (i32.shl (local.get $planeB) (i32.const 1))) (local.get $off))
              (i32.add (i32.add (local.get $b0) (i32.mul (local.get $planeB) (i32.const 3))) (local.get $off))
              (i32.add (local.get $sp) (local.get $half)) (i32.add (local.get $d1p) (local.get $half)) (i32.add (local.get $s2p) (local.get $half))
              (i32.add (local.get $d3p) (local.get $half)) (i32.add (local.get $dout) (local.get $half)) (local.get $w2))
            ;; s_{i-1} → output row 2(i-1); d_{i-2} → output row 2(i-2)+1
            (if (i32.and (i32.ge_s (local.get $i) (i32.const 1)) (i32.le_s (local.get $i) (local.get $h2)))
              (then (call $hinv (local.get $sp) (local.get $W)
                (i32.add (local.get $out) (i32.mul (i32.shl (i32.sub (local.get $i) (i32.const 1)) (i32.const 1)) (local.get $rowB)))
                (local.get $hs) (local.get $hd))))
            (if (i32.ge_s (local.get $i) (i32.const 2))
              (then (call $hinv (local.get $dout) (local.get $W)
                (i32.add (local.get $out) (i32.mul (i32.add (i32.shl (i32.sub (local.get $i) (i32.const 2)) (i32.const 1)) (i32.const 1)) (local.get $rowB)))
                (local.get $hs) (local.get $hd))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $inext)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $cnext))))

  ;; J inverse levels from $a ([C·4^J, H/2^J, W/2^J]) to [C, H, W], ping-ponging with $b; returns
  ;; the buffer with the result. C, H, W are the output's.
  (func (export "iwpt2d") (param $a i32) (param $b i32) (param $C i32) (param $H i32) (param $W i32) (param $J i32)
                          (param $scr i32) (param $stride i32) (result i32)
    (local $l i32) (local $t i32)
    (local.set $l (i32.sub (local.get $J) (i32.const 1)))
    (block $done
      (loop $next
        (br_if $done (i32.lt_s (local.get $l) (i32.const 0)))
        (call $ilevel (local.get $a) (local.get $b)
          (i32.shl (local.get $C) (i32.shl (local.get $l) (i32.const 1)))
          (i32.shr_u (local.get $H) (local.get $l)) (i32.shr_u (local.get $W) (local.get $l))
          (local.get $scr) (local.get $stride))
        (local.set $t (local.get $a)) (local.set $a (local.get $b)) (local.set $b (local.get $t))
        (local.set $l (i32.sub (local.get $l) (i32.const 1)))
        (br $next)))
    (local.get $a))

  ;; project: out[n, p] = bias[n] + Σ_m w[m, n] · in[m, p], the encoder's 1×1 convolution over planar
  ;; data. $in: [M, P] (plane stride P floats); $w: [M, N4] transposed weights, N4 = N rounded up to
  ;; 4 with zero columns; $bias: N4 floats; $out: [N4, PS] with plane stride PS = P rounded up to 8.
  ;; Tiles of 4 outputs × 8 positions keep 8 accumulators in registers; the position loop is
  ;; outermost so the M input lines of a tile stay in L1 across the output groups. Reads up to 7
  ;; floats past the last plane (slack), writes only inside $out.
  (func (export "project") (param $in i32) (param $P i32) (param $M i32) (param $w i32) (param $bias i32) (param $N4 i32)
                           (param $out i32) (param $PS i32)
    (local $p i32) (local $n i32) (local $m i32) (local $x i32) (local $wp i32) (local $o i32) (local $planeB i32) (local $oplaneB i32)
    (local $a0 v128) (local $a1 v128) (local $b0 v128) (local $b1 v128) (local $c0 v128) (local $c1 v128) (local $e0 v128) (local $e1 v128)
    (local $x0 v128) (local $x1 v128) (local $k v128)
    (local.set $planeB (i32.shl (local.get $P) (i32.const 2)))
    (local.set $oplaneB (i32.shl (local.get $PS) (i32.const 2)))
    (block $pdone
      (loop $pnext
        (br_if $pdone (i32.ge_u (local.get $p) (local.get $P)))
        (local.set $n (i32.const 0))
        (block $ndone
          (loop $nnext
            (br_if $ndone (i32.ge_u (local.get $n) (local.get $N4)))
            (local.set $a0 (f32x4.splat (f32.load (i32.add (local.get $bias) (i32.shl (local.get $n) (i32.const 2))))))
            (local.set $b0 (f32x4.splat (f32.load offset=4 (i32.add (local.get $bias) (i32.shl (local.get $n) (i32.const 2))))))
            (local.set $c0 (f32x4.splat (f32.load offset=8 (i32.add (local.get $bias) (i32.shl (local.get $n) (i32.const 2))))))
            (local.set $e0 (f32x4.splat (f32.load offset=12 (i32.add (local.get $bias) (i32.shl (local.get $n) (i32.const 2))))))
            (local.set $a1 (local.get $a0)) (local.set $b1 (local.get $b0)) (local.set $c1 (local.get $c0)) (local.set $e1 (local.get $e0))
            (local.set $x (i32.add (local.get $in) (i32.shl (local.get $p) (i32.const 2))))
            (local.set $wp (i32.add (local.get $w) (i32.shl (local.get $n) (i32.const 2))))
            (local.set $m (local.get $M))
            (loop $mnext
              (local.set $x0 (v128.load (local.get $x)))
              (local.set $x1 (v128.load offset=16 (local.get $x)))
              (local.set $k (f32x4.splat (f32.load (local.get $wp))))
              (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $k) (local.get $x0))))
              (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $k) (local.get $x1))))
              (local.set $k (f32x4.splat (f32.load offset=4 (local.get $wp))))
              (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (local.get $k) (local.get $x0))))
              (local.set $b1 (f32x4.add (local.get $b1) (f32x4.mul (local.get $k) (local.get $x1))))
              (local.set $k (f32x4.splat (f32.load offset=8 (local.get $wp))))
              (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $k) (local.get $x0))))
              (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $k) (local.get $x1))))
              (local.set $k (f32x4.splat (f32.load offset=12 (local.get $wp))))
              (local.set $e0 (f32x4.add (local.get $e0) (f32x4.mul (local.get $k) (local.get $x0))))
              (local.set $e1 (f32x4.add (local.get $e1) (f32x4.mul (local.get $k) (local.get $x1))))
              (local.set $x (i32.add (local.get $x) (local.get $planeB)))
              (local.set $wp (i32.add (local.get $wp) (i32.shl (local.get $N4) (i32.const 2))))
              (local.set $m (i32.sub (local.get $m) (i32.const 1)))
              (br_if $mnext (i32.gt_s (local.get $m) (i32.const 0))))
            (local.set $o (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $n) (local.get $PS)) (local.get $p)) (i32.const 2))))
            (v128.store (local.get $o) (local.get $a0))
            (v128.store offset=16 (local.get $o) (local.get $a1))
            (local.set $o (i32.add (local.get $o) (local.get $oplaneB)))
            (v128.store (local.get $o) (local.get $b0))
            (v128.store offset=16 (local.get $o) (local.get $b1))
            (local.set $o (i32.add (local.get $o) (local.get $oplaneB)))
            (v128.store (local.get $o) (local.get $c0))
            (v128.store offset=16 (local.get $o) (local.get $c1))
            (local.set $o (i32.add (local.get $o) (local.get $oplaneB)))
            (v128.store (local.get $o) (local.get $e0))
            (v128.store offset=16 (local.get $o) (local.get $e1))
            (local.set $n (i32.add (local.get $n) (i32.const 4)))
            (br $nnext)))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $pnext))))
)
