/**
 * A loaded VQ-VAE as a codec: images → tokens (tfjs encoder, then the typed-array nearest-codebook
 * search of src/vq/codebook.ts) and tokens → images (codebook lookup, then the decoder: the
 * convolutional one of src/vq/vqvae.ts or the low-rank one of src/vq/lowrank.ts). Batched, because
 * the bench and the classifiers run thousands of 28×28 images; the stages in src/stages/vq.ts call
 * it one frame at a time.
 *
 * Pixels here are NHWC float32 in [0, 1] (the net's range); frames are [1, H, W] in [-0.5, 0.5].
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { getTf, type TfModule } from '../models/backend.js';
import { codebookNorms, lookupCodes, nearestCodes } from './codebook.js';
import { LowRankDecoder } from './lowrank.js';
import { loadVqModel, type VqModel } from './model.js';
import { VqVae } from './vqvae.js';

/** Images per tfjs call: bounds memory (a 512-image batch of the decoder's hidden layer is 51 MB). */
const CHUNK = 256;

export class VqCodec {
  readonly model: VqModel;
  readonly net: VqVae;
  readonly tf: TfModule;
  readonly lowrank: LowRankDecoder | undefined;
  readonly #codebook: Float32Array;
  readonly #norms: Float64Array;

  private constructor(tf: TfModule, model: VqModel) {
    this.tf = tf;
    this.model = model;
    this.net = new VqVae(tf, model.config.net, model.weights);
    this.#codebook = model.weights.get('codebook')!.data;
    this.#norms = codebookNorms(this.#codebook, model.config.net.latentDim);
    const d = model.config.decoder;
    this.lowrank = d.type === 'lowrank' ? new LowRankDecoder(tf, model.config.net, d, model.weights) : undefined;
  }

  /**
   * Loads a VQ-VAE (bundled name or folder) on the best TensorFlow.js backend.
   *
   * @example
   * const codec = await VqCodec.load('vqvae-mnist-k128');
   * const tokens = codec.encode(pixels, 10); // 490 tokens
   */
  static async load(nameOrPath: string | VqModel, opts: { backend?: string } = {}): Promise<VqCodec> {
    const model = typeof nameOrPath === 'string' ? loadVqModel(nameOrPath) : nameOrPath;
    const { tf } = await getTf({ backend: opts.backend });
    return new VqCodec(tf, model);
  }

  /** Codebook size K. */
  get k(): number {
    return this.model.config.net.codebookSize;
  }

  /** Tokens per image side (size/4). */
  get grid(): number {
    return this.model.config.net.size / 4;
  }

  /** The codebook, row-major [K, D]. */
  get codebook(): Float32Array {
    return this.#codebook;
  }

  /**
   * z_e of n images as planar [n][D, g·g] (what a latent frame carries), from NHWC [0, 1] pixels.
   *
   * @example
   * const z = codec.latents(pixels, 1); // 64 × 49 values
   */
  latents(pixels: Float32Array, n: number): Float32Array {
    const { size, latentDim: d } = this.model.config.net;
    const g = size / 4;
    const p = g * g;
    const out = new Float32Array(n * d * p);
    for (let s = 0; s < n; s += CHUNK) {
      const b = Math.min(CHUNK, n - s);
      const t = this.tf.tidy(() => this.net.encode(this.tf.tensor4d(pixels.subarray(s * size * size, (s + b) * size * size), [b, size, size, 1])));
      const nhwc = t.dataSync() as Float32Array;
      t.dispose();
      // NHWC → planar per image.
      for (let i = 0; i < b; i++) {
        const src = i * p * d;
        const dst = (s + i) * d * p;
        for (let q = 0; q < p; q++) for (let c = 0; c < d; c++) out[dst + c * p + q] = nhwc[src + q * d + c]!;
      }
    }
    return out;
  }

  /**
   * Tokens of n images, [n · g · g] row-major per image, from NHWC [0, 1] pixels.
   *
   * @example
   * const tokens = codec.encode(toUnitBatch(test, 0, 100), 100);
   */
  encode(pixels: Float32Array, n: number): Uint16Array {
    const d = this.model.config.net.latentDim;
    const p = this.grid * this.grid;
    const z = this.latents(pixels, n);
    const out = new Uint16Array(n * p);
    for (let i = 0; i < n; i++) nearestCodes(z.subarray(i * d * p, (i + 1) * d * p), d, this.#codebook, this.#norms, out.subarray(i * p, (i + 1) * p));
    return out;
  }

  /**
   * Images (NHWC [0, 1]) of n token grids; a token ≥ K is WALLOC_ERR_VQ_TOKEN.
   *
   * @example
   * const pixels = codec.decode(tokens, 100); // 100 × 784 values
   */
  decode(tokens: Uint16Array, n: number): Float32Array {
    const { size, latentDim: d } = this.model.config.net;
    const g = this.grid;
    const p = g * g;
    const out = new Float32Array(n * size * size);
    const zq = new Float32Array(CHUNK * p * d);
    const planar = new Float32Array(d * p);
    for (let s = 0; s < n; s += CHUNK) {
      const b = Math.min(CHUNK, n - s);
      for (let i = 0; i < b; i++) {
        lookupCodes(tokens.subarray((s + i) * p, (s + i + 1) * p), d, this.#codebook, planar);
        for (let q = 0; q < p; q++) for (let c = 0; c < d; c++) zq[(i * p + q) * d + c] = planar[c * p + q]!;
      }
      const t = this.tf.tidy(() => {
        const z = this.tf.tensor4d(zq.subarray(0, b * p * d), [b, g, g, d]);
        return this.lowrank ? this.lowrank.decode(z) : this.net.decode(z);
      });
      out.set(t.dataSync() as Float32Array, s * size * size);
      t.dispose();
    }
    return out;
  }

  /** Decodes through the tfjs graph only (for tests: the TS lookup must give the same pixels). */
  decodeTensor(tokens: tfTypes.Tensor1D, b: number): tfTypes.Tensor4D {
    return this.tf.tidy(() => {
      const z = this.net.embed(tokens, b);
      return this.lowrank ? this.lowrank.decode(z) : this.net.decode(z);
    });
  }

  dispose(): void {
    this.net.dispose();
    this.lowrank?.dispose();
  }
}
