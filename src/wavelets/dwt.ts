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
  // Taps copied to locals so the loop can keep them in registers instead of re-reading module bindings.
  const kL0 = L0, kL1 = L1, kL2 = L2, kL3 = L3, kL4 = L4, kH0 = H0, kH1 = H1, kH2 = H2, kH3 = H3;
  // e[j] = x[(j − 4) mod n]: output k reads x[2k−4 .. 2k+4] = e[2k .. 2k+8].
  for (let j = 0; j < 4; j++) e[j] = x[s + ((j - 4) % n + n) % n]!;
  for (let i = 0; i < n; i++) e[i + 4] = x[s + i]!;
  for (let j = n + 4; j < n + EXT; j++) e[j] = x[s + (j - 4) % n]!;
  let a0 = e[0]!, a1 = e[1]!, a2 = e[2]!, a3 = e[3]!, a4 = e[4]!, a5 = e[5]!, a6 = e[6]!;
  const h = n >> 1;
  for (let k = 0, j = 7; k < h; k++, j += 2) {
    const a7 = e[j]!, a8 = e[j + 1]!;
    // centre a4 = x[2k]
    out[lo + k] = kL0 * a4 + kL1 * (a3 + a5) + kL2 * (a2 + a6) + kL3 * (a1 + a7) + kL4 * (a0 + a8);
    out[hi + k] = kH0 * a5 + kH1 * (a4 + a6) + kH2 * (a3 + a7) + kH3 * (a2 + a8);
    a0 = a2; a1 = a3; a2 = a4; a3 = a5; a4 = a6; a5 = a7; a6 = a8;
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
