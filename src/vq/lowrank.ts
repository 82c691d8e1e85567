/**
 * The low-rank decoder: instead of transposed convolutions, each P×P patch of the image is a sum
 * over I iterations of rank-R products U_i·diag(σ_i)·V_iᵀ (U_i, V_i ∈ R^{P×R}, σ_i ∈ R^R), whose
 * factors are generated from the quantized latent vectors (the one codebook of the VQ-VAE), then
 * optionally a 3×3 smoothing convolution, then a sigmoid to [0, 1]:
 *
 *   f        = W · [z_q of the patch's (G+2)×(G+2) latent cells] + b     G = P/4 cells per patch side,
 *                                                                          a ring of one neighbour cell
 *                                                                          (zeros beyond the grid)
 *   patch    = Σ_{i<I} U_i(f) · diag(σ_i(f)) · V_i(f)ᵀ
 *   x̂        = sigmoid(smooth(patches laid side by side))
 *
 * Why it is cheap: f is linear in the latent vectors, and every latent vector is one of K codebook
 * entries, so W·z_q splits into one table per neighbour cell with a row per codebook entry
 * (T_j[k] = W_j·e_k, precomputed once per model). Decoding a patch is then n = (G+2)² table rows
 * added up (n·F additions, F = I·(2P·R + R) factors) and the products (I·(P·R + P²·R)
 * multiply-adds), against 6.8 M multiply-adds per image for the convolutional decoder.
 * {@link lowRankMacs} counts both ways; {@link LowRankDecoder.tables} builds the tables and
 * {@link decodeWithTables} is the hand-written table decoder (tested equal to the tfjs graph).
 *
 * The iterations are an unrolled additive refinement: iteration i adds its own rank-R term from
 * its own slice of f, so the patch rank is at most I·R (and at most P). Trained on a frozen
 * VQ-VAE's tokens (`walloc train lowrank`), it decodes that VQ-VAE's streams unchanged.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { werr } from '../errors.js';
import type { TfModule } from '../models/backend.js';
import type { NamedWeights } from '../models/model-file.js';
import { convSame } from '../nn/conv.js';
import { matMulFast } from '../nn/matmul.js';
import type { LowRankConfig } from './model.js';
import type { VqVaeNetConfig } from './vqvae.js';
import { readWeights, disposeVariables, parameterCount, variableOf } from '../nn/variables.js';

type Tensor = tfTypes.Tensor;
type Tensor2D = tfTypes.Tensor2D;
type Tensor4D = tfTypes.Tensor4D;

/** Tensors of the low-rank decoder. */
export const LOWRANK_TENSORS = ['lowrank.weight', 'lowrank.bias', 'lowrank.smooth.weight', 'lowrank.smooth.bias'] as const;

/** Geometry derived from a config: cells per patch side G, patches per side m, neighbour cells n, factors F. */
export interface LowRankGeometry {
  cells: number;
  patchesPerSide: number;
  neighbours: number;
  factors: number;
}

/**
 * Checks the knobs against the net and derives the geometry; bad knobs are WALLOC_ERR_INVALID_ARGUMENT.
 *
 * @example
 * lowRankGeometry({ size: 28, hidden: 128, latentDim: 64, codebookSize: 128, beta: 0.25 }, { type: 'lowrank', rank: 2, iterations: 2, patch: 4, smooth: true });
 * // { cells: 1, patchesPerSide: 7, neighbours: 9, factors: 36 }
 */
export function lowRankGeometry(net: VqVaeNetConfig, c: LowRankConfig): LowRankGeometry {
  const bad = (reason: string) => werr('WALLOC_ERR_INVALID_ARGUMENT', { reason });
  if (!Number.isInteger(c.rank) || c.rank < 1 || c.rank > 64) throw bad(`rank R must be an integer from 1 to 64, got ${c.rank}`);
  if (!Number.isInteger(c.iterations) || c.iterations < 1 || c.iterations > 16) throw bad(`iterations I must be an integer from 1 to 16, got ${c.iterations}`);
  const g = net.size / 4;
  if (!Number.isInteger(c.patch) || c.patch % 4 !== 0 || g % (c.patch / 4) !== 0) {
    throw bad(`patch side must be a multiple of 4 whose cells divide the ${g}×${g} latent grid (e.g. 4 or ${net.size}), got ${c.patch}`);
  }
  const cells = c.patch / 4;
  return { cells, patchesPerSide: g / cells, neighbours: (cells + 2) ** 2, factors: c.iterations * (2 * c.patch * c.rank + c.rank) };
}

/**
 * Multiply-adds per image of the low-rank decoder: `tables` with the per-codebook-entry tables
 * (table additions + products + smoothing), `dense` computing W·z_q directly instead.
 *
 * @example
 * lowRankMacs(net, { type: 'lowrank', rank: 2, iterations: 2, patch: 4, smooth: true }); // { tables: 26,705, dense: 1,022,… }
 */
export function lowRankMacs(net: VqVaeNetConfig, c: LowRankConfig): { tables: number; dense: number; tableBytes: number } {
  const geo = lowRankGeometry(net, c);
  const patches = geo.patchesPerSide ** 2;
  const products = c.iterations * (c.patch * c.rank + c.patch * c.patch * c.rank);
  const smooth = c.smooth ? 9 * net.size * net.size : 0;
  return {
    tables: patches * (geo.neighbours * geo.factors + products) + smooth,
    dense: patches * (geo.neighbours * net.latentDim * geo.factors + products) + smooth,
    tableBytes: 4 * geo.neighbours * net.codebookSize * geo.factors,
  };
}

export class LowRankDecoder {
  readonly net: VqVaeNetConfig;
  readonly config: LowRankConfig;
  readonly geometry: LowRankGeometry;
  readonly tf: TfModule;
  readonly vars = new Map<string, tfTypes.Variable>();

  /**
   * A low-rank decoder with the given weights or a seeded initialisation.
   *
   * @example
   * const dec = new LowRankDecoder(tf, vq.config.net, { type: 'lowrank', rank: 2, iterations: 2, patch: 4, smooth: true });
   */
  constructor(tf: TfModule, net: VqVaeNetConfig, config: LowRankConfig, weights?: NamedWeights, seed = 1) {
    this.tf = tf;
    this.net = { ...net };
    this.config = { ...config };
    this.geometry = lowRankGeometry(net, config);
    const { neighbours: n, factors: f } = this.geometry;
    const inDim = n * net.latentDim;
    const get = (name: string, shape: number[], make: () => Tensor) => {
      const given = weights?.get(name);
      const t = given ? tf.tensor(given.data, shape) : make();
      this.vars.set(name, tf.variable(t, true, name + '_' + Math.random().toString(36).slice(2)));
      t.dispose();
    };
    get('lowrank.weight', [inDim, f], () => tf.randomNormal([inDim, f], 0, Math.sqrt(1 / inDim), 'float32', seed * 7919));
    // Bias: σ starts at 1 and U, V at small random values, so every product starts non-zero and
    // receives gradient (a product of factors that all start at zero would never move).
    get('lowrank.bias', [f], () => {
      const b = new Float32Array(f);
      const per = f / config.iterations;
      const pr = config.patch * config.rank;
      let s = seed * 104729;
      for (let i = 0; i < f; i++) {
        s = (s * 1103515245 + 12345) % 2147483648;
        const inSigma = i % per >= pr && i % per < pr + config.rank;
        b[i] = inSigma ? 1 : ((s / 2147483648) - 0.5) * 0.5;
      }
      return tf.tensor1d(b);
    });
    get('lowrank.smooth.weight', [3, 3, 1, 1], () => {
      const w = new Float32Array(9);
      w[4] = 1; // identity at first: smoothing is learnt from there
      return tf.tensor4d(w, [3, 3, 1, 1]);
    });
    get('lowrank.smooth.bias', [1], () => tf.zeros([1]));
  }

  /** Trainable parameters (the smoothing convolution counted only when on). */
  get parameterCount(): number {
    return parameterCount(this.vars, (name) => this.config.smooth === true || !name.startsWith('lowrank.smooth'));
  }

  private v(name: string): tfTypes.Variable {
    return variableOf(this.vars, name, 'low-rank decoder');
  }

  /** Generator input [B·m², n·D]: each patch's neighbourhood of latent vectors, zeros beyond the grid. */
  neighbourhoods(z: Tensor4D): Tensor2D {
    const tf = this.tf;
    const b = z.shape[0];
    const d = this.net.latentDim;
    const { cells: G, patchesPerSide: m } = this.geometry;
    const zp = tf.pad(z, [[0, 0], [1, 1], [1, 1], [0, 0]]);
    const parts: Tensor[] = [];
    for (let u = 0; u < G + 2; u++) {
      for (let v = 0; v < G + 2; v++) {
        // Cell (u, v) of every patch's window: rows u, u+G, … (m of them).
        parts.push(G === 1 ? tf.slice(zp, [0, u, v, 0], [b, m, m, d]) : tf.stridedSlice(zp, [0, u, v, 0], [b, u + G * (m - 1) + 1, v + G * (m - 1) + 1, d], [1, G, G, 1]));
      }
    }
    return tf.reshape(tf.concat(parts, 3), [b * m * m, parts.length * d]) as Tensor2D;
  }

  /** The factors [B·m², F] of quantized latents z [B, g, g, D]. */
  factors(z: Tensor4D): Tensor2D {
    const tf = this.tf;
    return tf.add(matMulFast(tf)(this.neighbourhoods(z), this.v('lowrank.weight') as Tensor2D), this.v('lowrank.bias')) as Tensor2D;
  }

  /** Pre-sigmoid image [B, S, S, 1] from factors [B·m², F]. */
  assemble(f: Tensor2D, b: number): Tensor4D {
    const tf = this.tf;
    const { rank: R, iterations: I, patch: P } = this.config;
    const { patchesPerSide: m } = this.geometry;
    const N = b * m * m * I;
    const per = 2 * P * R + R;
    const fi = tf.reshape(f, [N, per]);
    const u = tf.reshape(tf.slice(fi, [0, 0], [N, P * R]), [N, P, R]);
    const s = tf.reshape(tf.slice(fi, [0, P * R], [N, R]), [N, 1, R]);
    const v = tf.reshape(tf.slice(fi, [0, P * R + R], [N, P * R]), [N, P, R]);
    // Explicit transpose: wasm's batched matMul with transposeB is many times slower.
    const prod = tf.matMul(tf.mul(u, s) as tfTypes.Tensor3D, tf.transpose(v, [0, 2, 1]) as tfTypes.Tensor3D);
    const patches = tf.sum(tf.reshape(prod, [b, m, m, I, P, P]), 3);
    const img = tf.reshape(tf.transpose(patches, [0, 1, 3, 2, 4]), [b, m * P, m * P, 1]) as Tensor4D;
    if (!this.config.smooth) return img;
    return tf.add(convSame(tf, 3)(img, this.v('lowrank.smooth.weight') as Tensor4D), this.v('lowrank.smooth.bias')) as Tensor4D;
  }

  /**
   * x̂ [B, S, S, 1] in (0, 1) from quantized latents [B, g, g, D].
   *
   * @example
   * const xr = dec.decode(net.embed(tokens, b));
   */
  decode(z: Tensor4D): Tensor4D {
    const tf = this.tf;
    return tf.sigmoid(this.assemble(this.factors(z), z.shape[0])) as Tensor4D;
  }

  /**
   * The per-codebook-entry tables of the current weights (see {@link lowRankTables}).
   *
   * @example
   * const tables = dec.tables(codebook);
   */
  tables(codebook: Float32Array): Float32Array {
    return lowRankTables(codebook, this.v('lowrank.weight').dataSync() as Float32Array, this.net, this.config);
  }

  /** Current weights as named arrays. */
  getWeights(): NamedWeights {
    return readWeights(this.vars);
  }

  dispose(): void {
    disposeVariables(this.vars);
  }
}

/**
 * The tables T_j[k] = W_j·e_k, one per neighbour cell j and codebook entry k: [n][K][F] flattened.
 * Built once per model (n·K·D·F multiply-adds), they turn the generator into additions.
 *
 * @example
 * const tables = lowRankTables(model.weights.get('codebook')!.data, model.weights.get('lowrank.weight')!.data, net, cfg);
 */
export function lowRankTables(codebook: Float32Array, weight: Float32Array, net: VqVaeNetConfig, c: LowRankConfig): Float32Array {
  const { neighbours: n, factors: f } = lowRankGeometry(net, c);
  const d = net.latentDim;
  const k = codebook.length / d;
  if (!Number.isInteger(k) || weight.length !== n * d * f) throw werr('WALLOC_ERR_VQ_MODEL', { model: '?', reason: `low-rank weight has ${weight.length} values, expected ${n * d * f}` });
  const out = new Float32Array(n * k * f);
  const acc = new Float64Array(f);
  for (let j = 0; j < n; j++) {
    for (let e = 0; e < k; e++) {
      acc.fill(0);
      for (let ch = 0; ch < d; ch++) {
        const x = codebook[e * d + ch]!;
        const row = (j * d + ch) * f;
        for (let q = 0; q < f; q++) acc[q] = acc[q]! + x * weight[row + q]!;
      }
      out.set(acc, (j * k + e) * f);
    }
  }
  return out;
}

/**
 * The table decoder in plain TypeScript: one image from its token grid [g·g], using the tables of
 * {@link LowRankDecoder.tables}, the bias and the smoothing filter. Exactly the arithmetic that
 * {@link lowRankMacs}' `tables` count describes; output in (0, 1), [S·S] row-major.
 *
 * @example
 * const img = decodeWithTables(tokens.subarray(0, 49), tables, dec.getWeights(), net, cfg);
 */
export function decodeWithTables(tokens: Uint16Array, tables: Float32Array, weights: NamedWeights, net: VqVaeNetConfig, c: LowRankConfig, out: Float32Array = new Float32Array(net.size * net.size)): Float32Array {
  const geo = lowRankGeometry(net, c);
  const { cells: G, patchesPerSide: m, factors: F } = geo;
  const g = net.size / 4;
  const k = net.codebookSize;
  const S = net.size;
  const P = c.patch, R = c.rank;
  const bias = weights.get('lowrank.bias')!.data;
  const f = new Float32Array(F);
  const img = new Float32Array(S * S);
  for (let a = 0; a < m; a++) {
    for (let bb = 0; bb < m; bb++) {
      f.set(bias);
      let j = 0;
      for (let u = 0; u < G + 2; u++) {
        for (let v = 0; v < G + 2; v++, j++) {
          const row = a * G + u - 1, col = bb * G + v - 1;
          if (row < 0 || col < 0 || row >= g || col >= g) continue; // zero padding: contributes nothing
          const t = tokens[row * g + col]!;
          if (t >= k) throw werr('WALLOC_ERR_VQ_TOKEN', { value: t, index: row * g + col, codebook: k });
          const base = (j * k + t) * F;
          for (let q = 0; q < F; q++) f[q] = f[q]! + tables[base + q]!;
        }
      }
      const per = 2 * P * R + R;
      for (let i = 0; i < c.iterations; i++) {
        const o = i * per;
        for (let y = 0; y < P; y++) {
          for (let x = 0; x < P; x++) {
            let s = 0;
            for (let r = 0; r < R; r++) s += f[o + y * R + r]! * f[o + P * R + r]! * f[o + P * R + R + x * R + r]!;
            img[(a * P + y) * S + bb * P + x] = img[(a * P + y) * S + bb * P + x]! + s;
          }
        }
      }
    }
  }
  const sw = weights.get('lowrank.smooth.weight')!.data;
  const sb = weights.get('lowrank.smooth.bias')!.data[0]!;
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      let v: number;
      if (c.smooth) {
        v = sb;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy, xx = x + dx;
            if (yy >= 0 && xx >= 0 && yy < S && xx < S) v += img[yy * S + xx]! * sw[(dy + 1) * 3 + dx + 1]!;
          }
        }
      } else {
        v = img[y * S + x]!;
      }
      out[y * S + x] = 1 / (1 + Math.exp(-v));
    }
  }
  return out;
}
