/**
 * VQ-VAE model folders: the layout of every walloc model (src/models/model-file.ts: `model.json`
 * plus `weights.bin`, little-endian float32 tensors listed by name, shape and offset, sha256 checked
 * on load) with `kind: 'vqvae'` and its own config: the net's shape, the decoder ('conv', or the
 * low-rank decoder of src/vq/lowrank.ts), the dataset and its labels.
 *
 * Tokens depend only on the encoder and the codebook, so a model also records `tokensSha256`, the
 * sha256 of those tensors and the net shape. A decoder (convolutional or low-rank) or a token
 * classifier accepts a stream when the stream's model has the same `tokensSha256`, which lets a
 * low-rank decoder trained on a VQ-VAE's tokens decode that VQ-VAE's streams.
 */
import { createHash } from 'node:crypto';
import { werr } from '../errors.js';
import { MODEL_FORMAT, MODEL_FORMAT_VERSION, readWeightsFolder, resolveModelDir, writeWeightsFolder, type TensorEntry } from '../models/model-file.js';
import type { NamedWeights } from '../models/model-file.js';
import { ENCODER_TENSORS, type VqVaeNetConfig } from './vqvae.js';

/** The low-rank decoder's knobs (src/vq/lowrank.ts). */
export interface LowRankConfig {
  type: 'lowrank';
  /** Rank R of each product U·Σ·Vᵀ. */
  rank: number;
  /** Iterations I: products summed per patch. */
  iterations: number;
  /** Patch side P in pixels (4 or the image side). */
  patch: number;
  /** A 3×3 smoothing convolution after the sum. */
  smooth: boolean;
}

export type VqDecoderConfig = { type: 'conv' } | LowRankConfig;

export interface VqModelConfig {
  format: typeof MODEL_FORMAT;
  version: number;
  kind: 'vqvae';
  name: string;
  description: string;
  /** Dataset it was trained on, and its class names (for token classifiers). */
  dataset: string;
  labels: string[];
  net: VqVaeNetConfig;
  decoder: VqDecoderConfig;
  /** sha256 of the encoder, codebook and net shape: what the tokens depend on. */
  tokensSha256: string;
  tensors: TensorEntry[];
  weightsSha256: string;
  training?: Record<string, unknown>;
}

export interface VqModel {
  config: VqModelConfig;
  weights: NamedWeights;
  /** sha256 over model.json and weights.bin. */
  sha256: string;
  /** `name@sha256-prefix`, what a .wlc header and token frames record. */
  id: string;
  dir: string;
}


/**
 * Fingerprint of what a VQ-VAE's tokens depend on: net shape, encoder and codebook.
 *
 * @example
 * tokensSha256(net.config, net.getWeights()); // 'c0ffee…'
 */
export function tokensSha256(net: VqVaeNetConfig, weights: NamedWeights): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ size: net.size, hidden: net.hidden, latentDim: net.latentDim, codebookSize: net.codebookSize }));
  for (const name of ENCODER_TENSORS) {
    const t = weights.get(name);
    if (!t) throw werr('WALLOC_ERR_VQ_MODEL', { model: '?', reason: `tensor ${name} is missing` });
    h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return h.digest('hex');
}

/**
 * Writes a VQ-VAE model folder atomically; `tokensSha256`, `tensors` and `weightsSha256` are filled in.
 *
 * @example
 * saveVqModel('/work/runs/vq/mnist-k128', { name: 'vqvae-mnist-k128', description: '…', dataset: 'mnist', labels, net: net.config, decoder: { type: 'conv' } }, net.getWeights());
 */
export function saveVqModel(dir: string, config: Omit<VqModelConfig, 'format' | 'version' | 'kind' | 'tensors' | 'weightsSha256' | 'tokensSha256'>, weights: NamedWeights): VqModel {
  const base = { format: MODEL_FORMAT as typeof MODEL_FORMAT, version: MODEL_FORMAT_VERSION, kind: 'vqvae' as const, ...config, tokensSha256: tokensSha256(config.net, weights) };
  const { config: full, sha256 } = writeWeightsFolder(dir, base, weights);
  return { config: full, weights, sha256, id: `${full.name}@${sha256.slice(0, 12)}`, dir };
}

/**
 * Loads a VQ-VAE model by bundled name or folder, checking format, checksum and tensor shapes.
 *
 * @example
 * const m = loadVqModel('vqvae-mnist-k128');
 * m.config.net.codebookSize; // 128
 */
export function loadVqModel(nameOrPath: string): VqModel {
  const dir = resolveModelDir(nameOrPath, 'vqvae');
  const { config, weights, sha256 } = readWeightsFolder(dir, nameOrPath, 'vqvae');
  const c = config as unknown as VqModelConfig;
  const bad = (reason: string) => werr('WALLOC_ERR_VQ_MODEL', { model: nameOrPath, reason });
  const n = c.net;
  if (typeof n !== 'object' || n === null || ![n.size, n.hidden, n.latentDim, n.codebookSize].every((v) => Number.isInteger(v) && v > 0) || n.size % 4 !== 0) throw bad('net config is missing or malformed');
  if (n.codebookSize < 2 || n.codebookSize > 65536) throw bad(`codebook size ${n.codebookSize} is not in 2..65536`);
  const cb = weights.get('codebook');
  if (!cb || cb.shape[0] !== n.codebookSize || cb.shape[1] !== n.latentDim) throw bad(`codebook must be [${n.codebookSize}, ${n.latentDim}]`);
  for (const name of ENCODER_TENSORS) if (!weights.has(name)) throw bad(`tensor ${name} is missing`);
  if (typeof c.decoder !== 'object' || c.decoder === null || (c.decoder.type !== 'conv' && c.decoder.type !== 'lowrank')) throw bad('decoder must be {type: "conv"} or {type: "lowrank", …}');
  if (!Array.isArray(c.labels)) throw bad('labels is missing');
  if (c.tokensSha256 !== tokensSha256(n, weights)) throw bad('tokensSha256 does not match the encoder and codebook');
  return { config: c, weights, sha256, id: `${c.name}@${sha256.slice(0, 12)}`, dir };
}
