/**
 * lowrank: the low-rank decoder (src/vq/lowrank.ts) as a stage: tokens frames → image frames,
 * in plain TypeScript with no ML runtime. Each token grid is decoded by table look-ups and rank-R
 * products (`decodeWithTables`), which is the arithmetic the bench's MAC count describes; the tables
 * (one row per codebook entry and neighbour cell) are built once when the stage is made.
 *
 * The model must be a low-rank model made by `walloc train lowrank`; it carries the encoder and
 * codebook of the VQ-VAE it was trained on, so it decodes that VQ-VAE's token streams (the tokens'
 * `tokensSha256` must match; another codebook is WALLOC_ERR_VQ_MODEL).
 */
import { werr } from '../errors.js';
import { makeFrame, type Frame, type ImageFrame } from '../frame.js';
import type { NamedWeights } from '../models/model-file.js';
import { decodeWithTables, lowRankTables } from '../vq/lowrank.js';
import { loadVqModel, type LowRankConfig, type VqModel } from '../vq/model.js';
import { imageMeta, VectorQuantizer } from './vq.js';

/**
 * A loaded low-rank decoder: tables built, ready to decode token frames.
 *
 * @example
 * const dec = LowRankStageDecoder.fromModel(loadVqModel('/work/runs/vq/lowrank-r2i2'));
 * const image = dec.decode(tokensFrame); // [1, 28, 28]
 */
export class LowRankStageDecoder {
  readonly model: VqModel;
  readonly config: LowRankConfig;
  readonly #tables: Float32Array;
  readonly #weights: NamedWeights;
  readonly #quantizer: VectorQuantizer;
  readonly #out: Float32Array;

  private constructor(model: VqModel) {
    const d = model.config.decoder;
    if (d.type !== 'lowrank') throw werr('WALLOC_ERR_VQ_MODEL', { model: model.config.name, reason: 'this is a convolutional VQ-VAE; lowrank needs a model from `walloc train lowrank` (use unvq for this one)' });
    this.model = model;
    this.config = d;
    this.#weights = model.weights;
    const w = model.weights.get('lowrank.weight');
    if (!w || !model.weights.has('lowrank.bias') || !model.weights.has('lowrank.smooth.weight') || !model.weights.has('lowrank.smooth.bias')) {
      throw werr('WALLOC_ERR_VQ_MODEL', { model: model.config.name, reason: 'low-rank tensors are missing' });
    }
    this.#tables = lowRankTables(model.weights.get('codebook')!.data, w.data, model.config.net, d);
    this.#quantizer = VectorQuantizer.fromModel(model);
    this.#out = new Float32Array(model.config.net.size ** 2);
  }

  /**
   * Builds the decoder of a model (or a bundled name / folder); a convolutional VQ-VAE is WALLOC_ERR_VQ_MODEL.
   *
   * @example
   * const dec = LowRankStageDecoder.fromModel('/work/runs/vq/lowrank-mnist-r2i2p4');
   */
  static fromModel(model: VqModel | string): LowRankStageDecoder {
    return new LowRankStageDecoder(typeof model === 'string' ? loadVqModel(model) : model);
  }

  /**
   * Tokens [g, g] → image frame [1, 4g, 4g] in [-0.5, 0.5].
   *
   * @example
   * dec.decode(tokensFrame).shape; // [1, 28, 28]
   */
  decode(frame: Frame): ImageFrame {
    const net = this.model.config.net;
    const g = net.size / 4;
    // Checks kind, codebook size and fingerprint, and every token < K (the lookup then needs no check).
    const latent = this.#quantizer.dequantize(frame);
    if (latent.shape.length !== 3 || latent.shape[1] !== g || latent.shape[2] !== g) {
      throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `model ${this.model.config.name} decodes ${g}×${g} tokens, got [${latent.shape.slice(1).join(', ')}]` });
    }
    const img = decodeWithTables(frame.data as Uint16Array, this.#tables, this.#weights, net, this.config, this.#out);
    const out = new Float32Array(img.length);
    for (let i = 0; i < img.length; i++) out[i] = img[i]! - 0.5;
    return makeFrame('image', [1, net.size, net.size], out, imageMeta(frame.meta));
  }
}
