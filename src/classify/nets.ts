/**
 * The classifier nets, one family of small residual CNNs over NHWC tensors:
 *
 *   x̂ = (x − μ)/σ                      per-channel input normalisation, fixed from the training data
 *   stage 0: h = relu(conv3×3(x̂))       the stem, at input resolution
 *   stage i>0: h = relu(conv3×3(maxpool2(h)))   downsample by 2, change width
 *   each stage then adds residual blocks  h = h + conv3×3(relu(conv3×3(h))), relu after each
 *   logits = dense(dropout(mean over positions of h))      (or of the flattened map; dropout only in training)
 *
 * - `latent-resnet`: the Latent-ResNet of the hyperprior side-information study, on companded
 *   latents (int8 values in ±127 from a .wlc stream, or the unrounded `encoder[:2]` output). The
 *   wavelet packet transform has already downsampled by 2^J, so it starts where a pixel CNN's third
 *   stage would.
 * - `gated-resnet`: the fusion-gated variant: the stem becomes f = sigmoid(W_s ∗ s + b_s) ⊙ (W_y ∗ x̂ + b_y)
 *   where s is side information about the latents' local scale, here the per-position spread of the
 *   latents (mean |x̂| and standard deviation across channels), then relu.
 * - `pixel-cnn`: the same family on pixels (the decode-free baseline), more stages because it starts
 *   at full resolution.
 *
 * Training convolutions go through src/nn/conv.ts (forward-conv gradients: the wasm backend has no
 * Conv2DBackpropFilter); inference uses fused conv+bias+relu kernels. Global average pooling makes
 * every net accept any input size, so a classifier trained on 64×64 crops also runs on video frames.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { TfModule } from '../models/backend.js';
import { convSame } from '../nn/conv.js';
import { collapseKernel, expandKernel, type KernelFactors } from '../nn/linear-expansion.js';
import { disposeVariables, newVariable, parameterCount, readWeights, variableOf, type VariableInit } from '../nn/variables.js';

type Tensor4D = tfTypes.Tensor4D;
type Tensor2D = tfTypes.Tensor2D;

export type ClassifierArch = 'latent-resnet' | 'gated-resnet' | 'pixel-cnn';
export const CLASSIFIER_ARCHS: readonly ClassifierArch[] = ['latent-resnet', 'gated-resnet', 'pixel-cnn'];

export interface StageConfig {
  /** Channels of this stage. */
  width: number;
  /** Residual blocks (two 3×3 convolutions each) after the stage's first convolution. */
  blocks: number;
}

export interface ClassifierNetConfig {
  arch: ClassifierArch;
  /** Input channels (latent channels, or 1/3 for pixels). */
  inChannels: number;
  classes: number;
  /** Stage 0 runs at input resolution; every later stage halves it first. */
  stages: StageConfig[];
  /**
   * 'mean' (default): global average pooling, any input size. 'flatten': a dense layer over the last
   * stage's whole map, which keeps where things are (garment shape) but fixes the input size.
   */
  head?: 'mean' | 'flatten';
  /** [H, W] the net was built for; required with head 'flatten'. */
  inputSize?: [number, number];
  /** Dropout rate on the head's input while training (0 or absent: none). Inference ignores it. */
  dropout?: number;
  /**
   * Units of a hidden dense layer (with ReLU) between the pooled/flattened features and the class
   * logits; 0 or absent: none. Capacity for few multiply-adds (features × hidden), where another
   * convolution would cost a whole map's worth.
   */
  hidden?: number;
  /**
   * 2 (default): images, 3×3 kernels and 2×2 pooling. 1: signals (audio latents) laid out as NHWC
   * with H = 1, W = columns, C = latent channels, 1×3 kernels and 1×2 pooling.
   */
  dims?: 1 | 2;
}

/** Kernel [kh, kw] of a net's convolutions. */
function kernelOf(c: ClassifierNetConfig): [number, number] {
  return c.dims === 1 ? [1, 3] : [3, 3];
}

/** Spatial size after the last stage. */
export function finalSize(c: ClassifierNetConfig, h: number, w: number): [number, number] {
  for (let i = 1; i < c.stages.length; i++) {
    if (c.dims !== 1) h = Math.ceil(h / 2);
    w = Math.ceil(w / 2);
  }
  return [h, w];
}

import type { NamedWeights } from '../models/model-file.js';

/**
 * Default shapes. The latent nets are sized for 7×7 (Fashion-MNIST, J=2) to 8×8 (64² RGB, J=3)
 * latents; the pixel CNN reaches the same 7×7×32 trunk from 28×28 pixels through two more stages.
 */
export function defaultStages(arch: ClassifierArch, dims: 1 | 2 = 2): StageConfig[] {
  // Audio windows (172 columns): four stages down to 22 columns, then the mean over time.
  if (dims === 1) return [{ width: 48, blocks: 0 }, { width: 48, blocks: 1 }, { width: 64, blocks: 1 }, { width: 64, blocks: 1 }];
  if (arch === 'pixel-cnn') return [{ width: 16, blocks: 0 }, { width: 32, blocks: 0 }, { width: 32, blocks: 1 }, { width: 32, blocks: 1 }];
  return [{ width: 32, blocks: 0 }, { width: 32, blocks: 1 }];
}

/** Multiply-adds per input position-independent image of H×W (for docs and the bench). */
export function multiplyAdds(c: ClassifierNetConfig, height: number, width: number): number {
  let h = height;
  let w = width;
  let cin = c.inChannels;
  let total = 0;
  const [kh, kw] = kernelOf(c);
  const taps = kh * kw;
  c.stages.forEach((s, i) => {
    if (i > 0) {
      if (c.dims !== 1) h = Math.ceil(h / 2);
      w = Math.ceil(w / 2);
    }
    // The gate convolution reads the 2 side-information channels, not cin.
    const conv = h * w * taps * s.width * (cin + (i === 0 && c.arch === 'gated-resnet' ? 2 : 0));
    total += conv + s.blocks * 2 * h * w * taps * s.width * s.width;
    cin = s.width;
  });
  const [fh, fw] = finalSize(c, height, width);
  const features = cin * (c.head === 'flatten' ? fh * fw : 1);
  return total + (c.hidden ? features * c.hidden + c.hidden * c.classes : features * c.classes);
}

export class ClassifierNet {
  readonly config: ClassifierNetConfig;
  private readonly tf: TfModule;
  /** Trainable variables by name, in a stable order. */
  readonly vars = new Map<string, tfTypes.Variable>();
  /** Fixed input normalisation [inChannels] each. */
  private mean: tfTypes.Tensor1D;
  private invStd: tfTypes.Tensor1D;

  /** Kernels trained as linear factors (`expand` > 0, src/nn/linear-expansion.ts), by weight name. */
  private readonly factors = new Map<string, KernelFactors>();

  /**
   * `expand` > 0 (training only): every stage and block convolution is trained as three linear
   * factors with m = expand · width inner channels, collapsed into plain kernels by getWeights (so
   * the saved net is the plain one); `weights` then carries the factors (`NAME.a`, `.b`, `.c`,
   * factorWeights) to resume from, or none.
   */
  constructor(tf: TfModule, config: ClassifierNetConfig, weights?: NamedWeights, seed = 1, expand = 0) {
    this.tf = tf;
    this.config = { ...config, stages: config.stages.map((s) => ({ ...s })), ...(config.inputSize ? { inputSize: [...config.inputSize] as [number, number] } : {}) };
    const { inChannels: ci, classes, stages } = config;
    let k = 0;
    const add = (name: string, shape: number[], init: VariableInit) => {
      if (expand > 0 && (!weights || weights.has(`${name}.a`)) && shape.length === 4 && /^stage\d+\.(conv|block\d+\.conv[12])\.weight$/.test(name)) {
        const f = expandKernel(tf, shape as [number, number, number, number], expand, init, seed * 1000 + k, weights && {
          a: weights.get(`${name}.a`)!, b: weights.get(`${name}.b`)!, c: weights.get(`${name}.c`)!,
        });
        k += 3;
        this.factors.set(name, f);
        for (const [part, v] of Object.entries(f)) this.vars.set(`${name}.${part}`, v);
        return;
      }
      // The seed counter advances only for random inits, as it always has (same weights per seed).
      this.vars.set(name, newVariable(tf, shape, init, init === 'zeros' ? 0 : seed * 1000 + k++, weights?.get(name)));
    };
    let cin = ci;
    const [kh, kw] = kernelOf(config);
    stages.forEach((s, i) => {
      add(`stage${i}.conv.weight`, [kh, kw, cin, s.width], 'he');
      add(`stage${i}.conv.bias`, [s.width], 'zeros');
      if (i === 0 && config.arch === 'gated-resnet') {
        add('stage0.gate.weight', [kh, kw, 2, s.width], 'glorot');
        add('stage0.gate.bias', [s.width], 'zeros');
      }
      for (let b = 0; b < s.blocks; b++) {
        add(`stage${i}.block${b}.conv1.weight`, [kh, kw, s.width, s.width], 'he');
        add(`stage${i}.block${b}.conv1.bias`, [s.width], 'zeros');
        // Small (not zero) init of the second conv: the block starts near identity but trains.
        add(`stage${i}.block${b}.conv2.weight`, [kh, kw, s.width, s.width], 'glorot');
        add(`stage${i}.block${b}.conv2.bias`, [s.width], 'zeros');
      }
      cin = s.width;
    });
    if (config.head === 'flatten' && !config.inputSize) throw new Error('a flatten head needs inputSize');
    const [fh, fw] = config.head === 'flatten' ? finalSize(config, ...config.inputSize!) : [1, 1];
    const features = cin * fh * fw;
    if (config.hidden) {
      add('hidden.weight', [features, config.hidden], 'he');
      add('hidden.bias', [config.hidden], 'zeros');
    }
    add('head.weight', [config.hidden || features, classes], 'glorot');
    add('head.bias', [classes], 'zeros');
    const m = weights?.get('input.mean')?.data ?? new Float32Array(ci);
    const sd = weights?.get('input.std')?.data ?? new Float32Array(ci).fill(1);
    this.mean = tf.tensor1d(m);
    this.invStd = tf.tensor1d(Array.from(sd, (v) => 1 / Math.max(v, 1e-6)));
  }

  /** Sets the fixed input normalisation (per-channel mean and standard deviation of the training inputs). */
  setNormalization(mean: Float32Array, std: Float32Array): void {
    this.mean.dispose();
    this.invStd.dispose();
    this.mean = this.tf.tensor1d(mean);
    this.invStd = this.tf.tensor1d(Array.from(std, (v) => 1 / Math.max(v, 1e-6)));
  }

  /** Number of parameters of the net as saved (expanded kernels count collapsed). */
  get parameterCount(): number {
    let n = parameterCount(this.vars);
    for (const f of this.factors.values()) n += f.b.shape[0]! * f.b.shape[1]! * f.a.shape[0]! * f.c.shape[1]! - (f.a.size + f.b.size + f.c.size);
    return n;
  }

  /** The kernel called `name`: a variable, or collapsed from its factors. */
  private kernel(name: string): Tensor4D {
    const f = this.factors.get(name);
    return f ? collapseKernel(this.tf, f) : (this.v(name) as Tensor4D);
  }

  private v(name: string): tfTypes.Variable {
    return variableOf(this.vars, name, 'classifier');
  }

  /**
   * Logits [B, classes] for a batch x [B, H, W, inChannels]. `train` selects the differentiable
   * convolutions. `taps`, when given, receives every stage's output map in order (the student's
   * side of hint distillation, src/classify/hint.ts).
   */
  apply(x: Tensor4D, train = false, taps?: Tensor4D[]): Tensor2D {
    const tf = this.tf;
    const h = this.trunk(x, train, this.config.stages.length - 1, taps);
    let pooled = (this.config.head === 'flatten' ? tf.reshape(h, [h.shape[0], -1]) : tf.mean(h, [1, 2])) as Tensor2D;
    if (train && this.config.dropout) pooled = tf.dropout(pooled, this.config.dropout) as Tensor2D;
    if (this.config.hidden) {
      pooled = tf.relu(tf.add(tf.matMul(pooled, this.v('hidden.weight') as Tensor2D), this.v('hidden.bias'))) as Tensor2D;
      if (train && this.config.dropout) pooled = tf.dropout(pooled, this.config.dropout) as Tensor2D;
    }
    return tf.add(tf.matMul(pooled, this.v('head.weight') as Tensor2D), this.v('head.bias')) as Tensor2D;
  }

  /**
   * The output maps of stages 0…`last` (inference convolutions; later stages are not run): the
   * teacher's side of hint distillation.
   *
   * @example
   * const [, , f] = net.stageOutputs(x, 2); // f: the pixel CNN's 7×7×32 map of 28×28 inputs
   */
  stageOutputs(x: Tensor4D, last: number): Tensor4D[] {
    if (!(Number.isInteger(last) && last >= 0 && last < this.config.stages.length)) throw new RangeError(`stage ${last} of a net with ${this.config.stages.length}`);
    const taps: Tensor4D[] = [];
    this.trunk(x, false, last, taps);
    return taps;
  }

  /** Normalisation and stages 0…`last`; pushes each stage's output onto `taps`. */
  private trunk(x: Tensor4D, train: boolean, last: number, taps?: Tensor4D[]): Tensor4D {
    const tf = this.tf;
    const [kh, kw] = kernelOf(this.config);
    const pool: [number, number] = this.config.dims === 1 ? [1, 2] : [2, 2];
    const conv = (inp: Tensor4D, name: string, relu: boolean): Tensor4D => {
      const w = this.kernel(`${name}.weight`);
      const bias = this.v(`${name}.bias`);
      if (!train) return tf.fused.conv2d({ x: inp, filter: w, strides: 1, pad: 'same', bias, activation: relu ? 'relu' : 'linear' });
      const z = tf.add(convSame(tf, kh, kw)(inp, w), bias) as Tensor4D;
      return relu ? (tf.relu(z) as Tensor4D) : z;
    };
    let h = tf.mul(tf.sub(x, this.mean), this.invStd) as Tensor4D;
    for (const [i, s] of this.config.stages.slice(0, last + 1).entries()) {
      if (i > 0) h = tf.maxPool(h, pool, pool, 'same');
      if (i === 0 && this.config.arch === 'gated-resnet') {
        // Side information: per-position spread of the (normalised) latents across channels.
        const a = tf.mean(tf.abs(h), 3, true);
        const m = tf.mean(h, 3, true);
        const sd = tf.sqrt(tf.add(tf.mean(tf.square(tf.sub(h, m)), 3, true), 1e-6));
        const side = tf.concat([a, sd], 3) as Tensor4D;
        const gate = tf.sigmoid(conv(side, 'stage0.gate', false));
        h = tf.relu(tf.mul(gate, conv(h, 'stage0.conv', false))) as Tensor4D;
      } else {
        h = conv(h, `stage${i}.conv`, true);
      }
      for (let b = 0; b < s.blocks; b++) {
        const r = conv(conv(h, `stage${i}.block${b}.conv1`, true), `stage${i}.block${b}.conv2`, false);
        h = tf.relu(tf.add(h, r)) as Tensor4D;
      }
      taps?.push(h);
    }
    return h;
  }

  getConfig(): ClassifierNetConfig {
    return { ...this.config, stages: this.config.stages.map((s) => ({ ...s })), ...(this.config.inputSize ? { inputSize: [...this.config.inputSize] as [number, number] } : {}) };
  }

  static fromConfig(tf: TfModule, config: ClassifierNetConfig, weights?: NamedWeights): ClassifierNet {
    return new ClassifierNet(tf, config, weights);
  }

  /** The expanded kernels' factors as named float arrays (empty when not expanded). */
  factorWeights(): NamedWeights {
    const out: NamedWeights = new Map();
    for (const [name, f] of this.factors) for (const [part, v] of Object.entries(f)) out.set(`${name}.${part}`, { shape: [...v.shape], data: v.dataSync() as Float32Array });
    return out;
  }

  /** Current weights (trainable ones plus the input normalisation) as named float arrays. */
  getWeights(): NamedWeights {
    const out = readWeights(this.vars);
    for (const [name, f] of this.factors) {
      const w = collapseKernel(this.tf, f);
      out.set(name, { shape: [...w.shape], data: w.dataSync() as Float32Array });
      w.dispose();
      for (const part of ['a', 'b', 'c']) out.delete(`${name}.${part}`);
    }
    const ci = this.config.inChannels;
    out.set('input.mean', { shape: [ci], data: this.mean.dataSync() as Float32Array });
    out.set('input.std', { shape: [ci], data: Float32Array.from(this.invStd.dataSync(), (v) => 1 / v) });
    return out;
  }

  dispose(): void {
    disposeVariables(this.vars);
    this.mean.dispose();
    this.invStd.dispose();
  }
}
