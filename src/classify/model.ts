/**
 * Classifier model folders. The same format as codecs (src/models/model-file.ts: `model.json` plus
 * `weights.bin`, little-endian float32 tensors listed by name, shape and offset, sha256 checked on
 * load) with a separate `kind: 'classifier'` and its own config: the net, the labels, and, for
 * latent classifiers, the codec whose latents it reads.
 *
 * A latent classifier is tied to its codec: it records the codec's name and sha256 (what a .wlc
 * header carries) and the sha256 of the codec's *encoder* (projection, bias, companding scale,
 * levels, wavelet, bits). A classifier reads only the encoder's output, so a stream is accepted when
 * its header's codec sha256 is the recorded one, or when the header names a codec available here
 * whose checksum matches the header and whose encoder is the recorded one (a retrained decoder
 * changes the codec's sha256 but not its latents). Anything else is WALLOC_ERR_CLASSIFIER_CODEC.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { werr } from '../errors.js';
import type { WlcHeader } from '../container/index.js';
import { MODEL_FORMAT, MODEL_FORMAT_VERSION, loadModel, readWeightsFolder, resolveModelDir, writeWeightsFolder, type Model, type NamedWeights, type TensorEntry } from '../models/model-file.js';
import { listBundledModels } from '../models/registry.js';
import type { ClassifierNetConfig } from './nets.js';

export interface ClassifierCodecRef {
  name: string;
  /** sha256 of the codec model (the .wlc header's modelSha256). */
  sha256: string;
  /** sha256 of the codec's encoder parameters (see {@link encoderSha256}). */
  encoderSha256: string;
  channels: number;
  levels: number;
  wavelet: string;
  latentDim: number;
  bits: number;
}

export interface ClassifierConfig {
  format: typeof MODEL_FORMAT;
  version: number;
  kind: 'classifier';
  name: string;
  description: string;
  /** What the net reads: quantized latents of `codec`, or pixels (the baseline). */
  input: 'latent' | 'pixels';
  codec?: ClassifierCodecRef;
  /** Pixel classifiers: the image channels they take. */
  channels?: number;
  labels: string[];
  net: ClassifierNetConfig;
  tensors: TensorEntry[];
  weightsSha256: string;
  training?: Record<string, unknown>;
  /**
   * Audio classifiers: they read windows of `columns` latent columns of a stream, one every `hop`
   * columns (src/classify/audio-windows.ts).
   */
  window?: { columns: number; hop: number };
  /**
   * Latent classifiers that read the latents through the codec's inverse companding: the
   * projection values y = scale·Φ⁻¹(…) per channel (linear in the pixels), not the companded
   * integers. `scale` is the codec's per-channel companding scale, so the classifier needs no codec.
   */
  decompand?: { bits: number; scale: number[] };
}

export interface ClassifierModel {
  config: ClassifierConfig;
  weights: NamedWeights;
  sha256: string;
  id: string;
  dir: string;
}


/**
 * Fingerprint of what a codec's latents depend on: encoder projection, bias and companding scale,
 * and the levels, wavelet and bits.
 *
 * @example
 * encoderSha256(loadModel('rgb-16x-linear')); // 'a1b2…'
 */
export function encoderSha256(codec: Model): string {
  const c = codec.config;
  const h = createHash('sha256');
  h.update(JSON.stringify({ channels: c.channels, levels: c.levels, wavelet: c.wavelet, latentDim: c.latentDim, bits: c.bits }));
  for (const k of ['encoder.weight', 'encoder.bias', 'encoder.scale']) {
    const t = codec.weights.get(k);
    if (!t) throw werr('WALLOC_ERR_MODEL_INVALID', { model: c.name, reason: `${k} is missing` });
    h.update(new Uint8Array(t.buffer, t.byteOffset, t.byteLength));
  }
  return h.digest('hex');
}

/** The reference a classifier keeps to its codec. */
export function codecRef(codec: Model): ClassifierCodecRef {
  const c = codec.config;
  return { name: c.name, sha256: codec.sha256, encoderSha256: encoderSha256(codec), channels: c.channels, levels: c.levels, wavelet: c.wavelet, latentDim: c.latentDim, bits: c.bits };
}

/**
 * Writes a classifier folder atomically (temporary files, then rename).
 *
 * @example
 * saveClassifier('/tmp/c', { name: 'c', description: '…', input: 'pixels', channels: 1, labels, net: net.config }, net.getWeights());
 */
export function saveClassifier(dir: string, config: Omit<ClassifierConfig, 'format' | 'version' | 'kind' | 'tensors' | 'weightsSha256'>, weights: NamedWeights): ClassifierModel {
  const base = { format: MODEL_FORMAT as typeof MODEL_FORMAT, version: MODEL_FORMAT_VERSION, kind: 'classifier' as const, ...config };
  const { config: full, sha256 } = writeWeightsFolder(dir, base, weights);
  return { config: full, weights, sha256, id: `${full.name}@${sha256.slice(0, 12)}`, dir };
}

/**
 * Loads a classifier by bundled name or folder path, checking its format, checksum, labels, net
 * and (latent classifiers) codec reference.
 *
 * @example
 * const m = loadClassifier('fmnist-latent-resnet');
 */
export function loadClassifier(nameOrPath: string): ClassifierModel {
  const dir = resolveModelDir(nameOrPath, 'classifier');
  const { config, weights, sha256 } = readWeightsFolder(dir, nameOrPath, 'classifier');
  const c = config as unknown as ClassifierConfig;
  const bad = (reason: string) => werr('WALLOC_ERR_MODEL_INVALID', { model: nameOrPath, reason });
  if (!Array.isArray(c.labels) || c.labels.length < 2 || !c.labels.every((l) => typeof l === 'string')) throw bad('labels must be a list of at least two strings');
  if (typeof c.net !== 'object' || c.net === null || c.net.classes !== c.labels.length || !Array.isArray(c.net.stages)) throw bad('net config is missing or does not match the labels');
  if (c.input === 'latent' && (typeof c.codec !== 'object' || c.codec === null || typeof c.codec.sha256 !== 'string')) throw bad('a latent classifier must name its codec');
  return { config: c, weights, sha256, id: `${c.name}@${sha256.slice(0, 12)}`, dir };
}

/** Bundled classifiers (fixtures/models/NAME with `kind: 'classifier'`), sorted by name. */
export function listBundledClassifiers(): Array<{ name: string; dir: string; config: ClassifierConfig }> {
  return listBundledModels('classifier').map(({ name, dir }) => ({ name, dir, config: JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as ClassifierConfig }));
}

/** `name@sha-prefix` of the codec a header names, for messages. */
export function headerCodecLabel(h: WlcHeader): string {
  return `${typeof h.model === 'string' ? h.model : '?'}${typeof h.modelSha256 === 'string' ? `@${h.modelSha256.slice(0, 12)}` : ''}`;
}

/**
 * Whether a classifier can read the latents of the stream with header `h` (see the module comment):
 * 'sha' (same codec), 'encoder' (same encoder, codec found here) or false.
 */
export function acceptsHeader(c: ClassifierConfig, h: WlcHeader, findCodec: (name: string) => Model | undefined = tryLoadCodec): 'sha' | 'encoder' | false {
  if (c.input !== 'latent' || !c.codec) return false;
  if (typeof h.modelSha256 === 'string' && h.modelSha256 === c.codec.sha256) return 'sha';
  if (typeof h.model !== 'string') return false;
  const m = findCodec(h.model);
  if (!m || (typeof h.modelSha256 === 'string' && h.modelSha256 !== m.sha256)) return false;
  try {
    return encoderSha256(m) === c.codec.encoderSha256 ? 'encoder' : false;
  } catch {
    return false;
  }
}

function tryLoadCodec(name: string): Model | undefined {
  try {
    return loadModel(name);
  } catch {
    return undefined;
  }
}

/**
 * Refuses a stream whose latents the classifier was not trained on.
 *
 * @example
 * checkClassifierHeader(model.config, reader.header); // throws WALLOC_ERR_CLASSIFIER_CODEC
 */
export function checkClassifierHeader(c: ClassifierConfig, h: WlcHeader): void {
  if (c.input !== 'latent' || !c.codec) {
    throw werr('WALLOC_ERR_CLASSIFIER_CODEC', { classifier: c.name, expected: 'pixels (it is a pixel-space baseline)', found: headerCodecLabel(h) });
  }
  if (!acceptsHeader(c, h)) {
    throw werr('WALLOC_ERR_CLASSIFIER_CODEC', { classifier: c.name, expected: `${c.codec.name}@${c.codec.sha256.slice(0, 12)}`, found: headerCodecLabel(h) });
  }
}

/**
 * The bundled classifier for a stream: the first (by name) whose codec matches the header by
 * sha256, else the first whose encoder matches. Throws WALLOC_ERR_CLASSIFIER_NONE when none does.
 */
export function classifierForHeader(h: WlcHeader): string {
  const all = listBundledClassifiers().filter((c) => c.config.input === 'latent');
  const bySha = all.find((c) => acceptsHeader(c.config, h, () => undefined) === 'sha');
  if (bySha) return bySha.dir;
  const byEnc = all.find((c) => acceptsHeader(c.config, h) === 'encoder');
  if (byEnc) return byEnc.dir;
  const codecs = [...new Set(all.map((c) => c.config.codec!.name))];
  throw werr('WALLOC_ERR_CLASSIFIER_NONE', {
    what: 'the latents', found: headerCodecLabel(h),
    hint: h.modality === 'volume'
      ? 'no classifier reads volume latents (the classifier trainer takes images and recordings)'
      : `the bundled ones read ${codecs.join(', ') || 'none'}; train one with \`walloc train classifier --codec ${typeof h.model === 'string' ? h.model : 'MODEL'} …\` and pass it with --model DIR`,
  });
}
