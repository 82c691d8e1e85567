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
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { werr } from '../errors.js';
import { MODEL_FORMAT, MODEL_FORMAT_VERSION, packTensors, readModelFiles, sha256, unpackTensors, writeModelFiles, type TensorEntry } from '../models/model-file.js';
import { bundledModelsDir } from '../models/registry.js';
import type { NamedWeights } from '../classify/nets.js';
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
 * Writes a named-weights model folder atomically (temporary files, then rename): the shared body
 * of the VQ-VAE and token-classifier savers. Returns the sha256 of the two files and the config.
 *
 * @example
 * const { sha256 } = writeWeightsFolder('/tmp/m', { format: 'walloc-model', version: 1, kind: 'vqvae', name: 'm' }, net.getWeights());
 */
export function writeWeightsFolder<C extends object>(dir: string, config: C, weights: NamedWeights): { config: C & { tensors: TensorEntry[]; weightsSha256: string }; sha256: string } {
  const { tensors, bin } = packTensors(weights);
  const full = { ...config, tensors, weightsSha256: sha256(bin) };
  const json = writeModelFiles(dir, full, bin);
  return { config: full, sha256: sha256(json, bin) };
}

/**
 * Reads a named-weights model folder: parses model.json, checks the format, the kind and the
 * weights checksum, and decodes every tensor. Every failure is WALLOC_ERR_MODEL_* naming the model.
 *
 * @example
 * const { config, weights } = readWeightsFolder('/tmp/m', 'm', 'vqvae');
 */
export function readWeightsFolder(dir: string, nameOrPath: string, kind: string): { config: Record<string, unknown> & { tensors: TensorEntry[] }; weights: NamedWeights; sha256: string } {
  const bad = (reason: string) => werr('WALLOC_ERR_MODEL_INVALID', { model: nameOrPath, reason });
  const { json, bin } = readModelFiles(dir, nameOrPath);
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(json.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw bad('model.json is not valid JSON');
  }
  if (typeof c !== 'object' || c === null || c.format !== MODEL_FORMAT || c.version !== MODEL_FORMAT_VERSION) throw bad('not a walloc model folder');
  if (c.kind !== kind) throw bad(`this is a ${typeof c.kind === 'string' ? c.kind : 'codec'} model, not a ${kind} (see \`walloc models\`)`);
  if (!Array.isArray(c.tensors)) throw bad('tensors is missing');
  if (sha256(bin) !== c.weightsSha256) throw werr('WALLOC_ERR_MODEL_CHECKSUM', { model: nameOrPath });
  const weights = unpackTensors(bin, c.tensors, bad);
  return { config: c as Record<string, unknown> & { tensors: TensorEntry[] }, weights, sha256: sha256(json, bin) };
}

/**
 * A bundled name (fixtures/models/NAME) or a folder path → the folder; WALLOC_ERR_MODEL_NOT_FOUND if absent.
 *
 * @example
 * resolveFolder('vqvae-mnist-k128', () => listBundledOfKind('vqvae')); // '…/fixtures/models/vqvae-mnist-k128'
 */
export function resolveFolder(nameOrPath: string, known: () => string[]): string {
  if (/^[\w.-]+@[0-9a-f]+$/.test(nameOrPath)) nameOrPath = nameOrPath.slice(0, nameOrPath.indexOf('@'));
  const isPath = nameOrPath.includes('/') || isAbsolute(nameOrPath) || nameOrPath.startsWith('.');
  const dir = isPath ? nameOrPath : join(bundledModelsDir(), nameOrPath);
  if (!existsSync(join(dir, 'model.json'))) throw werr('WALLOC_ERR_MODEL_NOT_FOUND', { model: nameOrPath, known: known().join(', ') || 'none' });
  return dir;
}

/**
 * Names of the bundled models of one kind, sorted.
 *
 * @example
 * listBundledOfKind('token-classifier'); // ['tokens-mnist-k128']
 */
export function listBundledOfKind(kind: string): string[] {
  const root = bundledModelsDir();
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const name of readdirSync(root).sort()) {
    const file = join(root, name, 'model.json');
    if (!existsSync(file)) continue;
    try {
      if ((JSON.parse(readFileSync(file, 'utf8')) as { kind?: unknown }).kind === kind) out.push(name);
    } catch { /* unreadable: the loader says why when asked for it */ }
  }
  return out;
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
  const dir = resolveFolder(nameOrPath, () => listBundledOfKind('vqvae'));
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
