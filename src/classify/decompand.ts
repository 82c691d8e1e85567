/**
 * Inverse companding for latent classifiers that ask for it (`decompand` in their config): the
 * int8 latents a stream carries are mapped back to the projection values y they stand for, which
 * are linear in the pixels, so the first convolution does not have to learn to undo the
 * Gaussian-CDF warp. A 256-entry table per channel: the cost of a lookup.
 */
import type { Codec } from '../codec/codec.js';
import { werr } from '../errors.js';
import { toNormal } from '../stages/companding.js';

/**
 * The inverse companding a classifier records (`decompand` in its config) for a codec: its bits
 * and per-channel companding scale.
 *
 * @example
 * decompandOf(Codec.load('fmnist-gray-j2')); // { bits: 8, scale: [ … 8 values … ] }
 */
export function decompandOf(codec: Codec): { bits: number; scale: number[] } {
  const scale = codec.model.weights.get('encoder.scale');
  if (!scale) throw werr('WALLOC_ERR_MODEL_INVALID', { model: codec.model.config.name, reason: 'encoder.scale is missing' });
  return { bits: codec.model.config.bits, scale: Array.from(scale) };
}

/**
 * Planar int8 latents [N, …] → the projection values they stand for (a 256-entry table per
 * channel: the cost of a lookup).
 *
 * @example
 * const y = decompanded(latent.data, latent.shape[0], classifier.config.decompand);
 */
export function decompanded(q: ArrayLike<number>, channels: number, d: { bits: number; scale: number[] }): Float32Array {
  const ints = q instanceof Int8Array ? q : Int8Array.from(q as ArrayLike<number>);
  return toNormal(ints, channels, d.bits, d.scale);
}
