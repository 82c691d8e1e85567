/**
 * `walloc train vqvae` and `walloc train lowrank`: the training loops of the VQ-VAE family, with the
 * conventions of the other trainers (src/classify/trainer.ts): a progress line, a checkpoint after
 * every epoch with its state in `train-state.json` (`--resume` continues after the last finished
 * epoch, with a fresh optimizer), and the held-out metrics after every epoch.
 *
 * - VQ-VAE: the study's recipe: Adam, lr 2e-4, batch 64, 3 epochs, loss of src/vq/vqvae.ts.
 * - Low-rank decoder: trained on a frozen VQ-VAE's quantized latents (its encoder and codebook are
 *   copied into the new model, so the two decode the same streams), MSE loss, Adam.
 *
 * Held-out numbers: MSE over every test pixel in [0, 1], and SSIM (src/metrics/ssim.ts: Gaussian
 * 11×11, σ 1.5, 8-bit) on the first 100 test images, as the codebook study reports them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { werr } from '../errors.js';
import { getTf } from '../models/backend.js';
import { ssim } from '../metrics/ssim.js';
import { rng, shuffled } from '../math/random.js';
import type { GreyImages } from '../classify/fashion-mnist.js';
import { DATASET_LABELS, gatherUnitBatch, loadVqDataset, toUnitBatch, type VqDataset } from './datasets.js';
import { LowRankDecoder, lowRankMacs } from './lowrank.js';
import { loadVqModel, saveVqModel, type LowRankConfig, type VqModel } from './model.js';
import { announceCheckpoint } from '../models/model-file.js';
import { VqCodec } from './vq-codec.js';
import { VqVae, VQVAE_DEFAULTS, vqvaeMacs } from './vqvae.js';
import { checkModelFolder, writeFileAtomic } from '../io/atomic.js';

/** Test images the study's SSIM is averaged over. */
export const SSIM_IMAGES = 100;

/** What every VQ-family trainer takes besides its own settings (the CLI fills it from shared options). */
export interface TrainRunOptions {
  out: string;
  name: string;
  description?: string;
  epochs: number;
  batch: number;
  lr: number;
  /** Training images used (first N; 0 = all). */
  limit: number;
  /** Held-out images scored for MSE (first N; 0 = all). */
  valLimit: number;
  seed: number;
  resume: boolean;
  /** Replace a model already in `out` (without it, that is refused). */
  force?: boolean;
  backend?: string;
  log: (line: string) => void;
  progress?: (line: string) => void;
}

export interface VqTrainOptions extends TrainRunOptions {
  data: VqDataset;
  codebook: number;
}

export const VQ_TRAIN_DEFAULTS = { epochs: 3, batch: 64, lr: 2e-4, limit: 0, valLimit: 0, seed: 1, resume: false };

export interface LowRankTrainOptions extends Omit<VqTrainOptions, 'codebook' | 'data'> {
  /** The VQ-VAE whose encoder and codebook are kept (bundled name or folder). */
  vqvae: string;
  lowrank: LowRankConfig;
}

export const LOWRANK_TRAIN_DEFAULTS = { ...VQ_TRAIN_DEFAULTS, epochs: 6, lr: 3e-3 };

/** Held-out quality of a decoder. */
export interface VqScores {
  /** Mean squared error over every pixel of the scored test images, in [0, 1] units. */
  mse: number;
  /** Mean SSIM over the first 100 test images (8-bit, Gaussian window). */
  ssim: number;
  images: number;
}

interface TrainState {
  epoch: number;
  seconds: number;
  history: Array<{ epoch: number; loss: number; recon: number; mse: number; ssim: number; seconds: number }>;
}

/**
 * MSE and SSIM of reconstructions against originals (both NHWC in [0, 1], n images of side s).
 *
 * @example
 * scoreReconstructions(x, codec.decode(codec.encode(x, n), n), n, 28); // { mse: 0.009, ssim: 0.87, images: n }
 */
export function scoreReconstructions(x: Float32Array, xr: Float32Array, n: number, side: number): VqScores {
  let se = 0;
  for (let i = 0; i < n * side * side; i++) {
    const d = x[i]! - xr[i]!;
    se += d * d;
  }
  const p = side * side;
  const to8 = (a: Float32Array, i: number) => {
    const out = new Uint8Array(p);
    for (let k = 0; k < p; k++) out[k] = Math.max(0, Math.min(255, Math.round(a[i * p + k]! * 255)));
    return { data: out, width: side, height: side, channels: 1 };
  };
  const m = Math.min(SSIM_IMAGES, n);
  let s = 0;
  for (let i = 0; i < m; i++) s += ssim(to8(x, i), to8(xr, i));
  return { mse: se / (n * p), ssim: m ? s / m : NaN, images: n };
}

/**
 * Encodes and decodes test images through a codec (tokens through the TypeScript quantizer, as a
 * stream would carry them) and scores them.
 *
 * @example
 * const { mse, ssim } = evaluateCodec(codec, loadVqDataset('mnist', 'test'));
 */
export function evaluateCodec(codec: VqCodec, test: GreyImages, limit = 0): VqScores & { tokens: Uint16Array } {
  const n = limit > 0 ? Math.min(limit, test.n) : test.n;
  const x = toUnitBatch(test, 0, n);
  const tokens = codec.encode(x, n);
  return { ...scoreReconstructions(x, codec.decode(tokens, n), n, test.width), tokens };
}

function writeState(out: string, state: TrainState): void {
  const path = join(out, 'train-state.json');
  writeFileAtomic(path, Buffer.from(JSON.stringify(state, null, 2)));
}

/**
 * Closes an epoch of either trainer: scores the checkpoint on the held-out images through the
 * path a stream takes (VqCodec), records the epoch, saves the model with its scores and the state.
 */
async function closeEpoch(
  a: { out: string; state: TrainState; epoch: number; e0: number; loss: number; recon: number; backend: string; test: GreyImages; save: (scores?: VqScores) => VqModel },
): Promise<{ model: VqModel; scores: VqScores }> {
  a.state.seconds += (Date.now() - a.e0) / 1000;
  a.state.epoch = a.epoch + 1;
  const codec = await VqCodec.load(a.save(), { backend: a.backend });
  const scores = evaluateCodec(codec, a.test);
  codec.dispose();
  a.state.history.push({ epoch: a.epoch + 1, loss: a.loss, recon: a.recon, mse: scores.mse, ssim: scores.ssim, seconds: Math.round(a.state.seconds) });
  const model = a.save(scores);
  writeState(a.out, a.state);
  return { model, scores };
}

/** The model and scores of a run that had nothing left to train (resumed after its last epoch). */
async function finalScores(out: string, backend: string, test: GreyImages): Promise<{ model: VqModel; scores: VqScores }> {
  const model = loadVqModel(out);
  const codec = await VqCodec.load(model, { backend });
  const scores = evaluateCodec(codec, test);
  codec.dispose();
  return { model, scores };
}

function readState(out: string): TrainState | undefined {
  const path = join(out, 'train-state.json');
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as TrainState;
  } catch {
    throw werr('WALLOC_ERR_TRAIN', { reason: `${path} is not valid JSON; delete it to start over` });
  }
}

function checkCommon(o: Omit<VqTrainOptions, 'codebook' | 'data'>): void {
  const bad = (reason: string) => werr('WALLOC_ERR_INVALID_ARGUMENT', { reason });
  if (!Number.isInteger(o.epochs) || o.epochs < 1) throw bad(`--epochs must be a positive integer, got ${o.epochs}`);
  if (!Number.isInteger(o.batch) || o.batch < 1) throw bad(`--batch must be a positive integer, got ${o.batch}`);
  if (!(o.lr > 0)) throw bad(`--lr must be positive, got ${o.lr}`);
  checkModelFolder(o.out, o);
}

/**
 * Trains a VQ-VAE (the codebook study's recipe) and saves it to `o.out`.
 *
 * @example
 * await trainVqVae({ ...VQ_TRAIN_DEFAULTS, data: 'mnist', codebook: 128, out: '/work/runs/vq/mnist-k128', name: 'vqvae-mnist-k128', log: console.error });
 */
export async function trainVqVae(o: VqTrainOptions): Promise<{ model: VqModel; scores: VqScores; seconds: number; parameters: number }> {
  checkCommon(o);
  const { tf, backend } = await getTf({ backend: o.backend });
  const train = loadVqDataset(o.data, 'train', { limit: o.limit });
  const test = loadVqDataset(o.data, 'test', { limit: o.valLimit });
  o.log(`${o.data}: ${train.n} training and ${test.n} test images; K = ${o.codebook}; backend ${backend}`);
  const netCfg = { ...VQVAE_DEFAULTS, codebookSize: o.codebook };
  let net: VqVae;
  let state: TrainState = { epoch: 0, seconds: 0, history: [] };
  const prev = announceCheckpoint(o.out, o.resume, o.log) ? readState(o.out) : undefined;
  if (prev) {
    const m = loadVqModel(resolve(o.out));
    if (m.config.net.codebookSize !== o.codebook) throw werr('WALLOC_ERR_TRAIN', { reason: `the checkpoint in ${o.out} has K = ${m.config.net.codebookSize}, not ${o.codebook}` });
    if (m.config.dataset !== o.data) throw werr('WALLOC_ERR_TRAIN', { reason: `the checkpoint in ${o.out} was trained on ${String(m.config.dataset)}, not ${o.data}; pass --data ${String(m.config.dataset)}, or another --out to start afresh` });
    net = new VqVae(tf, m.config.net, m.weights);
    state = prev;
    o.log(`resuming ${o.out} after epoch ${state.epoch}`);
  } else {
    net = new VqVae(tf, netCfg, undefined, o.seed);
  }
  const macs = vqvaeMacs(net.config);
  o.log(`VQ-VAE: ${net.parameterCount} parameters, ${(macs.encoder / 1e6).toFixed(2)} M + ${(macs.decoder / 1e6).toFixed(2)} M multiply-adds per image (encoder + decoder)`);

  const save = (scores?: VqScores): VqModel => saveVqModel(o.out, {
    name: o.name,
    description: o.description ?? `VQ-VAE for 28×28 ${o.data}, K = ${o.codebook} codebook entries of dimension ${net.config.latentDim}, 49 tokens per image`,
    dataset: o.data,
    labels: [...DATASET_LABELS[o.data]],
    net: net.config,
    decoder: { type: 'conv' },
    training: {
      recipe: 'walloc train vqvae', data: o.data, trainImages: train.n, testImages: test.n, epochs: state.epoch, batch: o.batch, lr: o.lr, seed: o.seed, backend,
      parameters: net.parameterCount, macs, ...(scores ? { mse: scores.mse, ssim: scores.ssim } : {}), seconds: Math.round(state.seconds), history: state.history,
    },
  }, net.getWeights());

  const opt = tf.train.adam(o.lr);
  const stepsPerEpoch = Math.ceil(train.n / o.batch);
  const side = train.width;
  const xb = new Float32Array(o.batch * side * side);
  let model: VqModel | undefined;
  let scores: VqScores | undefined;
  for (let epoch = state.epoch; epoch < o.epochs; epoch++) {
    const e0 = Date.now();
    const order = shuffled(train.n, rng(o.seed * 31 + epoch));
    let lossSum = 0, reconSum = 0, seen = 0;
    for (let s = 0; s < stepsPerEpoch; s++) {
      const b = Math.min(o.batch, train.n - s * o.batch);
      const x = tf.tensor4d(gatherUnitBatch(train, order.subarray(s * o.batch, s * o.batch + b), xb.subarray(0, b * side * side)), [b, side, side, 1]);
      if (epoch === 0 && s === 0) net.initCodebook(x, o.seed);
      const st = net.trainStep(opt, x);
      x.dispose();
      if (!Number.isFinite(st.loss)) throw werr('WALLOC_ERR_TRAIN', { reason: `loss became ${st.loss} at epoch ${epoch + 1} step ${s + 1}; try a lower --lr` });
      lossSum += st.loss * b;
      reconSum += st.recon * b;
      seen += b;
      if (s % 10 === 0 || s === stepsPerEpoch - 1) {
        o.progress?.(`epoch ${epoch + 1}/${o.epochs} step ${s + 1}/${stepsPerEpoch} loss ${(lossSum / seen).toFixed(4)} recon ${(reconSum / seen).toFixed(4)} codes in batch ${st.used}/${o.codebook}`);
      }
    }
    ({ model, scores } = await closeEpoch({ out: o.out, state, epoch, e0, loss: lossSum / seen, recon: reconSum / seen, backend, test, save }));
    o.log(`epoch ${epoch + 1}/${o.epochs}: loss ${(lossSum / seen).toFixed(4)}, held-out MSE ${scores.mse.toFixed(4)}, SSIM ${scores.ssim.toFixed(4)} (${((Date.now() - e0) / 1000).toFixed(0)} s); checkpoint ${o.out}`);
  }
  if (!model || !scores) ({ model, scores } = await finalScores(o.out, backend, test));
  const parameters = net.parameterCount;
  net.dispose();
  opt.dispose();
  o.log(`saved ${model.id} to ${o.out}: held-out MSE ${scores.mse.toFixed(4)}, SSIM ${scores.ssim.toFixed(4)}`);
  return { model, scores, seconds: state.seconds, parameters };
}

/**
 * Trains a low-rank decoder on a frozen VQ-VAE's tokens and saves a model that holds the VQ-VAE's
 * encoder and codebook with the new decoder.
 *
 * @example
 * await trainLowRank({ ...LOWRANK_TRAIN_DEFAULTS, vqvae: 'vqvae-mnist-k128', lowrank: { type: 'lowrank', rank: 2, iterations: 2, patch: 4, smooth: true }, out: '/work/runs/vq/lr-r2i2', name: 'lowrank-mnist-r2i2', log: console.error });
 */
export async function trainLowRank(o: LowRankTrainOptions): Promise<{ model: VqModel; scores: VqScores; seconds: number; parameters: number }> {
  checkCommon(o);
  const { tf, backend } = await getTf({ backend: o.backend });
  const base = loadVqModel(o.vqvae);
  if (base.config.decoder.type !== 'conv') throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--vqvae ${o.vqvae} is itself a low-rank model; give the convolutional VQ-VAE` });
  const data = base.config.dataset as VqDataset;
  const train = loadVqDataset(data, 'train', { limit: o.limit });
  const test = loadVqDataset(data, 'test', { limit: o.valLimit });
  const codec = await VqCodec.load(base, { backend });
  const t0 = Date.now();
  const g = codec.grid;
  const trainTokens = codec.encode(toUnitBatch(train, 0, train.n), train.n);
  o.log(`${data}: ${train.n} training images tokenised by ${base.id} in ${((Date.now() - t0) / 1000).toFixed(1)} s; backend ${backend}`);
  let dec: LowRankDecoder;
  let state: TrainState = { epoch: 0, seconds: 0, history: [] };
  const prev = announceCheckpoint(o.out, o.resume, o.log) ? readState(o.out) : undefined;
  if (prev) {
    const m = loadVqModel(resolve(o.out));
    if (m.config.tokensSha256 !== base.config.tokensSha256 || m.config.decoder.type !== 'lowrank') throw werr('WALLOC_ERR_TRAIN', { reason: `the checkpoint in ${o.out} is not a low-rank decoder of ${base.id}` });
    dec = new LowRankDecoder(tf, base.config.net, m.config.decoder, m.weights);
    state = prev;
    o.log(`resuming ${o.out} after epoch ${state.epoch}`);
  } else {
    dec = new LowRankDecoder(tf, base.config.net, o.lowrank, undefined, o.seed);
  }
  const macs = lowRankMacs(base.config.net, dec.config);
  o.log(`low-rank decoder R=${dec.config.rank} I=${dec.config.iterations} P=${dec.config.patch}${dec.config.smooth ? ' +smooth' : ''}: ${dec.parameterCount} parameters, ${macs.tables} multiply-adds per image with tables (${macs.dense} dense)`);

  const save = (scores?: VqScores): VqModel => {
    const weights = new Map([...base.weights].filter(([k]) => !k.startsWith('dec')));
    for (const [k, v] of dec.getWeights()) weights.set(k, v);
    return saveVqModel(o.out, {
      name: o.name,
      description: o.description ?? `low-rank decoder (R=${dec.config.rank}, I=${dec.config.iterations}, patch ${dec.config.patch}) on the tokens of ${base.config.name}`,
      dataset: data,
      labels: base.config.labels,
      net: base.config.net,
      decoder: dec.config,
      training: {
        recipe: 'walloc train lowrank', base: base.id, trainImages: train.n, testImages: test.n, epochs: state.epoch, batch: o.batch, lr: o.lr, seed: o.seed, backend,
        parameters: dec.parameterCount, macs, ...(scores ? { mse: scores.mse, ssim: scores.ssim } : {}), seconds: Math.round(state.seconds), history: state.history,
      },
    }, weights);
  };

  // Adam moves every weight by about lr per step, so a factor moves by about lr × Σ|inputs|: with
  // the whole image as one patch (81 cells × 64 inputs) the default lr threw the factors around and
  // the sigmoid saturated (MSE stuck at 0.11). The rate is scaled to the generator's width, taking
  // the 3×3-cell generator of 4×4 patches (576 inputs) as the reference.
  const peakLr = o.lr * Math.min(1, (9 * base.config.net.latentDim) / (dec.geometry.neighbours * base.config.net.latentDim));
  const opt = tf.train.adam(peakLr);
  const stepsPerEpoch = Math.ceil(train.n / o.batch);
  const side = train.width;
  const xb = new Float32Array(o.batch * side * side);
  const tb = new Int32Array(o.batch * g * g);
  const vars = [...dec.vars.values()].filter((_, i) => dec.config.smooth || i < 2);
  let model: VqModel | undefined;
  let scores: VqScores | undefined;
  const totalSteps = stepsPerEpoch * o.epochs;
  for (let epoch = state.epoch; epoch < o.epochs; epoch++) {
    const e0 = Date.now();
    const order = shuffled(train.n, rng(o.seed * 37 + epoch));
    let lossSum = 0, seen = 0;
    for (let s = 0; s < stepsPerEpoch; s++) {
      const b = Math.min(o.batch, train.n - s * o.batch);
      const idx = order.subarray(s * o.batch, s * o.batch + b);
      gatherUnitBatch(train, idx, xb.subarray(0, b * side * side));
      for (let i = 0; i < b; i++) tb.set(trainTokens.subarray(idx[i]! * g * g, (idx[i]! + 1) * g * g), i * g * g);
      // Cosine decay: the factors are products, so a late high learning rate keeps them jittering.
      const step = epoch * stepsPerEpoch + s;
      (opt as unknown as { learningRate: number }).learningRate = 0.5 * peakLr * (1 + Math.cos((Math.PI * step) / totalSteps));
      const loss = tf.tidy(() => {
        const x = tf.tensor4d(xb.subarray(0, b * side * side), [b, side, side, 1]);
        const z = codec.net.embed(tf.tensor1d(tb.subarray(0, b * g * g), 'int32'), b);
        return opt.minimize(() => tf.mean(tf.square(tf.sub(dec.decode(z), x))) as import('@tensorflow/tfjs').Scalar, true, vars)!;
      });
      const l = loss.dataSync()[0]!;
      loss.dispose();
      if (!Number.isFinite(l)) throw werr('WALLOC_ERR_TRAIN', { reason: `loss became ${l} at epoch ${epoch + 1} step ${s + 1}; try a lower --lr` });
      lossSum += l * b;
      seen += b;
      if (s % 20 === 0 || s === stepsPerEpoch - 1) o.progress?.(`epoch ${epoch + 1}/${o.epochs} step ${s + 1}/${stepsPerEpoch} mse ${(lossSum / seen).toFixed(5)}`);
    }
    ({ model, scores } = await closeEpoch({ out: o.out, state, epoch, e0, loss: lossSum / seen, recon: lossSum / seen, backend, test, save }));
    o.log(`epoch ${epoch + 1}/${o.epochs}: train MSE ${(lossSum / seen).toFixed(5)}, held-out MSE ${scores.mse.toFixed(5)}, SSIM ${scores.ssim.toFixed(4)} (${((Date.now() - e0) / 1000).toFixed(0)} s); checkpoint ${o.out}`);
  }
  if (!model || !scores) ({ model, scores } = await finalScores(o.out, backend, test));
  const parameters = dec.parameterCount;
  dec.dispose();
  codec.dispose();
  opt.dispose();
  o.log(`saved ${model.id} to ${o.out}: held-out MSE ${scores.mse.toFixed(5)}, SSIM ${scores.ssim.toFixed(4)}`);
  return { model, scores, seconds: state.seconds, parameters };
}
