/**
 * quantize / dequantize: the rounding half of WaLLoC's bottleneck (research/walloc.md section 3).
 *
 * `analysis` outputs companded latents u in (−latent_max, latent_max) as Float32Array; `quantize`
 * rounds them half to even (as `torch.round` does; JavaScript's `Math.round` rounds halves up,
 * which would disagree with the reference on every exact .5) into an Int8Array within
 * ±(2^(b−1) − 1). `dequantize` turns the integers back into Float32Array values in the same
 * companded domain, which is what a classifier reads and what a synthesis stage expands with
 * ToNormal (see src/stages/companding.ts). Training replaces rounding by additive U(−0.5, 0.5) noise
 * ({@link addQuantNoise}), which keeps the loss differentiable.
 *
 * A NaN or ±Infinity latent is an error (WALLOC_ERR_QUANTIZE_RANGE), never a silent 0: it means
 * the input or the model is broken. A finite value that rounds outside the range is an error too,
 * unless `saturate` is set: companded values cannot get there, so reaching it means an uncompanded
 * latent was fed in by mistake.
 */
import { werr } from '../errors.js';
import { expectKind, makeFrame, type Frame, type LatentFrame } from '../frame.js';
import { maxLevel } from './companding.js';

/** Bits used when neither the options nor the frame say. */
export const DEFAULT_BITS = 8;

export interface QuantizeOptions {
  /** Latent bits b (2..8); default: the frame's `meta.bits`, else 8. */
  bits?: number;
  /** Clamp finite values that round outside ±(2^(b−1) − 1) instead of throwing. Default false. */
  saturate?: boolean;
}

/**
 * Rounds to the nearest integer, ties to even (IEEE 754 roundTiesToEven, `torch.round`).
 *
 * @example
 * roundHalfEven(0.5);  // 0
 * roundHalfEven(1.5);  // 2
 * roundHalfEven(-2.5); // -2
 * roundHalfEven(2.4);  // 2
 */
export function roundHalfEven(x: number): number {
  // Math.round rounds ties up (towards +∞); a tie shows as r − x = 0.5 exactly (exact in float64
  // for any float32 or float64 x below 2^52), and then an odd r must step down to the even one.
  const r = Math.round(x);
  return r - x === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}

/**
 * Rounds companded latents half to even into int8, checking the b-bit range.
 * `out` may be given to avoid an allocation per frame.
 *
 * @example
 * quantizeArray(new Float32Array([0.5, 1.5, -0.5, -2.5, 126.9]), 8); // Int8Array [0, 2, 0, -2, 127]
 * quantizeArray(new Float32Array([NaN]), 8);                          // throws WALLOC_ERR_QUANTIZE_RANGE
 */
export function quantizeArray(u: Float32Array, bits: number = DEFAULT_BITS, options: { saturate?: boolean } = {}, out: Int8Array = new Int8Array(u.length)): Int8Array {
  const hi = maxLevel(bits);
  if (out.length !== u.length) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `output holds ${out.length} values, input ${u.length}` });
  const saturate = options.saturate === true;
  for (let i = 0; i < u.length; i++) {
    const x = u[i] as number;
    const r0 = Math.round(x);
    const r = r0 - x === 0.5 && (r0 & 1) !== 0 ? r0 - 1 : r0;
    // One comparison pair catches NaN (both false), ±Infinity and out-of-range values.
    if (r >= -hi && r <= hi) {
      out[i] = r;
    } else if (saturate && Number.isFinite(x)) {
      out[i] = x > 0 ? hi : -hi;
    } else {
      throw werr('WALLOC_ERR_QUANTIZE_RANGE', { value: x, bits, index: i });
    }
  }
  return out;
}

/**
 * Integers back to Float32Array values in the companded domain, checking the b-bit range (an
 * int8 of −128, or beyond ±(2^(b−1) − 1) for fewer bits, can only come from corrupt data).
 *
 * @example
 * dequantizeArray(new Int8Array([-3, 0, 127]), 8); // Float32Array [-3, 0, 127]
 */
export function dequantizeArray(q: Int8Array, bits: number = DEFAULT_BITS, out: Float32Array = new Float32Array(q.length)): Float32Array {
  const hi = maxLevel(bits);
  if (out.length !== q.length) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `output holds ${out.length} values, input ${q.length}` });
  for (let i = 0; i < q.length; i++) {
    const v = q[i] as number;
    if (v < -hi || v > hi) throw werr('WALLOC_ERR_QUANTIZE_RANGE', { value: v, bits, index: i });
    out[i] = v;
  }
  return out;
}

/**
 * Training-time stand-in for rounding: u + U(−0.5, 0.5) noise, the additive-uniform relaxation
 * WaLLoC trains with. `random` returns values in [0, 1) (default `Math.random`; pass a seeded
 * generator for reproducible runs). `out` may be `u` itself.
 *
 * @example
 * const noisy = addQuantNoise(new Float32Array([10, -3]));
 * // each value within ±0.5 of the input
 */
export function addQuantNoise(u: Float32Array, random: () => number = Math.random, out: Float32Array = new Float32Array(u.length)): Float32Array {
  if (out.length !== u.length) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `output holds ${out.length} values, input ${u.length}` });
  for (let i = 0; i < u.length; i++) out[i] = (u[i] as number) + (random() - 0.5);
  return out;
}

function bitsOf(frame: Frame, options: QuantizeOptions): number {
  return options.bits ?? frame.meta.bits ?? DEFAULT_BITS;
}

/**
 * Quantizes one continuous latent frame (Float32Array) into an int8 latent frame; `meta.bits`
 * records the bits, the rest of the meta is carried over.
 *
 * @example
 * const q = quantizeFrame(makeFrame('latent', [2, 1, 2], new Float32Array([0.5, 1.5, -0.5, -2.5]), { bits: 8 }));
 * // q.data: Int8Array [0, 2, 0, -2]
 */
export function quantizeFrame(frame: Frame, options: QuantizeOptions = {}): LatentFrame {
  const f = expectKind(frame, ['latent'], 'quantize');
  if (!(f.data instanceof Float32Array)) {
    throw werr('WALLOC_ERR_FRAME_KIND', { stage: 'quantize', expected: 'continuous latent (Float32Array)', actual: `latent (${f.data.constructor.name})` });
  }
  const bits = bitsOf(f, options);
  const q = quantizeArray(f.data, bits, { saturate: options.saturate === true });
  return makeFrame('latent', f.shape, q, { ...f.meta, bits });
}

/**
 * Dequantizes one int8 latent frame into Float32Array values (same shape and meta).
 *
 * @example
 * const d = dequantizeFrame(makeFrame('latent', [1, 1, 2], new Int8Array([3, -7]), { bits: 8 }));
 * // d.data: Float32Array [3, -7]
 */
export function dequantizeFrame(frame: Frame, options: Pick<QuantizeOptions, 'bits'> = {}): LatentFrame {
  const f = expectKind(frame, ['latent'], 'dequantize');
  if (!(f.data instanceof Int8Array)) {
    throw werr('WALLOC_ERR_FRAME_KIND', { stage: 'dequantize', expected: 'quantized latent (Int8Array)', actual: `latent (${f.data.constructor.name})` });
  }
  const bits = bitsOf(f, options);
  return makeFrame('latent', f.shape, dequantizeArray(f.data, bits), { ...f.meta, bits });
}
