/**
 * Gaussian-CDF companding, WaLLoC's entropy bottleneck (research/walloc.md section 3).
 *
 * The encoder's linear projection y is roughly Gaussian; `toUniform` maps it through the normal CDF
 * onto (−latent_max, latent_max) so that rounding to integers spends the 2^b − 1 levels evenly in
 * probability rather than in value, and `toNormal` maps integers back:
 *
 *   latent_max = 2^(b−1) − 1 + 0.5 − 1e−3           (127.499 for b = 8)
 *   ToUniform:  u = 2·latent_max·(Φ(y/scale) − 0.5) = latent_max · erf(y / (scale·√2))
 *   ToNormal:   p = clamp(u/(2·latent_max) + 0.5, 1e−4, 0.9999),  y = scale·Φ⁻¹(p)
 *                 = scale·√2·erfinv(clamp(u/latent_max, −0.9998, 0.9998))
 *
 * The erf/erfinv forms are algebraically the reference's and avoid forming Φ − 0.5, which loses
 * digits near 0. The 0.5 − 1e−3 margin keeps |round(u)| ≤ 2^(b−1) − 1 even for u at the limit.
 *
 * WaLLoC uses one scale, (2^(b−1) − 1)/1.85. This project measured (walloc.md section 10) that
 * the scale must be chosen from data and per channel (a PCA's low-pass channel is heavy-tailed
 * and clips under a shared scale), so every function takes a number or one scale per channel;
 * {@link fitScale} computes the measured-good choice max|y|/3.
 *
 * Layout: latents are planar [N, ...spatial], channel c occupying `[c·P, (c+1)·P)` where P is the
 * number of positions.
 */
import { werr } from '../errors.js';
import { erf, erfFast, erfinv, SQRT2 } from '../math/normal.js';

/** One scale for all channels, or one per channel. */
export type CompandingScale = number | Float32Array | Float64Array | readonly number[];

/** The bits a latent may use: int8 storage holds at most 8; 1 bit would leave only the value 0. */
export const MIN_BITS = 2;
export const MAX_BITS = 8;

/** ToNormal's probability clamp, as 2p − 1 (p in [1e−4, 0.9999]). */
const T_CLAMP = 0.9998;

/**
 * Throws unless `bits` is an integer in [2, 8].
 *
 * @example
 * checkBits(8); // ok
 * checkBits(9); // throws WALLOC_ERR_INVALID_ARGUMENT
 */
export function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < MIN_BITS || bits > MAX_BITS) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `latent bits must be an integer from ${MIN_BITS} to ${MAX_BITS}, got ${bits}` });
  }
}

/**
 * The largest integer a b-bit latent takes: 2^(b−1) − 1 (127 for 8 bits). −2^(b−1) is never used,
 * so the range is symmetric.
 *
 * @example
 * maxLevel(8); // 127
 * maxLevel(4); // 7
 */
export function maxLevel(bits: number): number {
  checkBits(bits);
  return 2 ** (bits - 1) - 1;
}

/**
 * The companded range's bound latent_max = 2^(b−1) − 1 + 0.5 − 1e−3.
 *
 * @example
 * latentMax(8); // 127.499
 * latentMax(4); // 7.499
 */
export function latentMax(bits: number): number {
  return maxLevel(bits) + 0.5 - 1e-3;
}

/**
 * WaLLoC's fixed scale (2^(b−1) − 1)/1.85, used when no per-channel scale is given.
 *
 * @example
 * defaultScale(8); // 68.64864864864865
 */
export function defaultScale(bits: number): number {
  return maxLevel(bits) / 1.85;
}

/**
 * Expands a scale option into one positive finite scale per channel (float64), validating it.
 *
 * @example
 * channelScales(undefined, 3, 8); // Float64Array [68.65, 68.65, 68.65]
 * channelScales([1, 2], 2, 8);    // Float64Array [1, 2]
 */
export function channelScales(scale: CompandingScale | undefined, channels: number, bits: number): Float64Array {
  checkBits(bits);
  const out = new Float64Array(channels);
  if (scale === undefined || typeof scale === 'number') {
    out.fill(scale ?? defaultScale(bits));
  } else {
    if (scale.length !== channels) {
      throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `companding scale has ${scale.length} entries for ${channels} latent channels` });
    }
    for (let c = 0; c < channels; c++) out[c] = scale[c] as number;
  }
  for (let c = 0; c < channels; c++) {
    const s = out[c] as number;
    if (!(s > 0 && Number.isFinite(s))) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `companding scale of channel ${c} must be positive and finite, got ${s}` });
  }
  return out;
}

function positionsOf(length: number, channels: number): number {
  if (!Number.isInteger(channels) || channels <= 0 || length % channels !== 0) {
    throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `${length} values do not split into ${channels} latent channels` });
  }
  return length / channels;
}

/**
 * ToUniform for one value: latent_max·erf(y/(scale·√2)).
 *
 * @example
 * toUniformValue(0, 8, 68.65);    // 0
 * toUniformValue(1e9, 8, 68.65);  // 127.499
 */
export function toUniformValue(y: number, bits: number, scale: number): number {
  return latentMax(bits) * erf(y / (scale * SQRT2));
}

/**
 * ToNormal for one value: scale·√2·erfinv(clamp(u/latent_max, ±0.9998)).
 *
 * @example
 * toNormalValue(toUniformValue(12.5, 8, 68.65), 8, 68.65); // 12.499999999999998
 */
export function toNormalValue(u: number, bits: number, scale: number): number {
  return toNormalValueWith(u, latentMax(bits), scale);
}

/**
 * ToUniform over planar latents [N, ...]: u = latent_max·erf(y/(scale_c·√2)) per channel c.
 * `out` may be `y` itself (in place). NaN stays NaN, so that quantize can report it.
 * Uses the interpolated `erfFast` (error < 5e−12, invisible after float32 rounding): it is the
 * encoder's hot loop, and the series behind `erf` took half the analysis time of a 1080p frame.
 *
 * @example
 * const u = toUniform(new Float32Array([0, 50, -50, 1e6]), 2, 8, [68.65, 10]);
 * // u ≈ [0, 68.03, -127.4989, 127.499]
 */
export function toUniform(y: Float32Array, channels: number, bits: number, scale?: CompandingScale, out: Float32Array = new Float32Array(y.length)): Float32Array {
  const positions = positionsOf(y.length, channels);
  if (out.length !== y.length) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `output holds ${out.length} values, input ${y.length}` });
  const scales = channelScales(scale, channels, bits);
  const lmax = latentMax(bits);
  for (let c = 0; c < channels; c++) {
    const k = 1 / ((scales[c] as number) * SQRT2);
    const end = (c + 1) * positions;
    for (let i = c * positions; i < end; i++) out[i] = lmax * erfFast((y[i] as number) * k);
  }
  return out;
}

/**
 * ToNormal over planar latents [N, ...]: the inverse of {@link toUniform}, clamped as the
 * reference clamps p to [1e−4, 0.9999] (|y| ≤ 3.719·scale). Integer (`Int8Array`) input is
 * mapped through a per-channel table of the 2^b − 1 possible values, so it costs one lookup.
 *
 * @example
 * const y = toNormal(new Int8Array([0, 60, -127]), 1, 8, 68.65);
 * // y ≈ [0, 43.17, -198.06]
 */
export function toNormal(u: Float32Array | Int8Array, channels: number, bits: number, scale?: CompandingScale, out: Float32Array = new Float32Array(u.length)): Float32Array {
  const positions = positionsOf(u.length, channels);
  if (out.length !== u.length) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `output holds ${out.length} values, input ${u.length}` });
  const scales = channelScales(scale, channels, bits);
  const lmax = latentMax(bits);
  if (u instanceof Int8Array) {
    // Index v + 128 covers the whole int8 range, so even out-of-range bytes cannot read past it.
    const table = new Float32Array(256);
    for (let c = 0; c < channels; c++) {
      const s = scales[c] as number;
      for (let v = -128; v < 128; v++) table[v + 128] = toNormalValueWith(v, lmax, s);
      const end = (c + 1) * positions;
      for (let i = c * positions; i < end; i++) out[i] = table[(u[i] as number) + 128] as number;
    }
    return out;
  }
  for (let c = 0; c < channels; c++) {
    const s = scales[c] as number;
    const end = (c + 1) * positions;
    for (let i = c * positions; i < end; i++) out[i] = toNormalValueWith(u[i] as number, lmax, s);
  }
  return out;
}

function toNormalValueWith(u: number, lmax: number, scale: number): number {
  const t = u / lmax;
  return scale * SQRT2 * erfinv(t > T_CLAMP ? T_CLAMP : t < -T_CLAMP ? -T_CLAMP : t);
}

/**
 * A per-channel companding scale from data: max|y_c| / `divisor` (default 3) over the channel's
 * values. Measured in this project (walloc.md section 10): with the scale at each channel's
 * standard deviation the heavy-tailed low-pass channel clips (PSNR 44 → 21 dB on a smooth photo);
 * max|y|/3 stays within 2 dB of the unquantized projection. All-zero channels get scale 1.
 *
 * @example
 * fitScale(new Float32Array([3, -6, 0.3, 0.3]), 2); // Float32Array [2, 0.1] (0.1 in float32)
 */
export function fitScale(y: Float32Array, channels: number, divisor = 3): Float32Array {
  const positions = positionsOf(y.length, channels);
  if (!(divisor > 0)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `scale divisor must be positive, got ${divisor}` });
  const out = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let m = 0;
    const end = (c + 1) * positions;
    for (let i = c * positions; i < end; i++) {
      const a = Math.abs(y[i] as number);
      if (a > m) m = a; // NaN compares false and is skipped
    }
    out[c] = m > 0 && Number.isFinite(m) ? m / divisor : 1;
  }
  return out;
}
