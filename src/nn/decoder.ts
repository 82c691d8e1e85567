/**
 * The learned decoder: latents → wavelet packet coefficients, at latent resolution (the inverse
 * wavelet transform does all upsampling, as in WaLLoC).
 *
 *   coeffs = L·y + b                                   (the linear floor: PCA transpose at init)
 *          + Wout · relu(h_K),  h_0 = relu(conv(y/s)),  h_k = h_{k-1} + conv(relu(conv(h_{k-1})))
 *
 * The residual net's output layer starts at zero, so an untrained decoder is exactly the linear
 * floor and training can only start from there: on few photos that guard matters (walloc.md §10).
 * WaLLoC's own decoder has 57 M parameters and global attention (0.47 MP/s on a desktop CPU); this
 * one is a few hundred thousand parameters of 3×3 convolutions, sized so the wasm backend decodes
 * faster than 2 MP/s on two cores.
 *
 * Follows tfjs-layers' convention: a config that round-trips (`getConfig`/`fromConfig`).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { TfModule } from '../models/backend.js';
import { convSame } from './conv.js';
import { readWeights, assignWeights, disposeVariables, newVariable, parameterCount, variableOf, type VariableInit } from './variables.js';

type Tensor4D = tfTypes.Tensor4D;

export interface ResidualDecoderConfig {
  /** Latent channels N. */
  latentDim: number;
  /** Wavelet channels produced (C·K^J). */
  outChannels: number;
  /** Hidden width of the residual net; 0 means linear only. */
  width: number;
  /** Residual blocks (two convolutions each). */
  blocks: number;
  /** Kernel size of the spatial convolutions (odd). */
  kernel: number;
  /** 1 for audio (kernels 1×k over [B,1,L,C]), 2 for images. */
  dims: 1 | 2;
}

/** Weights as named float arrays, the model file's currency. */
import type { NamedWeights } from '../models/model-file.js';

export class ResidualDecoder {
  readonly config: ResidualDecoderConfig;
  private readonly tf: TfModule;
  /** Variables by name, in a stable order. */
  readonly vars = new Map<string, tfTypes.Variable>();

  constructor(tf: TfModule, config: ResidualDecoderConfig, weights?: NamedWeights) {
    this.tf = tf;
    this.config = { ...config };
    const { latentDim: n, outChannels: co, width: w, blocks, kernel: k, dims } = config;
    const kh = dims === 1 ? 1 : k;
    const add = (name: string, shape: number[], init: VariableInit) => {
      this.vars.set(name, newVariable(tf, shape, init, 1234 + this.vars.size, weights?.get(name)));
    };
    add('decoder.linear.weight', [1, 1, n, co], 'zeros');
    add('decoder.linear.bias', [co], 'zeros');
    add('decoder.inscale', [n], 'zeros');
    if (w > 0) {
      add('decoder.in.weight', [kh, k, n, w], 'he');
      add('decoder.in.bias', [w], 'zeros');
      for (let b = 0; b < blocks; b++) {
        add(`decoder.block${b}.conv1.weight`, [kh, k, w, w], 'he');
        add(`decoder.block${b}.conv1.bias`, [w], 'zeros');
        add(`decoder.block${b}.conv2.weight`, [kh, k, w, w], 'zeros');
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
    return variableOf(this.vars, name, 'decoder');
  }

  /**
   * Decodes a batch of dequantized latents y [B, H, W, N] (NHWC; H = 1 for audio) into wavelet
   * coefficients [B, H, W, C·K^J]. `train` selects the custom-gradient convolutions; inference
   * uses fused conv+bias+relu kernels, which are faster.
   */
  apply(y: Tensor4D, train = false): Tensor4D {
    const tf = this.tf;
    const { width: w, blocks, kernel: k, dims } = this.config;
    const kh = dims === 1 ? 1 : k;
    const lin = train
      ? tf.add(convSame(tf, 1)(y, this.v('decoder.linear.weight') as Tensor4D), this.v('decoder.linear.bias'))
      : tf.fused.conv2d({ x: y, filter: this.v('decoder.linear.weight') as Tensor4D, strides: 1, pad: 'same', bias: this.v('decoder.linear.bias') });
    if (w === 0) return lin as Tensor4D;
    // inscale holds log-scales so that the net sees unit-variance inputs whatever the companding scale.
    const x = tf.mul(y, tf.exp(tf.neg(this.v('decoder.inscale')))) as Tensor4D;
    const conv = (inp: Tensor4D, name: string, relu: boolean, kk = k, kkh = kh): Tensor4D => {
      const wt = this.v(`${name}.weight`) as Tensor4D;
      const bias = this.v(`${name}.bias`);
      if (!train) return tf.fused.conv2d({ x: inp, filter: wt, strides: 1, pad: 'same', bias, activation: relu ? 'relu' : 'linear' });
      const z = tf.add(convSame(tf, kkh, kk)(inp, wt), bias) as Tensor4D;
      return relu ? tf.relu(z) : z;
    };
    let h = conv(x, 'decoder.in', true);
    for (let b = 0; b < blocks; b++) {
      const r = conv(conv(h, `decoder.block${b}.conv1`, true), `decoder.block${b}.conv2`, false);
      h = tf.add(h, r) as Tensor4D;
    }
    const out = conv(tf.relu(h) as Tensor4D, 'decoder.out', false, 1, 1);
    return tf.add(lin, out) as Tensor4D;
  }

  /** The config, enough with `fromConfig` and the weights to rebuild the same decoder. */
  getConfig(): ResidualDecoderConfig {
    return { ...this.config };
  }

  /** Rebuilds a decoder from its config and (optionally) its weights. */
  static fromConfig(tf: TfModule, config: ResidualDecoderConfig, weights?: NamedWeights): ResidualDecoder {
    return new ResidualDecoder(tf, config, weights);
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
