/**
 * Linear over-parameterisation of a convolution for training only (ExpandNets, Guo et al. 2020):
 * a kh×kw convolution cin → cout is trained as three linear factors, 1×1 (cin → m), kh×kw (m → m)
 * and 1×1 (m → cout), with m = rate · cout and no nonlinearity between them, so they collapse
 * exactly into one kh×kw kernel:
 *
 *   W[y, x, i, o] = Σ_a Σ_b A[i, a] · B[y, x, a, b] · C[b, o]
 *
 * The net computes W from the factors at every step and convolves with it, so a training step
 * costs about what it did (the factors are small next to a batch of maps); what changes is the
 * optimisation landscape, which for compact nets trains to better minima. The saved model holds W
 * only: inference, the model file and the speed are those of the plain net.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { TfModule } from '../models/backend.js';
import { newVariable, type VariableInit } from './variables.js';

/** The three factors of one expanded kernel. */
export interface KernelFactors {
  a: tfTypes.Variable;
  b: tfTypes.Variable;
  c: tfTypes.Variable;
}

/**
 * Factors of a [kh, kw, cin, cout] kernel at expansion `rate`, initialised so the collapsed
 * kernel has the variance `init` would give a plain one, or from `given` factors (a checkpoint) (1×1 factors linear, the middle one `init`:
 * m² · 1/cin · g/(kh·kw·m) · 1/m = g/(kh·kw·cin), g = 2 for He, 1 for glorot).
 *
 * @example
 * const f = expandKernel(tf, [3, 3, 8, 32], 4, 'he', 1000); // A [8, 128], B [3, 3, 128, 128], C [128, 32]
 */
export function expandKernel(tf: TfModule, shape: [number, number, number, number], rate: number, init: VariableInit, seed: number, given?: Record<'a' | 'b' | 'c', { data: Float32Array }>): KernelFactors {
  const [kh, kw, cin, cout] = shape;
  const m = Math.max(1, Math.round(rate * cout));
  return {
    a: newVariable(tf, [cin, m], 'glorot', seed, given?.a),
    b: newVariable(tf, [kh, kw, m, m], init, seed + 1, given?.b),
    c: newVariable(tf, [m, cout], 'glorot', seed + 2, given?.c),
  };
}

/**
 * The collapsed [kh, kw, cin, cout] kernel of three factors (differentiable: call it inside the
 * optimizer's closure to train the factors; the caller's tidy or closure disposes the intermediates).
 *
 * @example
 * const w = collapseKernel(tf, f); // convolve with w as with a plain kernel
 */
export function collapseKernel(tf: TfModule, f: { a: tfTypes.Tensor; b: tfTypes.Tensor; c: tfTypes.Tensor }): tfTypes.Tensor4D {
  const [kh, kw, m] = f.b.shape as [number, number, number, number];
  const [cin] = f.a.shape as [number, number];
  const cout = f.c.shape[1]!;
  const taps = kh * kw;
  // B·C: [taps·m (a), m (b)] × [m, cout] → [taps, m (a), cout]
  const bc = tf.reshape(tf.matMul(tf.reshape(f.b, [taps * m, m]), f.c as tfTypes.Tensor2D), [taps, m, cout]);
  // A·(B·C) per tap: [cin, m] × [m, taps·cout] → [cin, taps, cout] → [taps, cin, cout]
  const abc = tf.matMul(f.a as tfTypes.Tensor2D, tf.reshape(tf.transpose(bc, [1, 0, 2]), [m, taps * cout]));
  return tf.reshape(tf.transpose(tf.reshape(abc, [cin, taps, cout]), [1, 0, 2]), [kh, kw, cin, cout]) as tfTypes.Tensor4D;
}
