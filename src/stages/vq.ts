/**
 * vq / unvq and vqpack / vqunpack: the vector-quantizer stages of the VQ-VAE family.
 *
 * - {@link VectorQuantizer}: the quantizer alone. A continuous latent frame [D, ...grid]
 *   (Float32Array) becomes a `tokens` frame [...grid] (Uint16Array) of nearest codebook entries
 *   by L2 (codebook K × D, src/vq/codebook.ts: typed arrays, nothing allocated per token), and back
 *   (the inverse is the codebook lookup; quantizing a looked-up latent gives the same tokens).
 * - `vq` / `unvq`: a VQ-VAE model's whole codec around it: a [1, 28, 28] image frame → its 7×7
 *   tokens (tfjs encoder, then the quantizer above), and tokens → the decoded image (codebook
 *   lookup, then the model's decoder: convolutional, or low-rank; src/stages/lowrank.ts has the
 *   table decoder that needs no ML runtime).
 * - `vqpack` / `vqunpack`: tokens ⇄ a `packed` frame holding ⌈log2 K⌉ bits per token, deflated when
 *   that is smaller (src/vq/token-pack.ts). Bit-exact; a token ≥ K or a truncated body is a coded
 *   error (WALLOC_ERR_VQ_TOKEN, WALLOC_ERR_VQ_STREAM).
 *
 * A tokens frame's meta says which model made it (`model`, the id) and, in `extra`, the codebook size
 * and `tokensSha256` (the encoder + codebook fingerprint, src/vq/model.ts), so a decoder or a token
 * classifier refuses tokens of another codebook. {@link vqHeader} is the .wlc header of a token stream.
 */
import type { WlcHeader } from '../container/index.js';
import { werr } from '../errors.js';
import { expectKind, makeFrame, sizeOf, type Frame, type FrameMeta, type ImageFrame, type LatentFrame, type TokensFrame } from '../frame.js';
import { checkTokens, codebookNorms, lookupCodes, nearestCodes } from '../vq/codebook.js';
import type { VqModel } from '../vq/model.js';
import { packTokens, readTokenPackInfo, TOKEN_PACK_META_KEY, unpackTokens } from '../vq/token-pack.js';
import { VqCodec } from '../vq/vq-codec.js';
import type { PackedFrame } from './pack.js';

/** Keys of a tokens frame's `meta.extra`. */
export const TOKENS_CODEBOOK_KEY = 'codebook';
export const TOKENS_SHA_KEY = 'tokensSha256';

/**
 * The vector quantizer over a fixed codebook: latent ⇄ tokens, in plain TypeScript.
 *
 * @example
 * const q = new VectorQuantizer(codebook, 64);
 * const tokens = q.quantize(latentFrame);   // [64, 7, 7] → tokens [7, 7]
 * const latent = q.dequantize(tokens);      // tokens → [64, 7, 7] codebook vectors
 */
export class VectorQuantizer {
  readonly codebook: Float32Array;
  readonly dim: number;
  readonly size: number;
  /** Extra meta stamped on every tokens frame (model id, fingerprint). */
  readonly stamp: { model?: string; tokensSha256?: string };
  readonly #norms: Float64Array;

  constructor(codebook: Float32Array, dim: number, stamp: { model?: string; tokensSha256?: string } = {}) {
    this.#norms = codebookNorms(codebook, dim); // validates nothing: nearestCodes does, per call
    this.codebook = codebook;
    this.dim = dim;
    this.size = codebook.length / dim;
    if (!Number.isInteger(this.size) || this.size < 2 || this.size > 65536) {
      throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `a codebook of ${codebook.length} values is not K × ${dim} with 2 ≤ K ≤ 65536` });
    }
    this.stamp = { ...stamp };
  }

  /**
   * The quantizer of a VQ-VAE model (its codebook, id and fingerprint).
   *
   * @example
   * const q = VectorQuantizer.fromModel(loadVqModel('vqvae-mnist-k128'));
   */
  static fromModel(model: VqModel): VectorQuantizer {
    return new VectorQuantizer(model.weights.get('codebook')!.data, model.config.net.latentDim, { model: model.id, tokensSha256: model.config.tokensSha256 });
  }

  /**
   * Meta of a tokens frame made from a frame with meta `meta`: the model id, K and the fingerprint added.
   *
   * @example
   * makeFrame('tokens', [7, 7], tokens, q.tokensMeta({ pts: 3 }));
   */
  tokensMeta(meta: FrameMeta): FrameMeta {
    const out: FrameMeta = { ...meta, extra: { ...meta.extra, [TOKENS_CODEBOOK_KEY]: this.size, ...(this.stamp.tokensSha256 ? { [TOKENS_SHA_KEY]: this.stamp.tokensSha256 } : {}) } };
    if (this.stamp.model !== undefined) out.model = this.stamp.model;
    delete out.bits;
    return out;
  }

  /**
   * Continuous latent [D, ...grid] → tokens [...grid] (nearest entry by L2, ties to the lowest index).
   *
   * @example
   * q.quantize(makeFrame('latent', [64, 7, 7], z, { source: 'image' })).shape; // [7, 7]
   */
  quantize(frame: Frame): TokensFrame {
    const f = expectKind(frame, ['latent'], 'vq') as LatentFrame;
    if (!(f.data instanceof Float32Array)) throw werr('WALLOC_ERR_FRAME_KIND', { stage: 'vq', expected: 'continuous latent (Float32Array)', actual: `latent (${f.data.constructor.name})` });
    if (f.shape.length < 2 || f.shape[0] !== this.dim) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `vq expects [${this.dim}, ...grid] latents, got [${f.shape.join(', ')}]` });
    const grid = f.shape.slice(1);
    return makeFrame('tokens', grid, nearestCodes(f.data, this.dim, this.codebook, this.#norms), this.tokensMeta(f.meta));
  }

  /**
   * Tokens [...grid] → their codebook vectors [D, ...grid]; a token ≥ K is WALLOC_ERR_VQ_TOKEN.
   *
   * @example
   * q.dequantize(tokensFrame).shape; // [64, 7, 7]
   */
  dequantize(frame: Frame): LatentFrame {
    const f = checkTokensFrame(frame, this, 'unvq');
    const meta: FrameMeta = { ...f.meta };
    if (meta.extra) {
      const extra = { ...meta.extra };
      delete extra[TOKENS_CODEBOOK_KEY];
      delete extra[TOKENS_SHA_KEY];
      if (Object.keys(extra).length) meta.extra = extra;
      else delete meta.extra;
    }
    return makeFrame('latent', [this.dim, ...f.shape], lookupCodes(f.data, this.dim, this.codebook), meta);
  }
}

/** Checks a tokens frame against a quantizer: kind, dtype, codebook size and fingerprint, token range. */
function checkTokensFrame(frame: Frame, q: VectorQuantizer, stage: string): TokensFrame {
  const f = expectKind(frame, ['tokens'], stage) as TokensFrame;
  if (!(f.data instanceof Uint16Array)) throw werr('WALLOC_ERR_FRAME_KIND', { stage, expected: 'tokens (Uint16Array)', actual: `tokens (${(f.data as object).constructor.name})` });
  const k = f.meta.extra?.[TOKENS_CODEBOOK_KEY];
  if (k !== undefined && k !== q.size) throw werr('WALLOC_ERR_VQ_MODEL', { model: q.stamp.model ?? '?', reason: `tokens index a ${String(k)}-entry codebook, this one has ${q.size}` });
  const sha = f.meta.extra?.[TOKENS_SHA_KEY];
  if (sha !== undefined && q.stamp.tokensSha256 !== undefined && sha !== q.stamp.tokensSha256) {
    throw werr('WALLOC_ERR_VQ_MODEL', { model: q.stamp.model ?? '?', reason: `the tokens were made by ${String(f.meta.model ?? 'another model')}, whose encoder or codebook differs` });
  }
  checkTokens(f.data, q.size);
  return f;
}

/**
 * Image frame [1, S, S] in [-0.5, 0.5] → tokens [S/4, S/4] through a VQ-VAE.
 *
 * @example
 * const tokens = vqEncodeFrame(greyFrame(test, 0), codec); // [7, 7] Uint16Array
 */
export function vqEncodeFrame(frame: Frame, codec: VqCodec): TokensFrame {
  const f = expectKind(frame, ['image'], 'vq') as ImageFrame;
  const s = codec.model.config.net.size;
  if (f.shape.length !== 3 || f.shape[0] !== 1 || f.shape[1] !== s || f.shape[2] !== s) {
    throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `model ${codec.model.config.name} codes [1, ${s}, ${s}] grey images, got [${f.shape.join(', ')}] (use format=gray,scale=${s}:${s} first)` });
  }
  const x = new Float32Array(s * s);
  for (let i = 0; i < x.length; i++) x[i] = Math.min(1, Math.max(0, f.data[i]! + 0.5));
  const z = codec.latents(x, 1);
  const q = VectorQuantizer.fromModel(codec.model);
  const g = s / 4;
  const meta: FrameMeta = { ...f.meta, source: 'image', sourceShape: [1, s, s] };
  return q.quantize(makeFrame('latent', [codec.model.config.net.latentDim, g, g], z, meta));
}

/**
 * Tokens [g, g] → the decoded image frame [1, 4g, 4g] in [-0.5, 0.5] through the model's decoder.
 *
 * @example
 * const image = vqDecodeFrame(tokensFrame, codec);
 */
export function vqDecodeFrame(frame: Frame, codec: VqCodec): ImageFrame {
  const q = VectorQuantizer.fromModel(codec.model);
  const f = checkTokensFrame(frame, q, 'unvq');
  const s = codec.model.config.net.size;
  if (f.shape.length !== 2 || f.shape[0] !== s / 4 || f.shape[1] !== s / 4) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `model ${codec.model.config.name} decodes ${s / 4}×${s / 4} tokens, got [${f.shape.join(', ')}]` });
  const x = codec.decode(f.data, 1);
  for (let i = 0; i < x.length; i++) x[i] = x[i]! - 0.5;
  return makeFrame('image', [1, s, s], x, imageMeta(f.meta));
}

/**
 * Meta of an image decoded from tokens: the token bookkeeping removed.
 *
 * @example
 * makeFrame('image', [1, 28, 28], pixels, imageMeta(tokensFrame.meta));
 */
export function imageMeta(meta: FrameMeta): FrameMeta {
  const out: FrameMeta = { ...meta };
  delete out.source;
  delete out.model;
  if (out.extra) {
    const extra = { ...out.extra };
    delete extra[TOKENS_CODEBOOK_KEY];
    delete extra[TOKENS_SHA_KEY];
    if (Object.keys(extra).length) out.extra = extra;
    else delete out.extra;
  }
  return out;
}

/**
 * Tokens frame → packed frame: ⌈log2 K⌉ bits per token, deflated when smaller; `meta.extra.vq`
 * holds the grid, K and coder. K comes from the frame (`extra.codebook`) or `codebook`.
 *
 * @example
 * const packed = packTokensFrame(tokensFrame); // 49 tokens of K = 128 → at most 44 bytes
 */
export function packTokensFrame(frame: Frame, codebook?: number): PackedFrame {
  const f = expectKind(frame, ['tokens'], 'vqpack') as TokensFrame;
  if (!(f.data instanceof Uint16Array)) throw werr('WALLOC_ERR_FRAME_KIND', { stage: 'vqpack', expected: 'tokens (Uint16Array)', actual: 'tokens' });
  const k = codebook ?? f.meta.extra?.[TOKENS_CODEBOOK_KEY];
  if (typeof k !== 'number') throw werr('WALLOC_ERR_VQ_STREAM', { reason: 'the tokens frame does not say its codebook size (meta.extra.codebook); give codebook=K' });
  const { data, info } = packTokens(f.data, f.shape, k);
  return makeFrame('packed', [data.length], data, { ...f.meta, extra: { ...f.meta.extra, [TOKEN_PACK_META_KEY]: info } });
}

/**
 * Packed frame → the exact tokens frame (the inverse of {@link packTokensFrame}).
 *
 * @example
 * const tokens = unpackTokensFrame(packed); // bit-exact
 */
export function unpackTokensFrame(frame: Frame): TokensFrame {
  const f = expectKind(frame, ['packed'], 'vqunpack');
  if (!(f.data instanceof Uint8Array)) throw werr('WALLOC_ERR_VQ_STREAM', { reason: 'packed data must be a Uint8Array' });
  const info = readTokenPackInfo(f.meta.extra?.[TOKEN_PACK_META_KEY]);
  const tokens = unpackTokens(f.data, info);
  const extra: Record<string, unknown> = { ...f.meta.extra, [TOKENS_CODEBOOK_KEY]: info.codebook };
  delete extra[TOKEN_PACK_META_KEY];
  return makeFrame('tokens', info.shape, tokens, { ...f.meta, extra });
}

/**
 * The .wlc header of a token stream made by `model`: the model id and checksum as every stream,
 * plus the codebook size and `tokensSha256` that decoders and token classifiers match on.
 *
 * @example
 * const writer = new WlcWriter({ header: vqHeader(codec.model) });
 */
export function vqHeader(model: VqModel): WlcHeader {
  const n = model.config.net;
  return {
    model: model.config.name, modelSha256: model.sha256, modality: 'image', latentDim: n.latentDim, bits: Math.ceil(Math.log2(n.codebookSize)),
    pack: 'vq', shape: [1, n.size, n.size], codebook: n.codebookSize, tokensSha256: model.config.tokensSha256,
  };
}

/** Token count of a frame shape (for callers that size buffers). */
export const tokenCount = (shape: readonly number[]): number => sizeOf(shape);
