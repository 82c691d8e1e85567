/**
 * The model folder format: `model.json` (the config, which round-trips) and `weights.bin` (every
 * tensor as little-endian float32, back to back, listed in `model.json` by name, shape and byte
 * offset). The model's id is its name plus the sha256 of both files, which goes into every .wlc
 * header so that a decoder refuses latents made by another model.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { werr } from '../errors.js';
import type { MediaKind } from '../frame.js';
import { bundledModelsDir, listBundledModels } from './registry.js';
import { writeFileAtomic } from '../io/atomic.js';

export const MODEL_FORMAT = 'walloc-model';
export const MODEL_FORMAT_VERSION = 1;

/** Tensors by name, each with its shape: what a model folder's weights.bin holds. */
export type NamedWeights = Map<string, { shape: number[]; data: Float32Array }>;

export interface TensorEntry {
  name: string;
  shape: number[];
  /** Byte offset into weights.bin. */
  offset: number;
}

/** How latents are turned back into wavelet coefficients. */
export type DecoderConfig =
  | { type: 'linear' }
  /** Linear decode plus a residual conv net at latent resolution (see src/nn/decoder.ts). */
  | { type: 'resnet'; width: number; blocks: number; kernel: number };

export interface ModelConfig {
  format: typeof MODEL_FORMAT;
  version: number;
  name: string;
  description: string;
  modality: MediaKind;
  /** Signal channels (3 for RGB, 2 for stereo, 1 for grey volumes). */
  channels: number;
  levels: number;
  wavelet: string;
  latentDim: number;
  bits: number;
  /** Lossless coder for the packed latents. */
  pack: { format: 'webp' | 'png' };
  decoder: DecoderConfig;
  /** Tensors stored in weights.bin, by name. */
  tensors: TensorEntry[];
  /** sha256 of weights.bin, checked on load. */
  weightsSha256: string;
  /** How it was made: data, steps, metrics; free-form. */
  training?: Record<string, unknown>;
}

export interface Model {
  config: ModelConfig;
  /** Tensors by name. */
  weights: Map<string, Float32Array>;
  /** `name@sha256-prefix`: what a .wlc header records. */
  id: string;
  /** sha256 over model.json and weights.bin. */
  sha256: string;
  dir?: string;
}

/**
 * Says out loud what a training run does with its `--out` folder, and returns whether it resumes:
 * with `resume` and no checkpoint there, it starts from scratch; without `resume` over a model
 * already there (allowed by --force, see checkModelFolder), that model is replaced at the run's first save.
 *
 * @example
 * if (announceCheckpoint(o.out, o.resume, o.log)) checkResumable(o);
 */
export function announceCheckpoint(out: string, resume: boolean, log: (line: string) => void): boolean {
  const found = existsSync(join(out, 'train-state.json'));
  if (resume && !found) log(`--resume: no checkpoint in ${out} yet; starting from scratch`);
  if (!resume && existsSync(join(out, 'model.json'))) log(`--force: this run replaces the model in ${out} at its first save`);
  return resume && found;
}

/** Hex sha256 over the concatenation of `parts` (model files: weights, then model.json + weights). */
export const sha256 = (...parts: Uint8Array[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

/**
 * The sample rate an audio model records it was trained at (`training.sampleRate`), if it does.
 *
 * @example
 * trainedSampleRate(loadModel('stereo-5x').config); // 44100
 */
export function trainedSampleRate(config: ModelConfig): number | undefined {
  const r = (config.training as { sampleRate?: unknown } | undefined)?.sampleRate;
  return typeof r === 'number' ? r : undefined;
}

/**
 * Resolves a model argument: a bundled name (`rgb-16x`), a model id as frames carry it
 * (`rgb-16x@3f2a…`, the bundled model before the '@') or a folder path. WALLOC_ERR_MODEL_NOT_FOUND
 * when there is no model.json, listing the bundled models of `kind` (all kinds when absent).
 *
 * @example
 * resolveModelDir('rgb-16x'); // '…/fixtures/models/rgb-16x'
 * resolveModelDir('vqvae-mnist-k128', 'vqvae');
 */
export function resolveModelDir(nameOrPath: string, kind?: string): string {
  if (typeof nameOrPath !== 'string' || nameOrPath === '') throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `a model is named by a string (a bundled name such as rgb-16x, or a folder), got ${nameOrPath === '' ? 'an empty string' : typeof nameOrPath}` });
  if (/^[\w.-]+@[0-9a-f]+$/.test(nameOrPath)) nameOrPath = nameOrPath.slice(0, nameOrPath.indexOf('@'));
  const isPath = nameOrPath.includes('/') || isAbsolute(nameOrPath) || nameOrPath.startsWith('.');
  let dir = isPath ? nameOrPath : join(bundledModelsDir(), nameOrPath);
  // A bare folder name (`mymodel`, as `walloc train --out mymodel` makes) when no bundled model has it.
  if (!isPath && !existsSync(join(dir, 'model.json')) && existsSync(join(nameOrPath, 'model.json'))) dir = nameOrPath;
  if (!existsSync(join(dir, 'model.json'))) throw werr('WALLOC_ERR_MODEL_NOT_FOUND', { model: nameOrPath, known: listBundledModels(kind).map((m) => m.name).join(', ') || 'none' });
  return dir;
}

function validateConfig(cfg: unknown, model: string): ModelConfig {
  const bad = (reason: string) => werr('WALLOC_ERR_MODEL_INVALID', { model, reason });
  if (typeof cfg !== 'object' || cfg === null) throw bad('model.json is not an object');
  const c = cfg as Partial<ModelConfig>;
  if (c.format !== MODEL_FORMAT) throw bad(`format is ${JSON.stringify(c.format)}, expected "${MODEL_FORMAT}"`);
  if (c.version !== MODEL_FORMAT_VERSION) throw bad(`format version ${c.version} is not supported (expected ${MODEL_FORMAT_VERSION})`);
  const kind = (cfg as { kind?: unknown }).kind;
  if (typeof kind === 'string') throw bad(`this is a ${kind}, not a codec (\`walloc models --kind codec\` lists the codecs)`);
  for (const k of ['channels', 'levels', 'latentDim', 'bits'] as const) {
    if (!Number.isInteger(c[k]) || (c[k] as number) < 1) throw bad(`${k} must be a positive integer`);
  }
  if (!['image', 'audio', 'volume'].includes(c.modality as string)) throw bad(`modality ${JSON.stringify(c.modality)} is not image, audio or volume`);
  if (!Array.isArray(c.tensors)) throw bad('tensors is missing');
  return c as ModelConfig;
}

/**
 * Loads a model folder (or a bundled model by name), verifying its checksum.
 *
 * @example
 * const m = loadModel('rgb-16x');
 * const w = m.weights.get('encoder.weight'); // Float32Array [latentDim × channels·4^J]
 */
export function loadModel(nameOrPath: string): Model {
  const dir = resolveModelDir(nameOrPath, 'codec');
  const { json, bin } = readModelFiles(dir, nameOrPath);
  const model = parseModel(json, bin, nameOrPath, dir);
  // An id as frames carry it (`rgb-16x@3f2a…`) names one version: a retrained model is another.
  if (/^[\w.-]+@[0-9a-f]+$/.test(nameOrPath)) checkMadeBy(nameOrPath, model);
  return model;
}

/**
 * Refuses latents made by another model: `made` is what frames and headers record (`name` or
 * `name@sha12`, as in `frame.meta.model`); nothing is checked when it is absent.
 *
 * @throws WALLOC_ERR_CONTAINER_MODEL
 * @example
 * checkMadeBy(frame.meta.model, loadModel('rgb-16x')); // throws for rgb-16x-linear's latents
 */
export function checkMadeBy(made: unknown, model: Model): void {
  if (typeof made !== 'string') return;
  const at = made.indexOf('@');
  const name = at < 0 ? made : made.slice(0, at);
  const hex = at < 0 ? '' : made.slice(at + 1);
  if (name !== model.config.name || !model.sha256.startsWith(hex)) throw werr('WALLOC_ERR_CONTAINER_MODEL', { found: made, expected: model.id, hint: otherVersion(name, model) });
}

/**
 * The hint for a stream whose model has the name of the one found but not its checksum: a model
 * retrained under the same name (into the same folder, or a newer bundled one).
 */
export function otherVersion(streamModel: unknown, model: Model): string {
  return streamModel === model.config.name
    ? `; the ${model.config.name} in ${model.dir ?? 'the bundled models'} is another version, retrained since the stream was made: decode with the model folder that made it (--model DIR)`
    : '';
}

/**
 * Reads a model folder's two files (codecs and classifiers share the layout); a missing or
 * unreadable file is WALLOC_ERR_MODEL_INVALID naming the model.
 *
 * @example
 * const { json, bin } = readModelFiles('fixtures/models/rgb-16x', 'rgb-16x');
 */
export function readModelFiles(dir: string, nameOrPath: string): { json: Buffer; bin: Buffer } {
  try {
    return { json: readFileSync(join(dir, 'model.json')), bin: readFileSync(join(dir, 'weights.bin')) };
  } catch (e) {
    throw werr('WALLOC_ERR_MODEL_INVALID', { model: nameOrPath, reason: (e as Error).message }, e);
  }
}

/**
 * Checks and decodes a model from the bytes of its two files (split out of {@link loadModel} for
 * the fuzz harness, issue 11; `name` only labels errors). Every failure is WALLOC_ERR_MODEL_*.
 */
export function parseModel(json: Uint8Array, bin: Uint8Array, nameOrPath: string, dir?: string): Model {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString('utf8'));
  } catch {
    throw werr('WALLOC_ERR_MODEL_INVALID', { model: nameOrPath, reason: 'model.json is not valid JSON' });
  }
  const config = validateConfig(parsed, nameOrPath);
  if (sha256(bin) !== config.weightsSha256) throw werr('WALLOC_ERR_MODEL_CHECKSUM', { model: nameOrPath });
  const bad = (reason: string) => werr('WALLOC_ERR_MODEL_INVALID', { model: nameOrPath, reason });
  const weights = new Map([...unpackTensors(bin, config.tensors, bad)].map(([k, v]) => [k, v.data]));
  const digest = sha256(json, bin);
  return { config, weights, sha256: digest, id: `${config.name}@${digest.slice(0, 12)}`, dir };
}

/**
 * Writes a model folder atomically (temporary files, then rename), computing offsets and checksums.
 * `config.tensors` and `config.weightsSha256` are filled in from `weights`.
 *
 * @example
 * saveModel('fixtures/models/rgb-16x-linear', { ...config }, new Map([['encoder.weight', w]]));
 */
export function saveModel(dir: string, config: Omit<ModelConfig, 'tensors' | 'weightsSha256' | 'format' | 'version'>, weights: Map<string, { shape: number[]; data: Float32Array }>): Model {
  const { tensors, bin } = packTensors(weights);
  const full: ModelConfig = { format: MODEL_FORMAT, version: MODEL_FORMAT_VERSION, ...config, tensors, weightsSha256: sha256(bin) };
  const json = writeModelFiles(dir, full, bin);
  const digest = sha256(json, bin);
  return { config: full, weights: new Map([...weights].map(([k, v]) => [k, v.data])), sha256: digest, id: `${full.name}@${digest.slice(0, 12)}`, dir };
}

/**
 * Lays tensors back to back as little-endian float32 (the weights.bin layout) and lists them by
 * name, shape and byte offset, in the map's order. Shared by every model folder kind and by the
 * trainers' checkpoint side files.
 *
 * @example
 * const { tensors, bin } = packTensors(new Map([['w', { shape: [2], data: new Float32Array([1, 2]) }]]));
 */
export function packTensors(weights: NamedWeights): { tensors: TensorEntry[]; bin: Buffer } {
  const tensors: TensorEntry[] = [];
  let total = 0;
  for (const [name, t] of weights) {
    if (t.shape.reduce((a, b) => a * b, 1) !== t.data.length) throw werr('WALLOC_ERR_INTERNAL', { reason: `tensor ${name} shape [${t.shape.join(', ')}] does not match its ${t.data.length} values` });
    tensors.push({ name, shape: t.shape, offset: total });
    total += t.data.length * 4;
  }
  const bin = Buffer.alloc(total);
  let i = 0;
  for (const [, t] of weights) {
    const off = tensors[i++]!.offset;
    for (let k = 0; k < t.data.length; k++) bin.writeFloatLE(t.data[k]!, off + k * 4);
  }
  return { tensors, bin };
}

/**
 * Reads the tensors an index lists out of weights bytes (the inverse of {@link packTensors}). The
 * index comes from a file, so every entry is checked: a malformed entry or one reaching past the
 * bytes is `bad(reason)` (the caller's coded error), never a TypeError or RangeError (issue 11).
 *
 * @example
 * const weights = unpackTensors(bin, config.tensors, (reason) => werr('WALLOC_ERR_MODEL_INVALID', { model, reason }));
 */
export function unpackTensors(bin: Uint8Array, entries: readonly unknown[], bad: (reason: string) => Error): NamedWeights {
  const weights: NamedWeights = new Map();
  const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  for (const e of entries) {
    const t = e as TensorEntry;
    if (typeof t !== 'object' || t === null || typeof t.name !== 'string' || !Array.isArray(t.shape) || t.shape.length > 8
      || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || !Number.isSafeInteger(t.offset) || t.offset < 0) {
      throw bad(`tensor entry ${JSON.stringify(t)?.slice(0, 80)} is not {name, shape, offset}`);
    }
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.offset % 4 !== 0 || t.offset + n * 4 > bin.length) throw bad(`tensor ${t.name} lies outside the weights (${bin.length} bytes)`);
    // Copied out so the tensor is aligned and independent of the file buffer.
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = view.getFloat32(t.offset + i * 4, true);
    weights.set(t.name, { shape: t.shape, data });
  }
  return weights;
}

/**
 * Writes a model folder's two files, each atomically (src/io/atomic.ts), and returns the
 * model.json bytes (for the model's sha256).
 *
 * @example
 * const json = writeModelFiles(dir, { ...config, tensors, weightsSha256: sha256(bin) }, bin);
 */
export function writeModelFiles(dir: string, config: object, bin: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(config, null, 2) + '\n');
  // The weights first: a model.json is only ever visible beside the weights it checksums.
  writeFileAtomic(join(dir, 'weights.bin'), bin);
  writeFileAtomic(join(dir, 'model.json'), json);
  return json;
}

/**
 * Writes a model folder of a kind with its own config (classifier, VQ-VAE, token classifier)
 * atomically; `tensors` and `weightsSha256` are filled in from `weights`. Returns the full config
 * and the sha256 of the two files.
 *
 * @example
 * const { sha256 } = writeWeightsFolder('/tmp/m', { format: MODEL_FORMAT, version: MODEL_FORMAT_VERSION, kind: 'vqvae', name: 'm' }, net.getWeights());
 */
export function writeWeightsFolder<C extends object>(dir: string, config: C, weights: NamedWeights): { config: C & { tensors: TensorEntry[]; weightsSha256: string }; sha256: string } {
  const { tensors, bin } = packTensors(weights);
  const full = { ...config, tensors, weightsSha256: sha256(bin) };
  const json = writeModelFiles(dir, full, bin);
  return { config: full, sha256: sha256(json, bin) };
}

/**
 * Reads a model folder of one kind: parses model.json, checks the format, the kind and the weights
 * checksum, and decodes every tensor; the caller checks its own config fields. Every failure is
 * WALLOC_ERR_MODEL_* naming the model (a codec where a classifier is wanted says so).
 *
 * @example
 * const { config, weights } = readWeightsFolder(resolveModelDir('vqvae-mnist-k128', 'vqvae'), 'vqvae-mnist-k128', 'vqvae');
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
  if (c.kind !== kind) throw bad(`this is a ${typeof c.kind === 'string' ? c.kind : 'codec'}, not a ${kind} (\`walloc models --kind ${kind}\` lists them)`);
  if (!Array.isArray(c.tensors)) throw bad('tensors is missing');
  if (sha256(bin) !== c.weightsSha256) throw werr('WALLOC_ERR_MODEL_CHECKSUM', { model: nameOrPath });
  const weights = unpackTensors(bin, c.tensors, bad);
  return { config: c as Record<string, unknown> & { tensors: TensorEntry[] }, weights, sha256: sha256(json, bin) };
}
