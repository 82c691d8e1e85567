/**
 * The learned 3-D decoder: latent volume → wavelet packet coefficients, at latent resolution (the
 * inverse 3-D wavelet transform does all upsampling), the volumetric sibling of src/nn/decoder.ts:
 *
 *   coeffs = L·y + b                                   (the linear floor: PCA transpose at init)
 *          + Wout · relu(h_K),  h_0 = relu(conv(y/s)),  h_k = h_{k-1} + conv(relu(conv(h_{k-1})))
 *
 * with k×k×k convolutions. The residual output layer starts at zero, so an untrained decoder is
 * exactly the linear floor.
 *
 * Why the convolutions are built from 2-D ones: tfjs-backend-wasm has Conv3D and its two
 * gradients, but they are its generic loops: measured here, a 3-layer width-32 net over a batch of
 * eight 16³ latent grids took 6–9 s forward and ~15 s per training step. A k×k×k convolution is
 * the sum over the k depth taps of k×k 2-D convolutions of depth-shifted slices, and wasm's 2-D
 * convolution is XNNPACK: the same net then took ~4 s forward and ~6 s per step, with the
 * forward-conv gradients of src/nn/conv.ts (wasm has no Conv2DBackpropFilter).
 *
 * Layout: activations [B, D, H, W, C] (NDHWC), filters [kd, kh, kw, Cin, Cout].
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { TfModule } from '../models/backend.js';
import { convSame } from './conv.js';
import type { NamedWeights } from '../models/model-file.js';
import { readWeights, assignWeights, disposeVariables, newVariable, parameterCount, variableOf, type VariableInit } from './variables.js';

type Tensor5D = tfTypes.Tensor5D;
type Tensor4D = tfTypes.Tensor4D;

export interface VolumeDecoderConfig {
  /** Latent channels N. */
  latentDim: number;
  /** Wavelet channels produced (C·8^J). */
  outChannels: number;
  /** Hidden width; 0 means linear only. */
  width: number;
  /** Residual blocks (two convolutions each). */
  blocks: number;
  /** Kernel size k of the k×k×k convolutions (odd). */
  kernel: number;
}

/**
 * 'same' k×k×k convolution of x [B, D, H, W, Ci] with w [k, k, k, Ci, Co], stride 1, built from k
 * 2-D convolutions over depth-shifted slices. `train` selects the custom-gradient 2-D convolution.
 *
 * @example
 * const y = conv3dSame(tf, x, w, true); // x [2, 8, 8, 8, 4], w [3, 3, 3, 4, 16] → [2, 8, 8, 8, 16]
 */
export function conv3dSame(tf: TfModule, x: Tensor5D, w: tfTypes.Tensor, train: boolean, bias?: tfTypes.Tensor, relu = false): Tensor5D {
  const [b, d, h, wd, ci] = x.shape;
  const [kd, kh, kw, , co] = w.shape as [number, number, number, number, number];
  const p = (kd - 1) / 2;
  const padded = p > 0 ? tf.pad(x, [[0, 0], [p, p], [0, 0], [0, 0], [0, 0]]) : x;
  let acc: Tensor4D | undefined;
  for (let z = 0; z < kd; z++) {
    const slab = tf.reshape(p > 0 ? tf.slice(padded, [0, z, 0, 0, 0], [b, d, h, wd, ci]) : padded, [b * d, h, wd, ci]) as Tensor4D;
    const wz = tf.reshape(tf.slice(w, [z, 0, 0, 0, 0], [1, kh, kw, ci, co]), [kh, kw, ci, co]) as Tensor4D;
    let y: Tensor4D;
    if (train) {
      y = convSame(tf, kh, kw)(slab, wz);
    } else if (kd === 1) {
      y = tf.fused.conv2d({ x: slab, filter: wz, strides: 1, pad: 'same', ...(bias ? { bias } : {}), activation: relu ? 'relu' : 'linear' });
      return tf.reshape(y, [b, d, h, wd, co]) as Tensor5D;
    } else {
      y = tf.conv2d(slab, wz, 1, 'same');
    }
    acc = acc ? (tf.add(acc, y) as Tensor4D) : y;
  }
  let out = tf.reshape(acc!, [b, d, h, wd, co]) as Tensor5D;
  if (bias) out = tf.add(out, bias) as Tensor5D;
  return relu ? (tf.relu(out) as Tensor5D) : out;
}

/**
 * The 3-D residual decoder (see the module comment); weights named like the 2-D decoder's.
 *
 * @example
 * const dec = new VolumeDecoder(tf, { latentDim: 8, outChannels: 64, width: 24, blocks: 1, kernel: 3 });
 * const coeffs = dec.apply(latents); // [B, D, H, W, 8] → [B, D, H, W, 64]
 */
export class VolumeDecoder {
  readonly config: VolumeDecoderConfig;
  private readonly tf: TfModule;
  /** Variables by name, in a stable order. */
  readonly vars = new Map<string, tfTypes.Variable>();

  constructor(tf: TfModule, config: VolumeDecoderConfig, weights?: NamedWeights) {
    this.tf = tf;
    this.config = { ...config };
    const { latentDim: n, outChannels: co, width: w, blocks, kernel: k } = config;
    const add = (name: string, shape: number[], init: VariableInit) => {
      this.vars.set(name, newVariable(tf, shape, init, 4321 + this.vars.size, weights?.get(name)));
    };
    // Same names and shapes as the 2-D decoder's linear part, so linear floors are interchangeable.
    add('decoder.linear.weight', [1, 1, n, co], 'zeros');
    add('decoder.linear.bias', [co], 'zeros');
    add('decoder.inscale', [n], 'zeros');
    if (w > 0) {
      add('decoder.in.weight', [k, k, k, n, w], 'he');
      add('decoder.in.bias', [w], 'zeros');
      for (let b = 0; b < blocks; b++) {
        add(`decoder.block${b}.conv1.weight`, [k, k, k, w, w], 'he');
        add(`decoder.block${b}.conv1.bias`, [w], 'zeros');
        add(`decoder.block${b}.conv2.weight`, [k, k, k, w, w], 'zeros');
        add(`decoder.block${b}.conv2.bias`, [w], 'zeros');
      }
      add('decoder.out.weight', [1, 1, w, co], 'zeros');
      add('decoder.out.bias', [co], 'zeros');
    }
  }

  /** Number of trainable parameters. */
  get parameterCount(): number {
    return parameterCount(this.vars);
  }

  private v(name: string): tfTypes.Variable {
    return variableOf(this.vars, name, 'volume decoder');
  }

  /** 1×1×1 layer as one 2-D 1×1 convolution over all positions. */
  private pointwise(x: Tensor5D, name: string, train: boolean): Tensor5D {
    const tf = this.tf;
    const [b, d, h, w, c] = x.shape;
    const wt = this.v(`${name}.weight`) as unknown as Tensor4D;
    const flat = tf.reshape(x, [b * d, h, w, c]) as Tensor4D;
    const co = wt.shape[3];
    const y = train
      ? tf.add(convSame(tf, 1)(flat, wt), this.v(`${name}.bias`))
      : tf.fused.conv2d({ x: flat, filter: wt, strides: 1, pad: 'same', bias: this.v(`${name}.bias`) });
    return tf.reshape(y, [b, d, h, w, co]) as Tensor5D;
  }

  /**
   * Decodes dequantized latents y [B, D, H, W, N] into wavelet coefficients [B, D, H, W, C·8^J].
   *
   * @example
   * const coeffs = dec.apply(tf.zeros([1, 4, 4, 4, 8]) as tf.Tensor5D);
   */
  apply(y: Tensor5D, train = false): Tensor5D {
    const tf = this.tf;
    const { width: w, blocks } = this.config;
    const lin = this.pointwise(y, 'decoder.linear', train);
    if (w === 0) return lin;
    const x = tf.mul(y, tf.exp(tf.neg(this.v('decoder.inscale')))) as Tensor5D;
    const conv = (inp: Tensor5D, name: string, relu: boolean) => conv3dSame(tf, inp, this.v(`${name}.weight`), train, this.v(`${name}.bias`), relu);
    let h = conv(x, 'decoder.in', true);
    for (let b = 0; b < blocks; b++) h = tf.add(h, conv(conv(h, `decoder.block${b}.conv1`, true), `decoder.block${b}.conv2`, false)) as Tensor5D;
    return tf.add(lin, this.pointwise(tf.relu(h) as Tensor5D, 'decoder.out', train)) as Tensor5D;
  }

  /** Reads the current weights out as named float arrays. */
  getWeights(): NamedWeights {
    return readWeights(this.vars);
  }

  /** Overwrites named variables (e.g. the linear part from a PCA). */
  setWeights(weights: NamedWeights): void {
    assignWeights(this.tf, this.vars, weights);
  }

  dispose(): void {
    disposeVariables(this.vars);
  }
}
