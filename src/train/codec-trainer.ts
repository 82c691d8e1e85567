/**
 * `walloc train codec` for images: builds the linear floor (PCA encoder, its transpose as
 * decoder, companding scale from data) and then trains the residual decoder on random crops under
 * quantization noise, with warm-up, checkpoints, resume, a progress line and a validation PSNR on
 * held-out photos after every epoch.
 *
 * What is trained and why: the encoder stays the PCA projection (frozen). In this project's own
 * measurement (walloc.md §10), a learned encoder trained on a few dozen photos overfit and fell
 * below the untrained linear floor on unseen photos, while a frozen PCA encoder with a trained
 * decoder gained; freezing also keeps encoding a fixed, cheap matrix. The decoder starts exactly at
 * the linear floor (its residual output layer is zero), so it can only improve from there.
 *
 * The loss is pixel MSE computed in the wavelet domain: each coefficient's squared error is weighted
 * by the energy its synthesis basis function puts into pixels (bior4.4 is close to orthogonal, so
 * this equals pixel MSE up to the small cross terms). Validation measures true pixel PSNR through
 * the real inverse transform.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { werr } from '../errors.js';
import { makeFrame, type CoeffsFrame, type ImageFrame, type MediaFrame } from '../frame.js';
import { getTf } from '../models/backend.js';
import { announceCheckpoint, loadModel, saveModel, type Model, type ModelConfig } from '../models/model-file.js';
import type { NamedWeights } from '../models/model-file.js';
import { ResidualDecoder } from '../nn/decoder.js';
import { convSame } from '../nn/conv.js';
import { fitScale, toNormal, toUniform, latentMax } from '../stages/companding.js';
import { wptForward, wptInverse } from '../stages/wpt.js';
import { project } from '../stages/analysis.js';
import { quantizeArray } from '../stages/quantize.js';
import { CovarianceAccumulator, pcaProjection } from './pca.js';
import { rng } from '../math/random.js';
import { cropFrame, loadPhotos, randomCrop, type Photo } from './photos.js';
import { audioQuality, clipFrame, loadClips, randomAudioCrop, type Clip } from './audio-data.js';
import { VolumeDecoder } from '../nn/decoder3d.js';
import { loadTrainVolumes, randomVolumeCrop } from './volume-data.js';
import { DEFAULT_WINDOW, type WindowRule } from '../io/volume.js';
import { checkModelFolder, makeFolders, writeFileAtomic } from '../io/atomic.js';

export interface CodecTrainOptions {
  /**
   * 'image' (default): photos, RGB, 2-D crops of `crop`² pixels. 'audio': recordings decoded to
   * stereo 44.1 kHz (src/train/audio-data.ts), 1-D crops of `crop` samples, validation on the first
   * `valSeconds` of each held-out recording.
   */
  modality?: 'image' | 'audio' | 'volume';
  /** Volume: how intensities map to [-0.5, 0.5] (recorded in the model; default min..99.9th percentile). */
  window?: WindowRule;
  /** Audio: seconds kept per training recording (memory: 176 kB per second). */
  audioSeconds?: number;
  /** Audio: seconds of each validation recording scored. */
  valSeconds?: number;
  data: string;
  /** Held-out photos for validation PSNR (never trained on). */
  val?: string;
  out: string;
  name: string;
  description?: string;
  levels: number;
  latentDim: number;
  bits: number;
  wavelet: string;
  /** 0: stop after the linear floor. */
  steps: number;
  batch: number;
  crop: number;
  lr: number;
  warmup: number;
  width: number;
  blocks: number;
  kernel: number;
  epochSteps: number;
  checkpointEvery: number;
  seed: number;
  resume: boolean;
  /** Replace a model already in `out` (without it, that is refused). */
  force?: boolean;
  /**
   * Companding scale = max|y| / divisor per channel. 3 keeps every value in the fine central
   * part of the Gaussian CDF; measured on the held-out photos, the 12-channel truncation error
   * dominates so much that 1.5 (coarser steps) costs nothing in PSNR and raises the compression
   * ratio from 26.7:1 to 32.5:1.
   */
  scaleDivisor: number;
  /** Train the 1×1 encoder projection too (else it stays the PCA). */
  trainEncoder: boolean;
  /** Crops used for the PCA and the companding scale. */
  pcaCrops: number;
  /** Largest photo kept in memory, in pixels (bigger ones are halved until they fit). */
  maxPixels: number;
  /** Validation crops are at most this size on a side (centre crop). */
  valSize: number;
  valImages: number;
  backend?: string;
  log: (line: string) => void;
  /** Replaces the progress line in place on a TTY. */
  progress?: (line: string) => void;
}

export const CODEC_TRAIN_DEFAULTS: Omit<CodecTrainOptions, 'data' | 'out' | 'name' | 'log'> = {
  levels: 3, latentDim: 12, bits: 8, wavelet: 'bior4.4', steps: 3000, batch: 16, crop: 128, lr: 2e-4, warmup: 200,
  width: 64, blocks: 3, kernel: 3, epochSteps: 500, checkpointEvery: 500, seed: 1, resume: false, trainEncoder: false, scaleDivisor: 1.5, pcaCrops: 4000,
  maxPixels: 12_000_000, valSize: 512, valImages: 64,
};

/** Energy a unit coefficient in each wavelet channel puts into pixels (the loss weights). */
export function synthesisGains(channels: number, levels: number, wavelet: string): Float32Array {
  const k = 4 ** levels;
  const side = 8 << levels;
  const grid = side >> levels;
  const gains = new Float32Array(channels * k);
  for (let band = 0; band < k; band++) {
    const data = new Float32Array(k * grid * grid);
    data[band * grid * grid + (grid >> 1) * grid + (grid >> 1)] = 1;
    const coeffs = makeFrame('coeffs', [k, grid, grid], data, { source: 'image', sourceShape: [1, side, side], pad: [[0, 0], [0, 0]], levels, wavelet });
    const img = wptInverse(coeffs);
    let e = 0;
    for (const v of img.data) e += v * v;
    for (let c = 0; c < channels; c++) gains[c * k + band] = e;
  }
  return gains;
}

/** The 1-D counterpart of {@link synthesisGains}: energy of each audio wavelet channel's basis function. */
export function synthesisGains1d(channels: number, levels: number, wavelet: string): Float32Array {
  const k = 2 ** levels;
  const grid = 16;
  const gains = new Float32Array(channels * k);
  for (let band = 0; band < k; band++) {
    const data = new Float32Array(k * grid);
    data[band * grid + (grid >> 1)] = 1;
    const coeffs = makeFrame('coeffs', [k, grid], data, { source: 'audio', sourceShape: [1, grid * k], pad: [[0, 0]], levels, wavelet });
    let e = 0;
    for (const v of wptInverse(coeffs).data) e += v * v;
    for (let c = 0; c < channels; c++) gains[c * k + band] = e;
  }
  return gains;
}

/** The 3-D counterpart of {@link synthesisGains}: energy of each volume wavelet channel's basis function. */
export function synthesisGains3d(channels: number, levels: number, wavelet: string): Float32Array {
  const k = 8 ** levels;
  const grid = 4;
  const side = grid << levels;
  const gains = new Float32Array(channels * k);
  for (let band = 0; band < k; band++) {
    const data = new Float32Array(k * grid ** 3);
    data[band * grid ** 3 + ((grid >> 1) * grid + (grid >> 1)) * grid + (grid >> 1)] = 1;
    const coeffs = makeFrame('coeffs', [k, grid, grid, grid], data, { source: 'volume', sourceShape: [1, side, side, side], pad: [[0, 0], [0, 0], [0, 0]], levels, wavelet });
    let e = 0;
    for (const v of wptInverse(coeffs).data) e += v * v;
    for (let c = 0; c < channels; c++) gains[c * k + band] = e;
  }
  return gains;
}

/**
 * What the training loop needs from a modality (the image path keeps its exact behaviour: its crop
 * is `randomCrop(photos, o.crop, next)` as before, so runs and resumes are unchanged).
 */
interface TrainData {
  /** Signal channels (3 RGB, 2 stereo). */
  channels: number;
  /** Sub-bands per channel at J levels (4^J or 2^J). */
  kPow: number;
  /** Latent grid of one crop: [rows, cols], or [depth, rows, cols] for volumes. */
  grid: number[];
  /** Signal values per crop (the loss normaliser). */
  values: number;
  crop(next: () => number): MediaFrame;
}

function imageData(photos: Photo[], o: CodecTrainOptions): TrainData {
  const g = o.crop >> o.levels;
  return { channels: 3, kPow: 4 ** o.levels, grid: [g, g], values: 3 * o.crop * o.crop, crop: (next) => randomCrop(photos, o.crop, next) };
}

function audioData(clips: Clip[], o: CodecTrainOptions): TrainData {
  return { channels: 2, kPow: 2 ** o.levels, grid: [1, o.crop >> o.levels], values: 2 * o.crop, crop: (next) => randomAudioCrop(clips, o.crop, next) };
}

/** Row-major [r × c] → [c × r]. */
function transpose(m: Float32Array, r: number, c: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = m[i * c + j]!;
  return out;
}

/** Planar [C, P] → interleaved [P, C] (NHWC rows), into `out` at an offset. */
function toNhwc(src: Float32Array, c: number, out: Float32Array, offset: number): void {
  const p = src.length / c;
  for (let ch = 0; ch < c; ch++) {
    const s = ch * p;
    for (let k = 0; k < p; k++) out[offset + k * c + ch] = src[s + k]!;
  }
}

interface Encoder {
  weight: Float32Array;
  bias: Float32Array;
  scale: Float32Array;
  dim: number;
}

/** Encodes one image crop to companded latents (float, before rounding) plus its coefficients. */
function encodeCrop(img: MediaFrame, enc: Encoder, o: CodecTrainOptions): { coeffs: CoeffsFrame; u: Float32Array } {
  const coeffs = wptForward(img, { levels: o.levels, wavelet: o.wavelet });
  const y = project(coeffs.data, enc.dim, enc.weight, enc.bias, o.latentDim);
  return { coeffs, u: toUniform(y, o.latentDim, o.bits, enc.scale) };
}

/**
 * Builds the linear floor model from the training photos: PCA encoder, companding scale
 * max|y|/3 from the data, transpose decoder.
 */
export async function buildLinearFloor(photos: Photo[], o: CodecTrainOptions, data: TrainData = imageData(photos, o)): Promise<{ enc: Encoder; mean: Float64Array; explained: number }> {
  const dim = data.channels * data.kPow;
  const acc = new CovarianceAccumulator(dim);
  const next = rng(o.seed);
  const crops: CoeffsFrame[] = [];
  for (let i = 0; i < o.pcaCrops; i++) {
    const c = wptForward(data.crop(next), { levels: o.levels, wavelet: o.wavelet });
    acc.addPlanar(c.data, dim, c.data.length / dim);
    crops.push(c);
    if ((i + 1) % 500 === 0) o.progress?.(`pca: ${i + 1}/${o.pcaCrops} crops`);
  }
  const pca = pcaProjection(acc, o.latentDim);
  // The scale is fitted on all sampled crops at once: max|y| per channel over the whole sample.
  const per = crops[0]!.data.length / dim;
  const all = new Float32Array(o.latentDim * per * crops.length);
  const tmp = new Float32Array(o.latentDim * per);
  crops.forEach((c, i) => {
    project(c.data, dim, pca.weight, pca.bias, o.latentDim, tmp);
    for (let ch = 0; ch < o.latentDim; ch++) all.set(tmp.subarray(ch * per, (ch + 1) * per), ch * per * crops.length + i * per);
  });
  const scale = fitScale(all, o.latentDim, o.scaleDivisor);
  return { enc: { weight: pca.weight, bias: pca.bias, scale, dim }, mean: pca.mean, explained: pca.explained };
}

function modelConfig(o: CodecTrainOptions, decoder: ModelConfig['decoder'], training: Record<string, unknown>): Omit<ModelConfig, 'tensors' | 'weightsSha256' | 'format' | 'version'> {
  if (o.modality === 'volume') {
    return {
      name: o.name,
      description: o.description ?? `Volume (CT/MRI) codec, J=${o.levels} 3-D wavelet packets, ${o.latentDim} latent channels, ${o.bits} bits`,
      modality: 'volume', channels: 1, levels: o.levels, wavelet: o.wavelet, latentDim: o.latentDim, bits: o.bits,
      pack: { format: 'webp' }, decoder, training: { ...training, window: o.window ?? DEFAULT_WINDOW },
    };
  }
  if (o.modality === 'audio') {
    return {
      name: o.name,
      description: o.description ?? `Stereo audio codec, 44.1 kHz, J=${o.levels}, ${o.latentDim} latent channels, ${o.bits} bits`,
      modality: 'audio', channels: 2, levels: o.levels, wavelet: o.wavelet, latentDim: o.latentDim, bits: o.bits,
      pack: { format: 'webp' }, decoder, training: { ...training, sampleRate: 44100 },
    };
  }
  return {
    name: o.name,
    description: o.description ?? `RGB image codec, J=${o.levels}, ${o.latentDim} latent channels, ${o.bits} bits`,
    modality: 'image', channels: 3, levels: o.levels, wavelet: o.wavelet, latentDim: o.latentDim, bits: o.bits,
    pack: { format: 'webp' }, decoder, training,
  };
}

function encoderWeights(enc: Encoder, n: number): NamedWeights {
  return new Map([
    ['encoder.weight', { shape: [n, enc.dim], data: enc.weight }],
    ['encoder.bias', { shape: [n], data: enc.bias }],
    ['encoder.scale', { shape: [n], data: enc.scale }],
  ]);
}

/** Centre crops of the validation photos, at most valSize on a side and a multiple of 2^J. */
function validationSet(photos: Photo[], o: CodecTrainOptions): ImageFrame[] {
  const m = 1 << o.levels;
  return photos.slice(0, o.valImages).map((p) => {
    const s = Math.min(o.valSize, Math.floor(Math.min(p.width, p.height) / m) * m);
    return cropFrame(p, (p.width - s) >> 1, (p.height - s) >> 1, s, false);
  });
}

/** Audio validation: the first valSeconds of each held-out recording (a multiple of 2^J samples). */
function audioValidationSet(clips: Clip[], o: CodecTrainOptions): MediaFrame[] {
  const m = 1 << o.levels;
  return clips.slice(0, o.valImages).map((c) => {
    const n = Math.floor(Math.min(c.length, (o.valSeconds ?? 20) * 44100) / m) * m;
    return clipFrame(c, 0, n);
  }).filter((f) => f.shape[1]! >= m);
}

/** Mean PSNR (dB) of the validation set through rounding, the decoder and the real inverse WPT. */
async function validate(tf: Awaited<ReturnType<typeof getTf>>['tf'], dec: ResidualDecoder | VolumeDecoder, enc: Encoder, val: MediaFrame[], o: CodecTrainOptions): Promise<number> {
  let sum = 0;
  for (const img of val) {
    const { coeffs, u } = encodeCrop(img, enc, o);
    const yhat = toNormal(quantizeArray(u, o.bits, { saturate: true }), o.latentDim, o.bits, enc.scale);
    const spatial = coeffs.shape.slice(1);
    const positions = spatial.reduce((a, b) => a * b, 1);
    const nhwc = new Float32Array(yhat.length);
    toNhwc(yhat, o.latentDim, nhwc, 0);
    const t = tf.tidy(() => (dec instanceof VolumeDecoder
      ? dec.apply(tf.tensor5d(nhwc, [1, spatial[0]!, spatial[1]!, spatial[2]!, o.latentDim]))
      : dec.apply(tf.tensor4d(nhwc, [1, spatial.length === 1 ? 1 : spatial[0]!, spatial[spatial.length - 1]!, o.latentDim]))));
    const out = t.dataSync() as Float32Array;
    t.dispose();
    const d = enc.dim;
    const planar = new Float32Array(out.length);
    for (let ch = 0; ch < d; ch++) for (let k = 0; k < positions; k++) planar[ch * positions + k] = out[k * d + ch]!;
    const rec = wptInverse(makeFrame('coeffs', coeffs.shape, planar, coeffs.meta));
    if (img.kind === 'volume') {
      // Volumes are normalised so that the PSNR peak (99.9th percentile − minimum) is 1; the
      // reconstruction is clamped to the reference's range as the volume sink does.
      let lo = Infinity, hi = -Infinity;
      for (const v of img.data) { if (v < lo) lo = v; if (v > hi) hi = v; }
      let se = 0;
      for (let i = 0; i < rec.data.length; i++) {
        const r = Math.max(lo, Math.min(hi, rec.data[i]!));
        se += (r - img.data[i]!) ** 2;
      }
      sum += 10 * Math.log10(1 / Math.max(1e-12, se / rec.data.length));
      continue;
    }
    if (img.kind === 'audio') {
      // PSNR of the peak-normalised signal (WaLLoC's audio metric), after clamping to [-1, 1].
      for (let i = 0; i < rec.data.length; i++) rec.data[i] = Math.max(-1, Math.min(1, rec.data[i]!));
      sum += audioQuality(img.data, rec.data).psnr;
      continue;
    }
    let se = 0;
    for (let i = 0; i < rec.data.length; i++) {
      // Quantize to 8 bits as a decoder writing PNG would: PSNR is of the image a user gets.
      const a = Math.round((Math.max(-0.5, Math.min(0.5, rec.data[i]!)) + 0.5) * 255);
      const b = Math.round((img.data[i]! + 0.5) * 255);
      se += (a - b) ** 2;
    }
    sum += 10 * Math.log10((255 * 255) / Math.max(1e-10, se / rec.data.length));
  }
  return sum / val.length;
}

interface TrainState {
  step: number;
  seed: number;
  history: Array<{ step: number; valPsnr: number; trainLoss: number; seconds: number }>;
  linearValPsnr?: number;
  seconds: number;
  encoderTrained?: boolean;
}

/**
 * With --resume, the checkpoint in `o.out` must be the model these options describe: resuming it
 * with another shape would fail deep in TensorFlow.js (or, worse, train something else under the
 * old name).
 */
function checkResumable(o: CodecTrainOptions): void {
  const c = loadModel(resolve(o.out)).config;
  const wanted: Array<[string, unknown, unknown]> = [
    ['--modality', o.modality ?? 'image', c.modality], ['--levels', o.levels, c.levels], ['--latent-dim', o.latentDim, c.latentDim], ['--bits', o.bits, c.bits], ['wavelet', o.wavelet, c.wavelet],
  ];
  if (c.decoder.type === 'resnet') wanted.push(['--width', o.width, c.decoder.width], ['--blocks', o.blocks, c.decoder.blocks], ['--kernel', o.kernel, c.decoder.kernel]);
  else if (o.steps > 0 && o.width > 0) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--resume: the model in ${o.out} is a linear floor (--steps 0) with no decoder net to go on training; train the learned decoder into another --out` });
  }
  const differ = wanted.filter(([, mine, theirs]) => mine !== theirs);
  if (differ.length) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--resume: the checkpoint in ${o.out} was trained with ${differ.map(([k, , v]) => `${k} ${String(v)}`).join(', ')}, not ${differ.map(([k, v]) => `${k} ${String(v)}`).join(', ')}; pass the same options, or another --out to start afresh` });
  }
}

/**
 * Runs the whole recipe; returns the saved model.
 *
 * @example
 * await trainCodec({ ...CODEC_TRAIN_DEFAULTS, data: 'data/photos/train', val: 'data/photos/eval',
 *   out: 'fixtures/models/rgb-16x', name: 'rgb-16x', log: console.error });
 */
export async function trainCodec(o: CodecTrainOptions): Promise<Model> {
  // Everything that can be refused is refused before minutes of data loading and PCA.
  checkModelFolder(o.out, o);
  if (o.modality === 'volume' && o.trainEncoder) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: '--train-encoder is not available for volumes (the PCA encoder stays frozen)' });
  if (announceCheckpoint(o.out, o.resume, o.log)) checkResumable(o);
  if (o.modality === 'audio') return trainAudio(o);
  if (o.modality === 'volume') return trainVolume(o);
  return trainOn(o);
}

/**
 * The volume front end: NIfTI files in, cubic crops of `crop`³ voxels, validation on centre crops
 * (at most `valSize` per side) of the held-out volumes, each normalised by its own window.
 */
async function trainVolume(o: CodecTrainOptions): Promise<Model> {
  const rule = o.window ?? DEFAULT_WINDOW;
  o.log(`loading volumes from ${o.data} (window: minimum to ${rule.highPercentile}th percentile) …`);
  const onSkip = (path: string, reason: string) => o.log(`skipping ${path}: ${reason}`);
  const vols = loadTrainVolumes(o.data, { crop: o.crop, rule, onSkip });
  const mvox = vols.reduce((s, v) => s + v.voxels, 0) / 1e6;
  const m = 1 << o.levels;
  const val: MediaFrame[] = [];
  if (o.val) {
    for (const v of loadTrainVolumes(o.val, { rule, onSkip })) {
      const size = v.shape.map((d) => Math.max(m, Math.floor(Math.min(d, o.valSize) / m) * m));
      const off = v.shape.map((d, i) => Math.max(0, (d - size[i]!) >> 1));
      const out = new Float32Array(size[0]! * size[1]! * size[2]!);
      for (let z = 0; z < size[0]!; z++) for (let y = 0; y < size[1]!; y++) {
        const src = (Math.min(v.shape[0] - 1, z + off[0]!) * v.shape[1] + Math.min(v.shape[1] - 1, y + off[1]!)) * v.shape[2] + off[2]!;
        out.set(v.data.subarray(src, src + Math.min(size[2]!, v.shape[2] - off[2]!)), (z * size[1]! + y) * size[2]!);
      }
      val.push(makeFrame('volume', [1, ...size], out, {}) as MediaFrame);
    }
  }
  const g = o.crop >> o.levels;
  const data: TrainData = { channels: 1, kPow: 8 ** o.levels, grid: [g, g, g], values: o.crop ** 3, crop: (next) => randomVolumeCrop(vols, o.crop, next) };
  return trainOn(o, { data, val, summary: `${vols.length} training volumes, ${mvox.toFixed(1)} Mvoxels in memory`, count: vols.length, amount: Number(mvox.toFixed(1)), unit: 'megavoxels' });
}

/** The audio front end: recordings in, then the same recipe as images on 1-D crops. */
async function trainAudio(o: CodecTrainOptions): Promise<Model> {
  o.log(`loading recordings from ${o.data} (stereo 44.1 kHz, at most ${o.audioSeconds ?? 40} s each) …`);
  const onSkip = (path: string, reason: string) => o.log(`skipping ${path}: ${reason}`);
  const clips = await loadClips(o.data, { maxSeconds: o.audioSeconds ?? 40, minSamples: o.crop, onSkip, onProgress: (d, t) => o.progress?.(`decoded ${d}/${t} recordings`) });
  const seconds = clips.reduce((s, c) => s + c.length, 0) / 44100;
  const valClips = o.val ? await loadClips(o.val, { maxSeconds: o.valSeconds ?? 20, skipSeconds: 0, minSamples: 1 << o.levels, onSkip }) : [];
  return trainOn(o, { data: audioData(clips, o), val: audioValidationSet(valClips, o), summary: `${clips.length} training recordings, ${(seconds / 60).toFixed(1)} min in memory`, count: clips.length, amount: Number((seconds / 60).toFixed(1)), unit: 'minutes' });
}

interface Prepared {
  data: TrainData;
  val: MediaFrame[];
  summary: string;
  count: number;
  amount: number;
  unit: string;
}

async function trainOn(o: CodecTrainOptions, prepared?: Prepared): Promise<Model> {
  const { tf, backend } = await getTf({ backend: o.backend });
  if (prepared) return trainLoop(o, tf, backend, [], prepared);
  o.log(`loading photos from ${o.data} …`);
  const onSkip = (path: string, reason: string) => o.log(`skipping ${path}: ${reason}`);
  const photos = await loadPhotos(o.data, { maxPixels: o.maxPixels, minSide: o.crop, onSkip, onProgress: (d, t) => o.progress?.(`decoded ${d}/${t} photos`) });
  const mp = photos.reduce((s, p) => s + p.width * p.height, 0) / 1e6;
  o.log(`${photos.length} training photos, ${mp.toFixed(1)} MP in memory; backend ${backend}`);
  const valPhotos = o.val ? await loadPhotos(o.val, { maxPixels: o.maxPixels, minSide: 1 << o.levels, onSkip }) : [];
  const val = validationSet(valPhotos, o);
  return trainLoop(o, tf, backend, photos, { data: imageData(photos, o), val, summary: '', count: photos.length, amount: Number(mp.toFixed(1)), unit: 'megapixels' });
}

async function trainLoop(o: CodecTrainOptions, tf: Awaited<ReturnType<typeof getTf>>['tf'], backend: string, photos: Photo[], p: Prepared): Promise<Model> {
  const { data, val } = p;
  const audio = o.modality === 'audio';
  const volume = o.modality === 'volume';
  if (audio || volume) o.log(`${p.summary}; backend ${backend}`);
  const what = audio ? 'recordings' : volume ? 'volumes' : 'photos';
  const statePath = join(o.out, 'train-state.json');
  const dim = data.channels * data.kPow;
  const lmax = latentMax(o.bits);

  let enc: Encoder;
  let dec: ResidualDecoder | VolumeDecoder;
  let state: TrainState;
  const decCfg = { latentDim: o.latentDim, outChannels: dim, width: o.width, blocks: o.blocks, kernel: o.kernel, dims: audio ? 1 as const : 2 as const };
  if (o.resume && existsSync(statePath)) {
    const m = loadModel(resolve(o.out));
    state = JSON.parse(readFileSync(statePath, 'utf8')) as TrainState;
    enc = { weight: m.weights.get('encoder.weight')!, bias: m.weights.get('encoder.bias')!, scale: m.weights.get('encoder.scale')!, dim };
    const w: NamedWeights = new Map();
    for (const t of m.config.tensors) if (t.name.startsWith('decoder.')) w.set(t.name, { shape: t.shape, data: m.weights.get(t.name)! });
    dec = volume ? new VolumeDecoder(tf, decCfg, w) : ResidualDecoder.fromConfig(tf, decCfg, w);
    o.log(`resuming ${o.out} at step ${state.step}`);
  } else {
    o.log(`fitting the linear floor: PCA of ${dim}-channel wavelet vectors over ${o.pcaCrops} crops of ${audio ? `${o.crop} samples` : volume ? `${o.crop}³ voxels` : `${o.crop}²`}`);
    const floor = await buildLinearFloor(photos, o, data);
    enc = floor.enc;
    o.log(`PCA keeps ${(floor.explained * 100).toFixed(2)}% of the coefficient variance in ${o.latentDim} channels`);
    dec = volume ? new VolumeDecoder(tf, decCfg) : new ResidualDecoder(tf, decCfg);
    const lw = new Float32Array(o.latentDim * dim);
    for (let n = 0; n < o.latentDim; n++) for (let i = 0; i < dim; i++) lw[n * dim + i] = enc.weight[n * dim + i]!;
    dec.setWeights(new Map([
      ['decoder.linear.weight', { shape: [1, 1, o.latentDim, dim], data: lw }],
      ['decoder.linear.bias', { shape: [dim], data: Float32Array.from(floor.mean) }],
      ['decoder.inscale', { shape: [o.latentDim], data: enc.scale.map((s) => Math.log(s)) }],
    ]));
    state = { step: 0, seed: o.seed, history: [], seconds: 0 };
    if (val.length) {
      state.linearValPsnr = await validate(tf, dec, enc, val, o);
      o.log(`linear floor: validation PSNR ${state.linearValPsnr.toFixed(2)} dB on ${val.length} held-out ${what}`);
    }
  }

  const save = (final: boolean): Model => {
    const training = {
      recipe: 'walloc train codec', data: o.data, val: o.val, [what]: p.count, [p.unit]: p.amount,
      steps: state.step, batch: o.batch, crop: o.crop, lr: o.lr, warmup: o.warmup, seed: o.seed, backend,
      encoder: o.trainEncoder || state.encoderTrained ? 'PCA, then trained' : 'PCA (frozen)', companding: `max|y|/${o.scaleDivisor} per channel`, linearValPsnr: state.linearValPsnr, history: state.history,
      seconds: Math.round(state.seconds),
    };
    const decoder: ModelConfig['decoder'] = o.width > 0 && o.steps > 0 ? { type: 'resnet', width: o.width, blocks: o.blocks, kernel: o.kernel } : { type: 'linear' };
    const weights = encoderWeights(enc, o.latentDim);
    for (const [k, v] of dec.getWeights()) {
      if (decoder.type === 'linear' && !k.startsWith('decoder.linear.')) continue;
      weights.set(k, v);
    }
    const m = saveModel(o.out, modelConfig(o, decoder, training), weights);
    writeFileAtomic(statePath, Buffer.from(JSON.stringify(state, null, 2)));
    if (final) o.log(`saved ${m.id} to ${o.out} (${decoder.type} decoder)`);
    return m;
  };

  if (o.steps === 0 || o.width === 0) return save(true);
  if (o.trainEncoder) state.encoderTrained = true;
  makeFolders(o.out);

  const gains = tf.tensor1d(audio ? synthesisGains1d(2, o.levels, o.wavelet) : volume ? synthesisGains3d(1, o.levels, o.wavelet) : synthesisGains(3, o.levels, o.wavelet));
  const opt = tf.train.adam(o.lr);
  const vars = [...dec.vars.values()];
  // With --train-encoder the 1×1 projection is trained too (initialised from the PCA). Rounding
  // has no gradient, so the quantizer is modelled to first order in the latent domain: uniform
  // noise of one step, scaled by the local slope dy/du of the inverse companding (treated as a
  // constant, computed outside the tape).
  const encW = o.trainEncoder ? tf.variable(tf.tensor4d(transpose(enc.weight, o.latentDim, dim), [1, 1, dim, o.latentDim])) : undefined;
  const encB = o.trainEncoder ? tf.variable(tf.tensor1d(enc.bias)) : undefined;
  if (encW && encB) vars.push(encW, encB);
  const scaleT = tf.tensor1d(enc.scale);
  const slopeK = Math.sqrt(2 * Math.PI) / (2 * lmax);
  const syncEncoder = () => {
    if (!encW || !encB) return;
    enc.weight = transpose(encW.dataSync() as Float32Array, dim, o.latentDim);
    enc.bias = Float32Array.from(encB.dataSync());
  };
  const [gh, gw] = data.grid as [number, number];
  const per = data.grid.reduce((a, b) => a * b, 1);
  // Batch tensors of the decoder's rank: NHWC for images and audio, NDHWC for volumes.
  const batchShape = (c: number) => [o.batch, ...data.grid, c] as unknown as [number, number, number, number];
  const yBatch = new Float32Array(o.batch * per * o.latentDim);
  const xBatch = new Float32Array(o.batch * per * dim);
  const noisy = new Float32Array(o.latentDim * per);
  let lossSum = 0;
  let lossCount = 0;
  let t0 = Date.now();
  while (state.step < o.steps) {
    // Crops and noise depend only on (seed, step): a resumed run sees the same data it would have.
    const next = rng(o.seed * 1_000_003 + state.step);
    for (let b = 0; b < o.batch; b++) {
      const crop = data.crop(next);
      if (encW) {
        // The encoder runs on the tape; only the coefficients are needed here.
        toNhwc(wptForward(crop, { levels: o.levels, wavelet: o.wavelet }).data, dim, xBatch, b * per * dim);
        continue;
      }
      const { coeffs, u } = encodeCrop(crop, enc, o);
      for (let i = 0; i < u.length; i++) noisy[i] = Math.max(-lmax, Math.min(lmax, u[i]! + next() - 0.5));
      toNhwc(toNormal(noisy, o.latentDim, o.bits, enc.scale), o.latentDim, yBatch, b * per * o.latentDim);
      toNhwc(coeffs.data, dim, xBatch, b * per * dim);
    }
    // Linear warm-up, then a cosine decay to a tenth of the peak by the last step.
    const lr = o.lr * Math.min(1, (state.step + 1) / o.warmup) * (0.1 + 0.45 * (1 + Math.cos((Math.PI * state.step) / o.steps)));
    (opt as unknown as { learningRate: number }).learningRate = lr;
    const loss = tf.tidy(() => {
      const x = (volume ? tf.tensor(xBatch, batchShape(dim)) : tf.tensor4d(xBatch, [o.batch, gh, gw, dim])) as tfTypes.Tensor4D;
      let input: () => tfTypes.Tensor4D;
      if (encW && encB) {
        const noise = tf.sub(tf.randomUniform([o.batch, gh, gw, o.latentDim], 0, 1, 'float32', o.seed * 7919 + state.step), 0.5);
        const y0 = tf.add(tf.conv2d(x, encW, 1, 'same'), encB);
        // dy/du of y = s·Φ⁻¹(u/2L + 1/2) is s·√(2π)·exp(y²/2s²)/(2L); clipped where Φ saturates.
        const slope = tf.minimum(tf.mul(tf.mul(scaleT, slopeK), tf.exp(tf.div(tf.square(y0), tf.mul(tf.square(scaleT), 2)))), tf.mul(scaleT, 1));
        const step = tf.mul(noise, slope);
        input = () => tf.add(tf.add(convSame(tf, 1)(x, encW as tfTypes.Tensor4D), encB), step) as tfTypes.Tensor4D;
      } else {
        const y = tf.tensor(yBatch, batchShape(o.latentDim)) as tfTypes.Tensor4D;
        input = () => y;
      }
      const run = (): tfTypes.Tensor => (dec instanceof VolumeDecoder ? dec.apply(input() as unknown as tfTypes.Tensor5D, true) : dec.apply(input(), true));
      return opt.minimize(() => tf.div(tf.sum(tf.mul(tf.square(tf.sub(run(), x)), gains)), o.batch * data.values) as tfTypes.Scalar, true, vars) as tfTypes.Scalar;
    });
    const lv = loss.dataSync()[0]!;
    loss.dispose();
    if (!Number.isFinite(lv)) throw werr('WALLOC_ERR_TRAIN', { reason: `loss became ${lv} at step ${state.step}; lower --lr` });
    lossSum += lv;
    lossCount++;
    state.step++;
    const dt = (Date.now() - t0) / 1000;
    state.seconds += dt;
    t0 = Date.now();
    const secPerStep = state.seconds / Math.max(1, state.step);
    const eta = Math.round(((o.steps - state.step) * secPerStep) / 60);
    const trainPsnr = 10 * Math.log10(1 / (lossSum / lossCount));
    o.progress?.(`step ${state.step}/${o.steps}  loss ${(lossSum / lossCount).toExponential(3)} (${trainPsnr.toFixed(2)} dB)  lr ${lr.toExponential(1)}  ${dt.toFixed(2)} s/step  eta ${eta} min`);
    if (state.step % o.epochSteps === 0 || state.step === o.steps) {
      syncEncoder();
      const valPsnr = val.length ? await validate(tf, dec, enc, val, o) : NaN;
      state.history.push({ step: state.step, valPsnr: Number(valPsnr.toFixed(3)), trainLoss: lossSum / lossCount, seconds: Math.round(state.seconds) });
      o.log(`epoch ${Math.ceil(state.step / o.epochSteps)} (step ${state.step}): train ${trainPsnr.toFixed(2)} dB` + (val.length ? `, validation ${valPsnr.toFixed(2)} dB` : ' (no --val: no validation)') + (state.linearValPsnr ? ` (linear floor ${state.linearValPsnr.toFixed(2)} dB)` : ''));
      lossSum = 0;
      lossCount = 0;
    }
    if (state.step % o.checkpointEvery === 0 && state.step < o.steps) {
      syncEncoder();
      save(false);
    }
  }
  syncEncoder();
  gains.dispose();
  return save(true);
}
