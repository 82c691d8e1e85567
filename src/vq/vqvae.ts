/**
 * The VQ-VAE of the codebook-size study, for 28×28 grey images (van den Oord et al. 2017):
 *
 *   encoder   x [B,28,28,1] in [0,1] → conv 4×4/2 (1→128) → ReLU → conv 4×4/2 (128→64) → z_e [B,7,7,64]
 *   quantizer z_q = e_k, k = argmin ‖z_e − e_k‖² over a codebook of K entries of dimension 64
 *   decoder   z_q → convT 4×4/2 (64→128) → ReLU → convT 4×4/2 (128→1) → sigmoid → x̂
 *
 * 49 tokens per image. Training (straight-through estimator): the decoder sees
 * z_e + sg(z_q − z_e), so reconstruction gradients pass to the encoder unchanged, and
 *
 *   loss = ‖x̂ − x‖² + ‖sg(z_e) − z_q‖² + β ‖z_e − sg(z_q)‖²,  β = 0.25
 *
 * (each term a mean). The 4×4 stride-2 layers are src/vq/strided-conv.ts, whose gradients run on
 * the wasm backend. Layers start as PyTorch's defaults; the codebook starts at encoder outputs of the
 * first batch ({@link VqVae.initCodebook}).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { TfModule } from '../models/backend.js';
import type { NamedWeights } from '../models/model-file.js';
import { matMulFast } from '../nn/matmul.js';
import { conv4x4s2, convTranspose4x4s2, strideTwoMacs } from './strided-conv.js';
import { readWeights, disposeVariables, parameterCount } from '../nn/variables.js';

type Tensor = tfTypes.Tensor;
type Tensor2D = tfTypes.Tensor2D;
type Tensor4D = tfTypes.Tensor4D;

/** The shape of a VQ-VAE; everything else about it is in its weights. */
export interface VqVaeNetConfig {
  /** Input side (28): the latent grid is side/4. */
  size: number;
  /** Hidden channels of the first layer (128). */
  hidden: number;
  /** Latent and codebook dimension D (64). */
  latentDim: number;
  /** Codebook entries K. */
  codebookSize: number;
  /** Commitment weight β (0.25). */
  beta: number;
}

export const VQVAE_DEFAULTS: Omit<VqVaeNetConfig, 'codebookSize'> = { size: 28, hidden: 128, latentDim: 64, beta: 0.25 };

/** Names of the tensors a VQ-VAE stores, in a stable order. */
export const ENCODER_TENSORS = ['enc1.weight', 'enc1.bias', 'enc2.weight', 'enc2.bias', 'codebook'] as const;
export const DECODER_TENSORS = ['dec1.weight', 'dec1.bias', 'dec2.weight', 'dec2.bias'] as const;

/**
 * Multiply-adds per image of the encoder and of the convolutional decoder.
 *
 * @example
 * vqvaeMacs({ ...VQVAE_DEFAULTS, codebookSize: 128 }); // { encoder: 6,823,936, decoder: 6,823,936 }
 */
export function vqvaeMacs(c: VqVaeNetConfig): { encoder: number; decoder: number } {
  const half = c.size / 2, quarter = c.size / 4;
  const layers = strideTwoMacs(half, half, 1, c.hidden) + strideTwoMacs(quarter, quarter, c.hidden, c.latentDim);
  return { encoder: layers, decoder: layers };
}

/** A gradient stop: the identity forward, zero gradient backward (tfjs has no stopGradient op). */
function stopGradient(tf: TfModule): (x: Tensor) => Tensor {
  return tf.customGrad(((...args: unknown[]) => {
    const x = args[0] as Tensor;
    return { value: tf.clone(x), gradFunc: (dy: Tensor) => tf.zerosLike(dy) };
  }) as Parameters<TfModule['customGrad']>[0]) as unknown as (x: Tensor) => Tensor;
}

/** What one training step reports. */
export interface VqStepStats {
  loss: number;
  recon: number;
  /** Distinct codebook entries used in the batch. */
  used: number;
}

export class VqVae {
  readonly config: VqVaeNetConfig;
  readonly tf: TfModule;
  readonly vars = new Map<string, tfTypes.Variable>();
  readonly #sg: (x: Tensor) => Tensor;

  /**
   * A VQ-VAE with the given weights, or freshly initialised ones (seeded).
   *
   * @example
   * const net = new VqVae(tf, { ...VQVAE_DEFAULTS, codebookSize: 128 });
   */
  constructor(tf: TfModule, config: VqVaeNetConfig, weights?: NamedWeights, seed = 1) {
    this.tf = tf;
    this.config = { ...config };
    this.#sg = stopGradient(tf);
    const { hidden: h, latentDim: d, codebookSize: k } = config;
    let n = 0;
    // PyTorch's default initialisation (what the study's nets start from): weights and biases
    // uniform in ±1/√fan_in, with ConvTranspose2d's fan_in taken from its output channels × 4 × 4.
    // He-normal weights (2.4× larger) made z_e so much larger than the codebook that training
    // collapsed onto a handful of entries.
    const add = (name: string, shape: number[], fanIn: number) => {
      const given = weights?.get(name);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 1 / k;
      const t = given ? tf.tensor(given.data, shape) : tf.randomUniform(shape, -bound, bound, 'float32', seed * 1000 + n++);
      this.vars.set(name, tf.variable(t, true, name + '_' + Math.random().toString(36).slice(2)));
      t.dispose();
    };
    add('enc1.weight', [4, 4, 1, h], 16);
    add('enc1.bias', [h], 16);
    add('enc2.weight', [4, 4, h, d], 16 * h);
    add('enc2.bias', [d], 16 * h);
    add('codebook', [k, d], 0); // ±1/K, replaced by encoder outputs on the first batch (initCodebook)
    add('dec1.weight', [4, 4, d, h], 16 * h);
    add('dec1.bias', [h], 16 * h);
    add('dec2.weight', [4, 4, h, 1], 16);
    add('dec2.bias', [1], 16);
  }

  /**
   * Data-dependent codebook start: K distinct encoder outputs of the first batch (plus tiny noise
   * for duplicates), so every entry starts where latents are and none is dead from step one.
   * With the ±1/K start, K = 128 collapsed to under 20 used entries within one epoch here.
   *
   * @example
   * net.initCodebook(firstBatch, 1);
   */
  initCodebook(x: Tensor4D, seed = 1): void {
    const tf = this.tf;
    const { latentDim: d, codebookSize: k } = this.config;
    const z = tf.tidy(() => tf.reshape(this.encode(x), [-1, d]));
    const rows = z.shape[0]!;
    const data = z.dataSync() as Float32Array;
    z.dispose();
    let s = seed >>> 0 || 1;
    const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
    const cb = new Float32Array(k * d);
    for (let i = 0; i < k; i++) {
      const r = Math.floor(next() * rows);
      for (let c = 0; c < d; c++) cb[i * d + c] = data[r * d + c]! + (next() - 0.5) * 1e-3;
    }
    this.v('codebook').assign(tf.tensor2d(cb, [k, d]));
  }

  v(name: string): tfTypes.Variable {
    const t = this.vars.get(name);
    if (!t) throw new Error(`VQ-VAE variable ${name} missing`);
    return t;
  }

  /** Trainable parameters of the encoder + codebook + decoder. */
  get parameterCount(): number {
    return parameterCount(this.vars);
  }

  /**
   * z_e [B, s/4, s/4, D] for images x [B, s, s, 1] in [0, 1].
   *
   * @example
   * net.encode(x).shape; // [64, 7, 7, 64]
   */
  encode(x: Tensor4D): Tensor4D {
    const tf = this.tf;
    const h = tf.relu(tf.add(conv4x4s2(tf, x, this.v('enc1.weight') as Tensor4D), this.v('enc1.bias'))) as Tensor4D;
    return tf.add(conv4x4s2(tf, h, this.v('enc2.weight') as Tensor4D), this.v('enc2.bias')) as Tensor4D;
  }

  /**
   * Nearest codebook indices [N] for latent vectors z [N, D] (ties to the lowest index).
   *
   * @example
   * const tokens = net.nearest(tf.reshape(net.encode(x), [-1, 64]));
   */
  nearest(z: Tensor2D): tfTypes.Tensor1D {
    const tf = this.tf;
    const e = this.v('codebook') as Tensor2D;
    // ‖e‖² − 2 z·e: ‖z‖² is the same for every entry.
    const score = tf.sub(tf.sum(tf.square(e), 1), tf.mul(2, tf.matMul(z, tf.transpose(e))));
    return tf.argMin(score, 1) as tfTypes.Tensor1D;
  }

  /**
   * x̂ [B, s, s, 1] in (0, 1) from (quantized) latents [B, s/4, s/4, D].
   *
   * @example
   * const xr = net.decode(net.embed(tokens, b));
   */
  decode(z: Tensor4D): Tensor4D {
    const tf = this.tf;
    const h = tf.relu(tf.add(convTranspose4x4s2(tf, z, this.v('dec1.weight') as Tensor4D), this.v('dec1.bias'))) as Tensor4D;
    return tf.sigmoid(tf.add(convTranspose4x4s2(tf, h, this.v('dec2.weight') as Tensor4D), this.v('dec2.bias'))) as Tensor4D;
  }

  /**
   * Codebook vectors [B, g, g, D] of tokens [B·g·g] (one-hot product: differentiable in the codebook).
   *
   * @example
   * net.embed(tf.tensor1d(tokens, 'int32'), 1).shape; // [1, 7, 7, 64]
   */
  embed(tokens: tfTypes.Tensor1D, b: number): Tensor4D {
    const tf = this.tf;
    const g = this.config.size / 4;
    const oneHot = tf.oneHot(tokens, this.config.codebookSize).toFloat() as Tensor2D;
    return tf.reshape(matMulFast(tf)(oneHot, this.v('codebook') as Tensor2D), [b, g, g, this.config.latentDim]) as Tensor4D;
  }

  /**
   * The training loss of a batch and its parts (all scalars, to be disposed by the caller's tidy).
   *
   * @example
   * const { loss } = net.loss(x); // inside optimizer.minimize
   */
  loss(x: Tensor4D): { loss: tfTypes.Scalar; recon: tfTypes.Scalar; tokens: tfTypes.Tensor1D; latents: Tensor2D } {
    const tf = this.tf;
    const b = x.shape[0];
    const ze = this.encode(x);
    const flat = tf.reshape(ze, [-1, this.config.latentDim]) as Tensor2D;
    const tokens = this.nearest(this.#sg(flat) as Tensor2D);
    const zq = this.embed(tokens, b);
    const sg = this.#sg;
    const straight = tf.add(ze, sg(tf.sub(zq, ze))) as Tensor4D;
    const xr = this.decode(straight);
    const recon = tf.mean(tf.square(tf.sub(xr, x))) as tfTypes.Scalar;
    const codebook = tf.mean(tf.square(tf.sub(sg(ze), zq)));
    const commit = tf.mean(tf.square(tf.sub(ze, sg(zq))));
    const loss = tf.add(tf.add(recon, codebook), tf.mul(this.config.beta, commit)) as tfTypes.Scalar;
    return { loss, recon, tokens, latents: flat };
  }

  /**
   * One Adam step on a batch; returns the loss, reconstruction MSE and codebook usage.
   *
   * @example
   * const stats = net.trainStep(opt, x); // { loss: 0.03, recon: 0.02, used: 97 }
   */
  trainStep(optimizer: tfTypes.Optimizer, x: Tensor4D): VqStepStats {
    const tf = this.tf;
    let recon: tfTypes.Scalar | undefined;
    let tokens: tfTypes.Tensor1D | undefined;
    let latents: Tensor | undefined;
    const vars = [...this.vars.values()];
    const cost = optimizer.minimize(() => {
      const r = this.loss(x);
      recon = tf.keep(r.recon);
      tokens = tf.keep(r.tokens);
      latents = tf.keep(r.latents);
      return r.loss;
    }, true, vars);
    const loss = cost!.dataSync()[0]!;
    const rec = recon!.dataSync()[0]!;
    const ids = tokens!.dataSync() as Int32Array;
    const used = new Set(ids).size;
    this.restartDeadCodes(ids, latents!);
    cost!.dispose();
    recon!.dispose();
    tokens!.dispose();
    latents!.dispose();
    return { loss, recon: rec, used };
  }

  /** Steps an entry may go unused before it is restarted. */
  static readonly DEAD_AFTER_STEPS = 20;
  #lastUsed: Int32Array | undefined;
  #step = 0;
  #restartSeed = 12345;

  /**
   * Dead-code restart (as in Jukebox and SoundStream): an entry no latent has picked for
   * {@link VqVae.DEAD_AFTER_STEPS} steps is moved onto a random encoder output of the current batch.
   * Without it the plain loss collapsed here onto 2–20 of 128 entries within 30 steps: the encoder
   * outputs drift while entries nobody picks get no gradient and are left behind.
   */
  private restartDeadCodes(ids: Int32Array, latents: Tensor): void {
    const k = this.config.codebookSize;
    const d = this.config.latentDim;
    this.#lastUsed ??= new Int32Array(k).fill(this.#step);
    this.#step++;
    for (const i of ids) this.#lastUsed[i] = this.#step;
    const dead: number[] = [];
    for (let i = 0; i < k; i++) if (this.#step - this.#lastUsed[i]! >= VqVae.DEAD_AFTER_STEPS) dead.push(i);
    if (!dead.length) return;
    const z = latents.dataSync() as Float32Array;
    const rows = z.length / d;
    const cb = this.v('codebook').dataSync() as Float32Array;
    for (const i of dead) {
      this.#restartSeed = (Math.imul(this.#restartSeed, 1664525) + 1013904223) >>> 0;
      const r = Math.floor((this.#restartSeed / 4294967296) * rows);
      cb.set(z.subarray(r * d, (r + 1) * d), i * d);
      this.#lastUsed[i] = this.#step;
    }
    const t = this.tf.tensor2d(cb, [k, d]);
    this.v('codebook').assign(t);
    t.dispose();
  }

  /** The codebook as a row-major [K, D] Float32Array. */
  codebook(): Float32Array {
    return this.v('codebook').dataSync() as Float32Array;
  }

  /** Current weights as named float arrays (the model file's currency). */
  getWeights(): NamedWeights {
    return readWeights(this.vars);
  }

  dispose(): void {
    disposeVariables(this.vars);
  }
}
