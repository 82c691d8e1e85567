/**
 * The VQ-VAE's 4×4 stride-2 convolutions (padding 1, as PyTorch's `Conv2d(c, c', 4, 2, 1)` and
 * `ConvTranspose2d(c, c', 4, 2, 1)`), written as matrix products over rearranged tensors.
 *
 * Why not `tf.conv2d` / `tf.conv2dTranspose`: training needs the filter gradient, and the wasm
 * backend has no Conv2DBackpropFilter kernel (research/deps.md 1c); its Conv2DBackpropInput (what
 * a transposed convolution runs on) is also ten times slower than a forward convolution of the same
 * size (measured: 383 ms against 36 ms for the decoder's 64→128 layer at batch 64). Built from
 * pad, reshape, transpose, slice, concat and matMul instead, every gradient is one tfjs already has
 * on every backend, and each layer costs exactly its multiply-adds in one large matrix product.
 *
 * Stride 2 with a 4×4 kernel means each kernel index k = 2a + r splits into a block offset a ∈ {0,1}
 * and a phase r ∈ {0,1}. Reshaping the padded input into 2×2 blocks (space-to-depth) turns the
 * strided window at output (i, j) into the four blocks (i+a, j+b): four shifted slices, concatenated
 * on channels, give the im2col matrix [B·Ho·Wo, 16·Cin] directly. The transposed convolution is the
 * exact adjoint: one product x·W gives each input position's 4×4 contribution, which is split by block
 * offset, padded into place on the block grid and summed (col2im), then un-blocked.
 *
 * Filters are [4, 4, Cin, Cout] for both (the transposed one maps Cin → Cout), like tfjs conv2d.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { TfModule } from '../models/backend.js';
import { matMulFast } from '../nn/matmul.js';

type Tensor4D = tfTypes.Tensor4D;
type Tensor = tfTypes.Tensor;

/**
 * The four [4·Cin, Cout] sub-matrices of a [4, 4, Cin, Cout] filter, one per block offset
 * (a_h, a_w), rows in (r_h, r_w, c) order: filter[2a_h + r_h, 2a_w + r_w, c, :].
 */
function filterBlocks(tf: TfModule, w: Tensor4D): tfTypes.Tensor2D[] {
  const [, , ci, co] = w.shape;
  // [a_h, r_h, a_w, r_w, ci, co] → [a_h, a_w, r_h·r_w·ci, co]
  const m = tf.reshape(tf.transpose(tf.reshape(w, [2, 2, 2, 2, ci, co]), [0, 2, 1, 3, 4, 5]), [4, 4 * ci, co]);
  return [0, 1, 2, 3].map((k) => tf.reshape(tf.slice(m, [k, 0, 0], [1, 4 * ci, co]), [4 * ci, co]) as tfTypes.Tensor2D);
}

/**
 * 4×4 convolution, stride 2, padding 1: [B, H, W, Cin] → [B, H/2, W/2, Cout] (H and W even).
 * Differentiable on every backend, wasm included.
 *
 * @example
 * const y = conv4x4s2(tf, x, w); // x [64, 28, 28, 1], w [4, 4, 1, 128] → y [64, 14, 14, 128]
 */
export function conv4x4s2(tf: TfModule, x: Tensor4D, w: Tensor4D): Tensor4D {
  const [b, h, wd, c] = x.shape;
  if (h % 2 !== 0 || wd % 2 !== 0) throw new Error(`conv4x4s2 needs even sides, got ${h}×${wd}`);
  const ho = h / 2, wo = wd / 2;
  const co = w.shape[3];
  // Pad 1 on each side → (h+2)×(w+2), then 2×2 blocks: [B, ho+1, wo+1, 2·2·C] with (r_h, r_w, c) fastest.
  const xp = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
  const blocks = tf.reshape(tf.transpose(tf.reshape(xp, [b, ho + 1, 2, wo + 1, 2, c]), [0, 1, 3, 2, 4, 5]), [b, ho + 1, wo + 1, 4 * c]);
  // One product per block offset, summed: the same multiply-adds as one im2col product, without
  // materialising the im2col matrix (concat is slow on wasm: 111 ms for the 128→64 layer at batch 64).
  const wk = filterBlocks(tf, w);
  let acc: Tensor | undefined;
  let k = 0;
  for (const ah of [0, 1]) {
    for (const aw of [0, 1]) {
      const cols = tf.reshape(tf.slice(blocks, [0, ah, aw, 0], [b, ho, wo, 4 * c]), [b * ho * wo, 4 * c]) as tfTypes.Tensor2D;
      const y = matMulFast(tf)(cols, wk[k++]!);
      acc = acc === undefined ? y : tf.add(acc, y);
    }
  }
  return tf.reshape(acc!, [b, ho, wo, co]) as Tensor4D;
}

/**
 * 4×4 transposed convolution, stride 2, padding 1: [B, H, W, Cin] → [B, 2H, 2W, Cout], the adjoint
 * of {@link conv4x4s2} (what `tf.conv2dTranspose(x, w', [B, 2H, 2W, Cout], 2, 1)` computes with
 * w' = w transposed to [4, 4, Cout, Cin]). Differentiable on every backend.
 *
 * @example
 * const y = convTranspose4x4s2(tf, z, w); // z [64, 7, 7, 64], w [4, 4, 64, 128] → y [64, 14, 14, 128]
 */
export function convTranspose4x4s2(tf: TfModule, x: Tensor4D, w: Tensor4D): Tensor4D {
  const [b, h, wd, ci] = x.shape;
  const co = w.shape[3];
  // Per block offset (a_h, a_w): each input position's 2×2×Cout contribution, [ci, (r_h, r_w, co)].
  const m = tf.reshape(tf.transpose(tf.reshape(w, [2, 2, 2, 2, ci, co]), [0, 2, 4, 1, 3, 5]), [4, ci, 4 * co]);
  const flat = tf.reshape(x, [b * h * wd, ci]) as tfTypes.Tensor2D;
  // Input (i, j) with offset (a_h, a_w) lands on block (i + a_h, j + a_w) of the (h+1)×(w+1) grid of
  // the padded output; the four offsets are padded into place and summed (col2im).
  let sum: Tensor | undefined;
  let k = 0;
  for (const ah of [0, 1]) {
    for (const aw of [0, 1]) {
      const wk = tf.reshape(tf.slice(m, [k++, 0, 0], [1, ci, 4 * co]), [ci, 4 * co]) as tfTypes.Tensor2D;
      const part = tf.reshape(matMulFast(tf)(flat, wk), [b, h, wd, 4 * co]);
      const placed = tf.pad(part, [[0, 0], [ah, 1 - ah], [aw, 1 - aw], [0, 0]]);
      sum = sum === undefined ? placed : tf.add(sum, placed);
    }
  }
  // Un-block: [B, h+1, w+1, r_h, r_w, co] → [B, 2h+2, 2w+2, co], then drop the padding ring.
  const full = tf.reshape(tf.transpose(tf.reshape(sum!, [b, h + 1, wd + 1, 2, 2, co]), [0, 1, 3, 2, 4, 5]), [b, 2 * h + 2, 2 * wd + 2, co]);
  return tf.slice(full, [0, 1, 1, 0], [b, 2 * h, 2 * wd, co]) as Tensor4D;
}

/**
 * Multiply-adds of one 4×4 stride-2 layer producing (or, transposed, consuming) an h×w map.
 *
 * @example
 * strideTwoMacs(7, 7, 128, 64); // 6,422,528: the encoder's second layer, per image
 */
export function strideTwoMacs(lowH: number, lowW: number, cHigh: number, cLow: number): number {
  return lowH * lowW * 16 * cHigh * cLow;
}
