/**
 * One level of the periodized discrete wavelet transform along one axis of a row-major N-D array,
 * bit-for-bit the index arithmetic of PyWavelets `dwt(..., mode='periodization')`:
 *
 *   analysis   lo[k] = Σ_m decLo[m]·x[(2k + L/2 − m) mod n]          (hi likewise with decHi)
 *   synthesis  y[(2k + m − L/2 + 1) mod n] += recLo[m]·lo[k] + recHi[m]·hi[k]
 *
 * with L the (zero-padded) filter length: 10 for bior4.4, 2 for haar. The formulas hold for every
 * even n, including n < L where the wrap goes round the signal several times (checked against pywt
 * down to n = 2), which the deepest levels of a packet tree do reach.
 *
 * The kernels are written out per wavelet instead of looping over taps: bior4.4's taps are
 * symmetric, so folding x[i−t] + x[i+t] before multiplying halves the multiplies, and a sliding
 * window of locals keeps every input sample to one load. The periodic wrap never appears inside a
 * hot loop: contiguous rows are first copied into a periodically extended scratch row, and when the
 * axis is not the last one whole rows are combined, so the wrap is resolved once per row index.
 *
 * Forward bior4.4 over contiguous rows, and the fused 2-D level every image model runs
 * ({@link analyzeLevel2D}), use the CDF 9/7 lifting factorization instead (6 multiplies per pair
 * instead of 9, float64 throughout): same phase, results within float32 rounding of the
 * convolution (max |Δ| 4.8e−7 on a 1080p J=3 packet transform with |c| ≤ 4.4).
 */
import { werr } from '../errors.js';
import { filterBank, type FilterBank } from './filters.js';

/** A wavelet given by name (`'bior4.4'`, `'haar'`) or as a filter bank from {@link filterBank}. */
export type WaveletLike = string | FilterBank;

const resolve = (w: WaveletLike): FilterBank => (typeof w === 'string' ? filterBank(w) : w);

// Symmetric bior4.4 taps, taken from the bank so filters.ts stays the one source of truth.
// Names: analysis low Lt (centre tap and its ±t neighbours), analysis high Ht around x[2k+1];
// synthesis even outputs from lo Pe*/hi Qe*, odd outputs from lo Po*/hi Qo*.
const B = filterBank('bior4.4');
const L0 = B.decLo[5]!, L1 = B.decLo[4]!, L2 = B.decLo[3]!, L3 = B.decLo[2]!, L4 = B.decLo[1]!;
const H0 = B.decHi[4]!, H1 = B.decHi[5]!, H2 = B.decHi[6]!, H3 = B.decHi[7]!;
const PE0 = B.recLo[4]!, PE1 = B.recLo[2]!;
const QE0 = B.recHi[4]!, QE1 = B.recHi[2]!;
const PO0 = B.recLo[5]!, PO1 = B.recLo[7]!;
const QO0 = B.recHi[5]!, QO1 = B.recHi[3]!, QO2 = B.recHi[1]!;
const HA = filterBank('haar');
const HL0 = HA.decLo[0]!, HL1 = HA.decLo[1]!, HH0 = HA.decHi[0]!, HH1 = HA.decHi[1]!;
const HR0 = HA.recLo[0]!, HR1 = HA.recLo[1]!, HS0 = HA.recHi[0]!, HS1 = HA.recHi[1]!;

// bior4.4 is CDF 9/7, so the forward transform also factors into four lifting steps and a
// scaling (Daubechies & Sweldens 1998), with s_i = x[2i], d_i = x[2i+1] and periodic indices:
//   d += α(s_i + s_{i+1});  s += β(d_{i−1} + d_i);  d += γ(s_i + s_{i+1});  s += δ(d_{i−1} + d_i)
//   lo_i = ζ·s_i,  hi_i = −d_i/ζ
// That is pywt's periodization phase exactly (lo_i centred on x[2i], hi_i on x[2i+1]; checked
// against the convolution above down to n = 2) with 6 multiplies per pair instead of 9. The
// constants agree with the pywt taps to ~1e−12 relative, far below float32 rounding.
const LA = -1.586134342059924, LB = -0.052980118572961, LG = 0.882911075530934, LD = 0.443506852043971;
const LZ = 1.149604398860241, LZH = -1 / LZ;

/**
 * Forward bior4.4 lifting of the contiguous length-`n` row at `x[s..]` into float64 `e`:
 * lo_k at e[k + 2], hi_k at e[h + 4 + k] (h = n/2; e needs n + 4 entries). The steps run as one
 * software pipeline over input pairs j = −2 … h+1: pair j completes step 1 of j−1, step 2 of
 * j−1, step 3 of j−2 and step 4 of j−2, so outputs lag two pairs. The state starts at zero; the
 * values it pollutes (indices below −1) never reach an output.
 */
function liftRow(x: Float32Array, s: number, n: number, e: Float64Array): void {
  const a = LA, b = LB, g = LG, dd = LD, z = LZ, zh = LZH;
  const h = n >> 1;
  const H = h + 2; // start of the hi region, minus the 2 slots of pipeline lag
  let sp = 0, dp = 0, d1p = 0, s2p = 0, d3p = 0;
  // pairs −2, −1 (wrapped): fill the pipeline, nothing to emit
  for (let j = -2; j < 0; j++) {
    const i = ((2 * j) % n + n) % n;
    const sn = x[s + i]!, dn = x[s + i + 1]!;
    const d1 = dp + a * (sp + sn), s2 = sp + b * (d1p + d1), d3 = d1p + g * (s2p + s2);
    sp = sn; dp = dn; d1p = d1; s2p = s2; d3p = d3;
  }
  // pairs 0 … h−1: output index j − 2 lands at e[j] and e[H + j] (the first two are slack)
  for (let j = 0, i = s; j < h; j++, i += 2) {
    const sn = x[i]!, dn = x[i + 1]!;
    const d1 = dp + a * (sp + sn);
    const s2 = sp + b * (d1p + d1);
    const d3 = d1p + g * (s2p + s2);
    const s4 = s2p + dd * (d3p + d3);
    e[j] = z * s4;
    e[H + j] = zh * d3;
    sp = sn; dp = dn; d1p = d1; s2p = s2; d3p = d3;
  }
  // pairs h, h+1 (wrapped to the start)
  for (let j = h; j < h + 2; j++) {
    const i = (2 * j) % n;
    const sn = x[s + i]!, dn = x[s + i + 1]!;
    const d1 = dp + a * (sp + sn);
    const s2 = sp + b * (d1p + d1);
    const d3 = d1p + g * (s2p + s2);
    const s4 = s2p + dd * (d3p + d3);
    e[j] = z * s4;
    e[H + j] = zh * d3;
    sp = sn; dp = dn; d1p = d1; s2p = s2; d3p = d3;
  }
}

/**
 * The vertical half of one fused 2-D lifting level, for columns [c0, c1) of the width-lifted rows:
 * `sn` is the new even row s_j; `sp`, `dp` rows s_{j−1}, d_{j−1}; `d1p`, `s2p`, `d3p` the pipeline
 * rows (updated in place). Writes lo row j−2 at out[oLo..] and hi row j−2 at out[oHi..].
 */
function liftCols(
  sn: Float64Array, sp: Float64Array, dp: Float64Array, d1p: Float64Array, s2p: Float64Array, d3p: Float64Array,
  c0: number, c1: number, out: Float32Array, oLo: number, oHi: number,
): void {
  const a = LA, b = LB, g = LG, dd = LD, z = LZ, zh = LZH;
  for (let c = c0, ol = oLo - c0, oh = oHi - c0; c < c1; c++) {
    const s0 = sp[c]!, d1o = d1p[c]!, s2o = s2p[c]!;
    const d1 = dp[c]! + a * (s0 + sn[c]!);
    const s2 = s0 + b * (d1o + d1);
    const d3 = d1o + g * (s2o + s2);
    const s4 = s2o + dd * (d3p[c]! + d3);
    out[ol + c] = z * s4;
    out[oh + c] = zh * d3;
    d1p[c] = d1; s2p[c] = s2; d3p[c] = d3;
  }
}

/** Scratch of {@link analyzeLevel2D} for rows up to `w` wide. */
export interface Level2DScratch { rows: Float64Array[]; dummy: Float32Array; w: number }

/**
 * Scratch for {@link analyzeLevel2D} on rows of width up to `w`; reuse it across levels.
 *
 * @example
 * const scratch = level2DScratch(1920);
 */
export function level2DScratch(w: number): Level2DScratch {
  const rows: Float64Array[] = [];
  for (let i = 0; i < 7; i++) rows.push(new Float64Array(w + 4));
  return { rows, dummy: new Float32Array(w + 4), w };
}

/**
 * One whole 2-D bior4.4 analysis level, width then height, fused into one sweep: reads `src` as
 * [C, H, W] and writes `dst` as [C, 2 (width band), 2 (height band), H/2, W/2], i.e. exactly what
 * `analyzeAxis` over the width (P = C) then over the height (P = 2C, B = W/2) produces, without
 * the intermediate full-size buffer: rows are width-lifted into float64 as the vertical lifting
 * pipeline needs them (rows wrap periodically), and the vertical steps run on whole rows.
 *
 * @example
 * analyzeLevel2D(img, out, 3, 1080, 1920); // out: [12, 540, 960]
 */
export function analyzeLevel2D(src: Float32Array, dst: Float32Array, C: number, H: number, W: number, scratch?: Level2DScratch): void {
  checkGeometry('analysis', src, dst, C, H, W, 1);
  if (!(Number.isInteger(H) && H >= 2 && H % 2 === 0)) {
    throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `analysis: periodized DWT needs an even axis length of at least 2, got ${H} (pad first)` });
  }
  const sc = scratch !== undefined && scratch.w >= W ? scratch : level2DScratch(W);
  let [sn, dn, sp, dp, d1p, s2p, d3p] = sc.rows as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  const h2 = H >> 1, w2 = W >> 1, plane = h2 * w2;
  for (let c = 0; c < C; c++) {
    const base = c * H * W;
    const oLL = 4 * c * plane; // bands: +0 width-lo/height-lo, +1 lo/hi, +2 hi/lo, +3 hi/hi
    d1p.fill(0); s2p.fill(0); d3p.fill(0); sp.fill(0); dp.fill(0);
    for (let j = -2; j < h2 + 2; j++) {
      const r = ((2 * j) % H + H) % H;
      liftRow(src, base + r * W, W, sn);
      liftRow(src, base + r * W + W, W, dn);
      if (j < 2) {
        // pipeline fill: outputs go to a dummy row
        liftCols(sn, sp, dp, d1p, s2p, d3p, 2, w2 + 2, sc.dummy, 0, w2);
        liftCols(sn, sp, dp, d1p, s2p, d3p, w2 + 4, W + 4, sc.dummy, 0, w2);
      } else {
        const row = (j - 2) * w2;
        liftCols(sn, sp, dp, d1p, s2p, d3p, 2, w2 + 2, dst, oLL + row, oLL + plane + row);
        liftCols(sn, sp, dp, d1p, s2p, d3p, w2 + 4, W + 4, dst, oLL + 2 * plane + row, oLL + 3 * plane + row);
      }
      [sp, sn] = [sn, sp];
      [dp, dn] = [dn, dp];
    }
  }
}

/** Extra samples a periodically extended scratch row needs beyond the row itself. */
const EXT = 8;

/**
 * Scratch a transform of axis length up to `n` needs; pass the same one to many calls so that a
 * packet transform allocates it once.
 *
 * @example
 * const scratch = dwtScratch(1920);
 * analyzeAxis(src, dst, 3, 1080, 1920, 1, 'bior4.4', scratch);
 */
export function dwtScratch(n: number): Float64Array {
  return new Float64Array(n + EXT);
}

function checkGeometry(what: string, src: Float32Array, dst: Float32Array, P: number, Q: number, n: number, Bn: number): void {
  if (!(Number.isInteger(n) && n >= 2 && n % 2 === 0)) {
    throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `${what}: periodized DWT needs an even axis length of at least 2, got ${n} (pad first)` });
  }
  const total = P * Q * n * Bn;
  if (!(Number.isInteger(total) && total > 0) || src.length < total || dst.length < total) {
    throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `${what}: arrays of ${src.length}/${dst.length} values do not hold [${P}, ${Q}, ${n}, ${Bn}]` });
  }
  if (src === dst || (src.buffer === dst.buffer && src.byteOffset < dst.byteOffset + dst.byteLength && dst.byteOffset < src.byteOffset + src.byteLength)) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${what}: source and destination must not overlap` });
  }
}

/**
 * One analysis level along the axis of length `n` of `src` viewed as [P, Q, n, B]; writes
 * `dst` as [P, 2, Q, n/2, B] (band 0 low, 1 high). Putting the band axis after P is what builds
 * the packet channel order without any later transposition: P = channels makes the band the
 * channel's sub-index.
 *
 * @example
 * // width pass of a [C, H, W] image: bands land as [C, 2, H, W/2]
 * analyzeAxis(img, tmp, C, H, W, 1, 'bior4.4');
 */
export function analyzeAxis(
  src: Float32Array, dst: Float32Array, P: number, Q: number, n: number, Bn: number,
  wavelet: WaveletLike, scratch?: Float64Array,
): void {
  checkGeometry('analysis', src, dst, P, Q, n, Bn);
  const bank = resolve(wavelet);
  const h = n >> 1;
  const bandStride = Q * h * Bn;
  if (bank.name === 'haar') {
    for (let p = 0; p < P; p++) {
      for (let q = 0; q < Q; q++) {
        const s = (p * Q + q) * n * Bn;
        const lo = (p * 2 * Q + q) * h * Bn;
        if (Bn === 1) haarRow(src, s, dst, lo, lo + bandStride, h);
        else haarRows(src, s, dst, lo, lo + bandStride, h, Bn);
      }
    }
    return;
  }
  if (bank.name !== 'bior4.4') throw werr('WALLOC_ERR_WAVELET_UNKNOWN', { wavelet: bank.name, known: 'bior4.4, haar' });
  const ext = Bn === 1 ? (scratch !== undefined && scratch.length >= n + EXT ? scratch : dwtScratch(n)) : undefined;
  for (let p = 0; p < P; p++) {
    for (let q = 0; q < Q; q++) {
      const s = (p * Q + q) * n * Bn;
      const lo = (p * 2 * Q + q) * h * Bn;
      if (ext !== undefined) bior44Row(src, s, dst, lo, lo + bandStride, n, ext);
      else bior44Rows(src, s, dst, lo, lo + bandStride, n, Bn);
    }
  }
}

/**
 * Inverse of {@link analyzeAxis}: reads `src` as [P, 2, Q, n/2, B] and writes `dst` as [P, Q, n, B].
 *
 * @example
 * synthesizeAxis(tmp, img, C, H, W, 1, 'bior4.4'); // undoes the width pass above
 */
export function synthesizeAxis(
  src: Float32Array, dst: Float32Array, P: number, Q: number, n: number, Bn: number,
  wavelet: WaveletLike, scratch?: Float64Array,
): void {
  checkGeometry('synthesis', src, dst, P, Q, n, Bn);
  const bank = resolve(wavelet);
  const h = n >> 1;
  const bandStride = Q * h * Bn;
  if (bank.name === 'haar') {
    for (let p = 0; p < P; p++) {
      for (let q = 0; q < Q; q++) {
        const d = (p * Q + q) * n * Bn;
        const lo = (p * 2 * Q + q) * h * Bn;
        if (Bn === 1) ihaarRow(src, lo, lo + bandStride, dst, d, h);
        else ihaarRows(src, lo, lo + bandStride, dst, d, h, Bn);
      }
    }
    return;
  }
  if (bank.name !== 'bior4.4') throw werr('WALLOC_ERR_WAVELET_UNKNOWN', { wavelet: bank.name, known: 'bior4.4, haar' });
  const ext = Bn === 1 ? (scratch !== undefined && scratch.length >= n + EXT ? scratch : dwtScratch(n)) : undefined;
  for (let p = 0; p < P; p++) {
    for (let q = 0; q < Q; q++) {
      const d = (p * Q + q) * n * Bn;
      const lo = (p * 2 * Q + q) * h * Bn;
      if (ext !== undefined) ibior44Row(src, lo, lo + bandStride, dst, d, h, ext);
      else ibior44Rows(src, lo, lo + bandStride, dst, d, h, Bn);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// bior4.4, contiguous rows

function bior44Row(x: Float32Array, s: number, out: Float32Array, lo: number, hi: number, n: number, e: Float64Array): void {
  liftRow(x, s, n, e);
  // e holds lo_k at e[k + 2] and hi_k at e[h + 4 + k] (see liftRow).
  const h = n >> 1;
  for (let k = 0; k < h; k++) {
    out[lo + k] = e[k + 2]!;
    out[hi + k] = e[h + 4 + k]!;
  }
}

function ibior44Row(c: Float32Array, lo: number, hi: number, y: Float32Array, d: number, h: number, e: Float64Array): void {
  // Taps copied to locals so the loop can keep them in registers instead of re-reading module bindings.
  const kPE0 = PE0, kPE1 = PE1, kQE0 = QE0, kQE1 = QE1, kPO0 = PO0, kPO1 = PO1, kQO0 = QO0, kQO1 = QO1, kQO2 = QO2;
  // Output pair i reads lo[i−2 .. i+2] and hi[i−2 .. i+2]; both are extended by 2 on each side,
  // lo into e[0 .. h+4), hi into e[h+4 .. 2h+8).
  const eh = h + 4;
  for (let j = 0; j < h; j++) {
    e[j + 2] = c[lo + j]!;
    e[eh + j + 2] = c[hi + j]!;
  }
  for (let t = 0; t < 4; t++) {
    const j = t < 2 ? t : h + t; // e[0], e[1], e[h+2], e[h+3]: the wrapped ends
    const i = ((j - 2) % h + h) % h;
    e[j] = c[lo + i]!;
    e[eh + j] = c[hi + i]!;
  }
  // lo[i−2] never contributes (recLo has 7 non-zero taps), so the lo window starts at lo[i−1].
  let l1 = e[1]!, l2 = e[2]!, l3 = e[3]!;
  let g0 = e[eh]!, g1 = e[eh + 1]!, g2 = e[eh + 2]!, g3 = e[eh + 3]!;
  for (let i = 0, o = d; i < h; i++, o += 2) {
    const l4 = e[i + 4]!, g4 = e[eh + i + 4]!;
    // l2 = lo[i], g2 = hi[i]
    y[o] = kPE0 * l2 + kPE1 * (l1 + l3) + kQE0 * (g2 + g1) + kQE1 * (g3 + g0);
    y[o + 1] = kPO0 * (l2 + l3) + kPO1 * (l1 + l4) + kQO0 * g2 + kQO1 * (g1 + g3) + kQO2 * (g0 + g4);
    l1 = l2; l2 = l3; l3 = l4;
    g0 = g1; g1 = g2; g2 = g3; g3 = g4;
  }
}

// ---------------------------------------------------------------------------------------------
// bior4.4, axis with inner stride Bn > 1: combine whole rows of Bn values

function bior44Rows(x: Float32Array, s: number, out: Float32Array, lo: number, hi: number, n: number, Bn: number): void {
  // Taps copied to locals so the loop can keep them in registers instead of re-reading module bindings.
  const kL0 = L0, kL1 = L1, kL2 = L2, kL3 = L3, kL4 = L4, kH0 = H0, kH1 = H1, kH2 = H2, kH3 = H3;
  const h = n >> 1;
  const row = (i: number): number => s + (((i % n) + n) % n) * Bn;
  for (let k = 0; k < h; k++) {
    const c = 2 * k;
    const rm4 = row(c - 4), rm3 = row(c - 3), rm2 = row(c - 2), rm1 = row(c - 1), r0 = row(c);
    const r1 = row(c + 1), r2 = row(c + 2), r3 = row(c + 3), r4 = row(c + 4);
    const ol = lo + k * Bn, oh = hi + k * Bn;
    for (let b = 0; b < Bn; b++) {
      const a0 = x[rm4 + b]!, a1 = x[rm3 + b]!, a2 = x[rm2 + b]!, a3 = x[rm1 + b]!, a4 = x[r0 + b]!;
      const a5 = x[r1 + b]!, a6 = x[r2 + b]!, a7 = x[r3 + b]!, a8 = x[r4 + b]!;
      out[ol + b] = kL0 * a4 + kL1 * (a3 + a5) + kL2 * (a2 + a6) + kL3 * (a1 + a7) + kL4 * (a0 + a8);
      out[oh + b] = kH0 * a5 + kH1 * (a4 + a6) + kH2 * (a3 + a7) + kH3 * (a2 + a8);
    }
  }
}

function ibior44Rows(c: Float32Array, lo: number, hi: number, y: Float32Array, d: number, h: number, Bn: number): void {
  // Taps copied to locals so the loop can keep them in registers instead of re-reading module bindings.
  const kPE0 = PE0, kPE1 = PE1, kQE0 = QE0, kQE1 = QE1, kPO0 = PO0, kPO1 = PO1, kQO0 = QO0, kQO1 = QO1, kQO2 = QO2;
  const idx = (i: number): number => (((i % h) + h) % h) * Bn;
  for (let i = 0; i < h; i++) {
    const m2 = idx(i - 2), m1 = idx(i - 1), z = idx(i), p1 = idx(i + 1), p2 = idx(i + 2);
    const oe = d + 2 * i * Bn, oo = oe + Bn;
    for (let b = 0; b < Bn; b++) {
      const l1 = c[lo + m1 + b]!, l2 = c[lo + z + b]!, l3 = c[lo + p1 + b]!, l4 = c[lo + p2 + b]!;
      const g0 = c[hi + m2 + b]!, g1 = c[hi + m1 + b]!, g2 = c[hi + z + b]!, g3 = c[hi + p1 + b]!, g4 = c[hi + p2 + b]!;
      y[oe + b] = kPE0 * l2 + kPE1 * (l1 + l3) + kQE0 * (g2 + g1) + kQE1 * (g3 + g0);
      y[oo + b] = kPO0 * (l2 + l3) + kPO1 * (l1 + l4) + kQO0 * g2 + kQO1 * (g1 + g3) + kQO2 * (g0 + g4);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// haar: two taps never wrap on an even length

function haarRow(x: Float32Array, s: number, out: Float32Array, lo: number, hi: number, h: number): void {
  for (let k = 0, i = s; k < h; k++, i += 2) {
    const a = x[i]!, b = x[i + 1]!;
    out[lo + k] = HL0 * b + HL1 * a;
    out[hi + k] = HH0 * b + HH1 * a;
  }
}

function haarRows(x: Float32Array, s: number, out: Float32Array, lo: number, hi: number, h: number, Bn: number): void {
  for (let k = 0; k < h; k++) {
    const ra = s + 2 * k * Bn, rb = ra + Bn, ol = lo + k * Bn, oh = hi + k * Bn;
    for (let b = 0; b < Bn; b++) {
      const va = x[ra + b]!, vb = x[rb + b]!;
      out[ol + b] = HL0 * vb + HL1 * va;
      out[oh + b] = HH0 * vb + HH1 * va;
    }
  }
}

function ihaarRow(c: Float32Array, lo: number, hi: number, y: Float32Array, d: number, h: number): void {
  for (let k = 0, o = d; k < h; k++, o += 2) {
    const l = c[lo + k]!, g = c[hi + k]!;
    y[o] = HR0 * l + HS0 * g;
    y[o + 1] = HR1 * l + HS1 * g;
  }
}

function ihaarRows(c: Float32Array, lo: number, hi: number, y: Float32Array, d: number, h: number, Bn: number): void {
  for (let k = 0; k < h; k++) {
    const il = lo + k * Bn, ih = hi + k * Bn, oe = d + 2 * k * Bn, oo = oe + Bn;
    for (let b = 0; b < Bn; b++) {
      const l = c[il + b]!, g = c[ih + b]!;
      y[oe + b] = HR0 * l + HS0 * g;
      y[oo + b] = HR1 * l + HS1 * g;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Conveniences over the two primitives

function splitShape(shape: readonly number[], axis: number, bandAxis: number): [number, number, number, number] {
  const nd = shape.length;
  const ax = axis < 0 ? axis + nd : axis;
  if (!Number.isInteger(ax) || ax < 0 || ax >= nd) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `axis ${axis} is outside a ${nd}-D shape` });
  if (!Number.isInteger(bandAxis) || bandAxis < 0 || bandAxis > ax) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `band axis ${bandAxis} must lie in 0..${ax}` });
  let P = 1, Q = 1, Bn = 1;
  for (let i = 0; i < bandAxis; i++) P *= shape[i]!;
  for (let i = bandAxis; i < ax; i++) Q *= shape[i]!;
  for (let i = ax + 1; i < nd; i++) Bn *= shape[i]!;
  return [P, Q, shape[ax]!, Bn];
}

/**
 * One analysis level along `axis` of a row-major array of `shape`. The result has `shape[axis]`
 * halved and a new axis of length 2 (low, high) inserted at `bandAxis` (default 0).
 *
 * @example
 * // pywt.dwt(x, 'bior4.4', mode='periodization', axis=-1) on a [3, 64] array:
 * const { data, shape } = dwtAxis(x, [3, 64], -1, 'bior4.4', 1); // shape [3, 2, 32]: [:, 0] = cA, [:, 1] = cD
 */
export function dwtAxis(
  data: Float32Array, shape: readonly number[], axis: number, wavelet: WaveletLike = 'bior4.4', bandAxis = 0,
): { data: Float32Array; shape: number[] } {
  const [P, Q, n, Bn] = splitShape(shape, axis, bandAxis);
  const out = new Float32Array(P * Q * n * Bn);
  analyzeAxis(data, out, P, Q, n, Bn, wavelet);
  const ax = axis < 0 ? axis + shape.length : axis;
  const outShape = shape.map((d, i) => (i === ax ? d / 2 : d));
  outShape.splice(bandAxis, 0, 2);
  return { data: out, shape: outShape };
}

/**
 * Inverse of {@link dwtAxis}: `shape` is the coefficient shape (with the band axis at `bandAxis`)
 * and `axis` names the halved axis in the signal's shape.
 *
 * @example
 * const back = idwtAxis(coeffs.data, coeffs.shape, -1, 'bior4.4', 1); // back.shape = [3, 64]
 */
export function idwtAxis(
  data: Float32Array, shape: readonly number[], axis: number, wavelet: WaveletLike = 'bior4.4', bandAxis = 0,
): { data: Float32Array; shape: number[] } {
  if (shape[bandAxis] !== 2) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `axis ${bandAxis} of [${shape.join(', ')}] is not a band axis of length 2` });
  const sig = [...shape];
  sig.splice(bandAxis, 1);
  const ax = axis < 0 ? axis + sig.length : axis;
  const full = sig.map((d, i) => (i === ax ? d * 2 : d));
  const [P, Q, n, Bn] = splitShape(full, ax, bandAxis);
  const out = new Float32Array(P * Q * n * Bn);
  synthesizeAxis(data, out, P, Q, n, Bn, wavelet);
  return { data: out, shape: full };
}

/**
 * `pywt.dwt(x, wavelet, mode='periodization')` for one 1-D signal of even length.
 *
 * @example
 * const { lo, hi } = dwt(new Float32Array([1, 2, 3, 4]), 'haar'); // lo ≈ [2.1213, 4.9497], hi ≈ [-0.7071, -0.7071]
 */
export function dwt(x: Float32Array, wavelet: WaveletLike = 'bior4.4'): { lo: Float32Array; hi: Float32Array } {
  const out = new Float32Array(x.length);
  analyzeAxis(x, out, 1, 1, x.length, 1, wavelet);
  const h = x.length >> 1;
  return { lo: out.subarray(0, h), hi: out.subarray(h) };
}

/**
 * `pywt.idwt(lo, hi, wavelet, mode='periodization')` for one pair of equally long bands.
 *
 * @example
 * const x = idwt(lo, hi, 'bior4.4'); // x.length === 2 * lo.length
 */
export function idwt(lo: Float32Array, hi: Float32Array, wavelet: WaveletLike = 'bior4.4'): Float32Array {
  if (lo.length !== hi.length) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `low band has ${lo.length} values but high band ${hi.length}` });
  const c = new Float32Array(lo.length * 2);
  c.set(lo, 0);
  c.set(hi, lo.length);
  const out = new Float32Array(c.length);
  synthesizeAxis(c, out, 1, 1, c.length, 1, wavelet);
  return out;
}
