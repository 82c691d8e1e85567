/**
 * `walloc train classifier`: trains a latent classifier on a codec's quantized latents (exactly
 * what a .wlc stream carries: wpt → analysis → round to int8) or the pixel-space baseline on the
 * same images, with the codec trainer's conveniences: a progress line, a checkpoint after every
 * epoch (`--resume` continues from it), and the accuracy on the held-out split after every epoch.
 *
 * Data (read by src/classify/datasets.ts):
 * - `fashion-mnist`: Debian's dataset-fashion-mnist, 28×28 grey, train 60,000 / test 10,000 (the
 *   test split is the held-out set; it is only reported, never used to pick a model: recipes are
 *   compared with `--holdout N`, which holds out the last N training images instead).
 * - `fashion-mnist-color`: the same garments rendered in colour at 64×64 onto random crops of real
 *   photographs (src/classify/fashion-mnist.ts): training garments on training photos, test garments
 *   on the held-out photos (`--photos DIR --val-photos DIR`).
 * - a folder with one sub-folder of images per class (`--val DIR` the same for held-out images),
 *   centre-cropped and resized to `--size`.
 * - `spoken-words`: one-second stereo windows of ten command words spoken by espeak-ng over real
 *   background recordings, read from an audio codec's latents (src/classify/spoken-words.ts);
 *   held-out speakers share neither accent nor voice variant with training ones. The windows are
 *   mixed afresh every epoch (new places, levels and backgrounds for the same utterances).
 *
 * The recipe is the same for every net: Adam, linear warm-up then cosine decay, softmax cross
 * entropy, fixed per-channel input normalisation measured on the training inputs; optionally
 * `--augment flip,shift=S` (the training images are flipped/shifted and re-encoded every epoch,
 * src/classify/augment.ts), `--dropout P` before the dense head, and `--teacher MODEL` to learn
 * from a trained classifier's soft targets as well as the labels (src/classify/distill.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { Codec } from '../codec/codec.js';
import { werr } from '../errors.js';
import { getTf, type TfModule } from '../models/backend.js';
import { rng, shuffled } from '../math/random.js';
import { applyAugment, augments, augmentText, drawAugment, NO_AUGMENT, type AugmentConfig } from './augment.js';
import { buildDatasets, type DatasetOptions } from './datasets.js';
import { channelStats, decodedFrames, InputMaker, type InputSet } from './inputs.js';
import { Teacher, type DistillOptions } from './distill.js';
import { Hints, type HintOptions } from './hint.js';
import type { NamedWeights } from '../models/model-file.js';
import { codecRef, loadClassifier, saveClassifier, type ClassifierModel } from './model.js';
import { announceCheckpoint, packTensors, unpackTensors } from '../models/model-file.js';
import { ClassifierNet, defaultStages, multiplyAdds, type ClassifierArch, type ClassifierNetConfig, type StageConfig } from './nets.js';
import { checkModelFolder, writeFileAtomic } from '../io/atomic.js';

/** What to train (the data fields are {@link DatasetOptions}, read by src/classify/datasets.ts). */
export interface ClassifierTrainOptions extends DatasetOptions {
  /** Codec whose latents the classifier reads; omitted for the pixel baseline. */
  codec?: string;
  arch: ClassifierArch;
  out: string;
  name: string;
  description?: string;
  epochs: number;
  batch: number;
  lr: number;
  warmupSteps: number;
  /** Stage widths/blocks; default per architecture. */
  stages?: StageConfig[];
  /** Classifier head: 'mean' (any input size) or 'flatten' (fixed size, keeps the layout). */
  head?: 'mean' | 'flatten';
  resume: boolean;
  /** Replace a model already in `out` (without it, that is refused). */
  force?: boolean;
  /** Training-time augmentation of the images before encoding (default none). */
  augment?: AugmentConfig;
  /** Dropout rate before the dense head while training (default 0). */
  dropout?: number;
  /** Hidden dense units before the class logits (default 0: none). */
  hidden?: number;
  /** Train each convolution as linear factors with this many times its width inside (src/nn/linear-expansion.ts); 0: none. */
  expand?: number;
  /** Latent classifiers: read the latents through the codec's inverse companding (ClassifierConfig.decompand). */
  decompand?: boolean;
  /** Knowledge distillation from a trained classifier (src/classify/distill.ts); default none. */
  distill?: DistillOptions;
  /** Hint distillation from the (first) teacher's stage maps (src/classify/hint.ts); needs `distill`. */
  hint?: HintOptions;
  backend?: string;
}

export { channelStats, InputMaker, type InputSet };

export const CLASSIFIER_TRAIN_DEFAULTS = {
  arch: 'latent-resnet' as ClassifierArch, epochs: 6, batch: 128, lr: 2e-3, warmupSteps: 100, seed: 1, limit: 0, valLimit: 0, size: 64,
  photos: 'data/photos/train', valPhotos: 'data/photos/eval', audio: 'data/audio/train', valAudio: 'data/audio/eval', resume: false,
};

/**
 * Accuracy (and the confusion matrix, rows = truth) of a net on a set, in batches.
 *
 * @example
 * const { accuracy } = evaluate(tf, net, testSet);
 */
export function evaluate(tf: TfModule, net: ClassifierNet, set: InputSet, batch = 500): { accuracy: number; confusion: number[][] } {
  const k = net.config.classes;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const per = set.h * set.w * set.c;
  let correct = 0;
  for (let s = 0; s < set.n; s += batch) {
    const b = Math.min(batch, set.n - s);
    const t = tf.tidy(() => tf.argMax(net.apply(tf.tensor4d(set.data.subarray(s * per, (s + b) * per), [b, set.h, set.w, set.c])), 1));
    const pred = t.dataSync();
    t.dispose();
    for (let i = 0; i < b; i++) {
      const y = set.labels[s + i]!;
      confusion[y]![pred[i]!]!++;
      if (pred[i] === y) correct++;
    }
  }
  return { accuracy: correct / set.n, confusion };
}

interface TrainState {
  epoch: number;
  seconds: number;
  history: Array<{ epoch: number; loss: number; trainAccuracy: number; accuracy: number; seconds: number }>;
  /** `--expand`: the rate, and the factors' names and shapes, stored in train-state.factors.bin in this order. */
  expand?: number;
  factors?: Array<{ name: string; shape: number[] }>;
}

/**
 * The expanded kernels' factors (the model file holds them collapsed), in weights.bin's layout
 * (src/models/model-file.ts packTensors), written atomically; the returned index goes into
 * train-state.json.
 */
function writeFactors(path: string, factors: NamedWeights): Array<{ name: string; shape: number[] }> {
  const { tensors, bin } = packTensors(factors);
  writeFileAtomic(path, bin);
  return tensors.map(({ name, shape }) => ({ name, shape }));
}

/** Reads back what writeFactors wrote into `into` (a short or missing file is a coded error, not a silent restart). */
function readFactors(path: string, index: Array<{ name: string; shape: number[] }>, into: NamedWeights): void {
  const bin = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
  let offset = 0;
  const entries = index.map(({ name, shape }) => {
    const e = { name, shape, offset };
    offset += 4 * shape.reduce((a, b) => a * b, 1);
    return e;
  });
  const bad = () => werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--resume: ${path} is missing or short (the expanded factors of the checkpoint); retrain without --resume` });
  for (const [name, w] of unpackTensors(bin, entries, bad)) into.set(name, w);
}

/** The parts of a classifier's net a user chooses, for a resume refusal. */
const describeNet = (n: ClassifierNetConfig): string =>
  `${n.arch} with stages ${(n.stages ?? []).map((st) => `${st.width}:${st.blocks}`).join(',')}, ${n.inChannels} input channels, ${n.classes} classes${n.head === 'flatten' ? `, a flatten head on ${n.inputSize?.join('×')}` : ''}${n.hidden ? `, ${n.hidden} hidden units` : ''}`;

/**
 * With --resume, the checkpoint in `o.out` must be the classifier these options train (same
 * architecture, codec and data); checked before the data is prepared. The net itself is compared
 * once the data fixes its input size.
 */
function checkResumable(o: ClassifierTrainOptions, codec: string | undefined): void {
  const c = loadClassifier(resolve(o.out)).config;
  // training.data is the folder, or a dataset name followed by " (…)" or ": …" (datasets.ts).
  const data = typeof c.training?.data === 'string' ? c.training.data : undefined;
  const sameData = data === undefined || data === o.data || data.startsWith(`${o.data} (`) || data.startsWith(`${o.data}:`) || resolve(data) === resolve(o.data);
  const differ: string[] = [];
  if (c.net.arch !== o.arch) differ.push(`--arch ${c.net.arch}`);
  if ((c.codec?.name ?? undefined) !== codec) differ.push(c.codec ? `--codec ${c.codec.name}` : 'no --codec');
  if (!sameData) differ.push(`--data ${data}`);
  if (Boolean(c.decompand) !== Boolean(o.decompand)) differ.push(c.decompand ? '--decompand' : 'no --decompand');
  if (differ.length) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--resume: the checkpoint in ${o.out} was trained with ${differ.join(', ')}; pass the same options, or another --out to start afresh` });
}

export interface TrainResult {
  model: ClassifierModel;
  accuracy: number;
  confusion: number[][];
  seconds: number;
  parameters: number;
  multiplyAdds: number;
  inputShape: [number, number, number];
}

/**
 * Runs the recipe and saves the classifier to `o.out`.
 *
 * @example
 * await trainClassifier({ ...CLASSIFIER_TRAIN_DEFAULTS, data: 'fashion-mnist', codec: 'fmnist-gray-j2',
 *   out: 'fixtures/models/fmnist-latent-resnet', name: 'fmnist-latent-resnet', log: console.error });
 */
export async function trainClassifier(o: ClassifierTrainOptions): Promise<TrainResult> {
  checkModelFolder(o.out, o);
  const { tf, backend } = await getTf({ backend: o.backend });
  if (o.arch === 'pixel-cnn' && o.codec) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: 'the pixel CNN reads pixels: drop --codec' });
  if (o.arch !== 'pixel-cnn' && !o.codec) throw werr('WALLOC_ERR_MISSING_ARGUMENT', { what: '--codec MODEL (the codec whose latents the classifier reads)', command: 'walloc train classifier' });
  const codec = o.codec ? Codec.load(o.codec) : undefined;
  if (announceCheckpoint(o.out, o.resume, o.log)) checkResumable(o, codec?.model.config.name);
  if (o.decompand && !codec) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: '--decompand is for latent classifiers (it inverts the codec\'s companding): give --codec' });
  const maker = new InputMaker(codec, { decompand: o.decompand });
  const t0 = Date.now();
  o.log(`preparing ${o.data} ${codec ? `latents of ${codec.model.id}` : 'pixels'} …`);
  const ds = await buildDatasets(o, maker);
  const { train, val } = ds;
  // Audio windows are cut from a stream's latents by classify itself, without this map.
  if (o.decompand && ds.window) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: '--decompand is for image latents; audio window classifiers read the latents as streams carry them' });
  const prepSeconds = (Date.now() - t0) / 1000;
  o.log(`${train.n} training and ${val.n} held-out inputs of [${train.h}, ${train.w}, ${train.c}] (NHWC) in ${prepSeconds.toFixed(1)} s; backend ${backend}`);

  const statePath = join(o.out, 'train-state.json');
  const factorsPath = join(o.out, 'train-state.factors.bin');
  const netCfg: ClassifierNetConfig = { arch: o.arch, inChannels: train.c, classes: ds.labels.length, stages: o.stages ?? defaultStages(o.arch, ds.dims), ...(ds.dims === 1 ? { dims: 1 as const } : {}), ...(o.dropout ? { dropout: o.dropout } : {}), ...(o.hidden ? { hidden: o.hidden } : {}), ...(o.head === 'flatten' ? { head: 'flatten' as const, inputSize: [train.h, train.w] as [number, number] } : {}) };
  let net: ClassifierNet;
  let state: TrainState;
  if (o.resume && existsSync(statePath)) {
    const m = loadClassifier(resolve(o.out));
    const { dropout: _d, ...saved } = m.config.net;
    const { dropout: _o, ...asked } = netCfg;
    if (JSON.stringify(saved) !== JSON.stringify(asked)) {
      throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--resume: the checkpoint in ${o.out} is a ${describeNet(m.config.net)}, these options make a ${describeNet(netCfg)}; pass the same options, or another --out to start afresh` });
    }
    state = JSON.parse(readFileSync(statePath, 'utf8')) as TrainState;
    if (state.expand && state.factors) {
      const weights = new Map(m.weights);
      readFactors(factorsPath, state.factors, weights);
      net = new ClassifierNet(tf, m.config.net, weights, o.seed, state.expand);
    } else {
      net = ClassifierNet.fromConfig(tf, m.config.net, m.weights);
    }
    o.log(`resuming ${o.out} after epoch ${state.epoch}`);
  } else {
    net = new ClassifierNet(tf, netCfg, undefined, o.seed, o.expand ?? 0);
    const st = channelStats(train);
    net.setNormalization(st.mean, st.std);
    state = { epoch: 0, seconds: 0, history: [] };
  }
  if (o.distill && (ds.refresh || !ds.trainFrame)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: '--teacher works on image data (fashion-mnist, fashion-mnist-color or class folders)' });
  if (o.hint && !o.distill) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: '--hint learns from a teacher\'s maps: give --teacher too' });
  if (o.hint && (!ds.fixedFrames || (o.augment?.shift ?? 0) > 0)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: '--hint needs fixed training images, flipped at most (--augment flip or none): the teacher\'s maps are computed once' });
  const teacher = o.distill ? Teacher.load(tf, o.distill, ds.labels) : undefined;
  if (teacher) o.log(`distilling from ${teacher.id}: weight ${o.distill!.weight}, temperature ${o.distill!.temperature}`);
  const mac = multiplyAdds(net.config, train.h, train.w);
  o.log(`${net.config.arch}: ${net.parameterCount} parameters, ${(mac / 1e6).toFixed(2)} M multiply-adds per image`);

  // A resumed run keeps the rate its checkpoint was trained with.
  const expandRate = state.factors ? state.expand : o.expand;
  const save = (): ClassifierModel => {
    const last = state.history[state.history.length - 1];
    const m = saveClassifier(o.out, {
      name: o.name,
      description: o.description ?? `${net.config.arch} on ${codec ? `${codec.model.config.name} latents` : 'pixels'} of ${o.data}: ${ds.labels.length} classes`,
      input: codec ? 'latent' : 'pixels',
      ...(codec ? { codec: codecRef(codec.model) } : { channels: train.c }),
      labels: ds.labels,
      net: net.getConfig(),
      ...(ds.window ? { window: ds.window } : {}),
      ...(maker.decompand ? { decompand: maker.decompand } : {}),
      training: {
        recipe: 'walloc train classifier', ...ds.describe, inputShape: [train.c, train.h, train.w], epochs: state.epoch, batch: o.batch, lr: o.lr,
        augment: augmentText(aug), dropout: net.config.dropout ?? 0, ...(expandRate ? { expand: expandRate } : {}), ...(teacher ? { distill: teacher.describe() } : {}), ...(hints ? { hint: hints.describe() } : {}),
        seed: o.seed, backend, parameters: net.parameterCount, multiplyAdds: mac, accuracy: last?.accuracy, seconds: Math.round(state.seconds), history: state.history,
      },
    }, net.getWeights());
    const factors = net.factorWeights();
    if (factors.size) Object.assign(state, { expand: expandRate, factors: writeFactors(factorsPath, factors) });
    writeFileAtomic(statePath, Buffer.from(JSON.stringify(state, null, 2)));
    return m;
  };

  const aug = o.augment ?? NO_AUGMENT;
  const augNext = rng(o.seed * 104729 + state.epoch);
  const opt = tf.train.adam(o.lr);
  const per = train.h * train.w * train.c;
  const stepsPerEpoch = Math.ceil(train.n / o.batch);
  const totalSteps = stepsPerEpoch * o.epochs;
  const next = rng(o.seed * 31 + state.epoch);
  const xb = new Float32Array(o.batch * per);
  const yb = new Int32Array(o.batch);
  const classes = ds.labels.length;
  const sb = teacher ? new Float32Array(o.batch * classes) : undefined;
  // Soft targets that do not change from epoch to epoch (Teacher.steadyUnder) are computed once,
  // as long as the training images are not random renderings.
  const fixedTargets = !!teacher && !!ds.fixedFrames && teacher.steadyUnder(aug);
  if (teacher && o.distill?.view === 'decoded' && !(fixedTargets && codec)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: '--teacher-view decoded needs a latent student (--codec) and soft targets computed once (fixed images: --augment flip with --teacher-mirror, or none)' });
  const teacherFrame = teacher && o.distill?.view === 'decoded' ? await decodedFrames(codec!, train.n, ds.trainFrame!, (d) => o.progress?.(`decoding training images for the teacher: ${d}`)) : ds.trainFrame;
  let soft = fixedTargets ? teacher!.targets(train.n, teacherFrame!) : undefined;
  if (fixedTargets) {
    teacher!.releaseInputs();
    o.log(`soft targets of ${train.n} images computed once: they are the same every epoch (${augments(aug) ? 'flips and a mirror-averaged teacher' : 'no augmentation'})`);
  }
  if (o.hint) o.log(`hints: the teacher's stage maps of ${train.n} images${aug.flip ? ' and their mirrors' : ''} …`);
  const hints = o.hint ? Hints.build(tf, teacher!, net, [train.h, train.w], o.hint, train.n, ds.trainFrame!, aug.flip, o.seed) : undefined;
  if (hints && state.epoch > 0) o.log('resuming with hints: the regressors start afresh (they are not saved)');
  const hb = hints ? new Float32Array(o.batch * hints.perImage) : undefined;
  const kb = new Int32Array(o.batch);
  // Each image's augmentation draw of this epoch (flip, dx, dy), where the teacher must see the
  // same image: per-epoch soft targets, or the mirrored view of the hints.
  const draws = (teacher && !fixedTargets) || hints ? new Int8Array(3 * train.n) : undefined;
  const flipped = (k: number) => draws?.[3 * k] === 1;
  const vars = [...net.vars.values(), ...(hints?.variables ?? [])];
  let model: ClassifierModel | undefined;
  for (let epoch = state.epoch; epoch < o.epochs; epoch++) {
    const e0 = Date.now();
    if (ds.refresh) ds.refresh(train);
    else if ((augments(aug) || (teacher && !soft)) && ds.trainFrame && ds.trainLabel) {
      // A fresh (augmented) copy of the training set, encoded exactly as a stream would carry it.
      const frameAt = ds.trainFrame;
      // The teacher sees the very images of this epoch: keep each one's draw (3 bytes, not the
      // image) and move the image again for it.
      maker.build(train.n, (i) => {
        const d = drawAugment(aug, augNext);
        if (draws) {
          draws[3 * i] = d.flip ? 1 : 0;
          draws[3 * i + 1] = d.dx;
          draws[3 * i + 2] = d.dy;
        }
        return applyAugment(frameAt(i), d);
      }, ds.trainLabel, undefined, train);
      if (teacher && !fixedTargets && draws) soft = teacher.targets(train.n, (i) => applyAugment(frameAt(i), { flip: draws[3 * i] === 1, dx: draws[3 * i + 1]!, dy: draws[3 * i + 2]! }), soft);
    }
    const order = shuffled(train.n, next);
    let lossSum = 0;
    let seen = 0;
    let correct = 0;
    for (let s = 0; s < stepsPerEpoch; s++) {
      const b = Math.min(o.batch, train.n - s * o.batch);
      for (let i = 0; i < b; i++) {
        const k = order[s * o.batch + i]!;
        kb[i] = k;
        xb.set(train.data.subarray(k * per, (k + 1) * per), i * per);
        yb[i] = train.labels[k]!;
        if (sb && soft) sb.set(soft.subarray(k * classes, (k + 1) * classes), i * classes);
      }
      if (hints) hints.fill(kb.subarray(0, b), flipped, hb!);
      const step = epoch * stepsPerEpoch + s;
      const warm = Math.min(o.warmupSteps, Math.ceil(totalSteps / 10));
      const lr = step < warm ? (o.lr * (step + 1)) / warm : 0.5 * o.lr * (1 + Math.cos((Math.PI * (step - warm)) / Math.max(1, totalSteps - warm)));
      (opt as unknown as { learningRate: number }).learningRate = lr;
      const [loss, hits] = tf.tidy(() => {
        const x = tf.tensor4d(xb.subarray(0, b * per), [b, train.h, train.w, train.c]);
        const y = tf.tensor1d(yb.subarray(0, b), 'int32');
        let hitsT: tfTypes.Tensor | undefined;
        const l = opt.minimize(() => {
          const taps: tfTypes.Tensor4D[] = [];
          const logits = net.apply(x, true, hints ? taps : undefined);
          // Kept: minimize disposes everything its function made except the loss.
          hitsT = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'int32')));
          const oneHot = tf.oneHot(y, classes) as tfTypes.Tensor2D;
          if (teacher && sb) {
            const kd = teacher.loss(logits, oneHot, tf.tensor2d(sb.subarray(0, b * classes), [b, classes]));
            return hints ? (tf.add(kd, hints.loss(taps, hb!, b)) as tfTypes.Scalar) : kd;
          }
          return tf.losses.softmaxCrossEntropy(oneHot, logits) as tfTypes.Scalar;
        }, true, vars)!;
        return [l, hitsT!];
      });
      lossSum += (loss.dataSync()[0] as number) * b;
      correct += hits.dataSync()[0] as number;
      seen += b;
      loss.dispose();
      hits.dispose();
      if (s % 20 === 0 || s === stepsPerEpoch - 1) {
        o.progress?.(`epoch ${epoch + 1}/${o.epochs} step ${s + 1}/${stepsPerEpoch} loss ${(lossSum / seen).toFixed(4)} train acc ${((100 * correct) / seen).toFixed(2)}% lr ${lr.toExponential(2)}`);
      }
    }
    const { accuracy } = evaluate(tf, net, val);
    state.seconds += (Date.now() - e0) / 1000;
    state.epoch = epoch + 1;
    state.history.push({ epoch: epoch + 1, loss: Number((lossSum / seen).toFixed(5)), trainAccuracy: Number((correct / seen).toFixed(5)), accuracy: Number(accuracy.toFixed(5)), seconds: Math.round(state.seconds) });
    model = save();
    o.log(`epoch ${epoch + 1}/${o.epochs}: loss ${(lossSum / seen).toFixed(4)}, train ${((100 * correct) / seen).toFixed(2)}%, held-out ${(100 * accuracy).toFixed(2)}% (${((Date.now() - e0) / 1000).toFixed(0)} s); checkpoint ${o.out}`);
  }
  model ??= save();
  const final = evaluate(tf, net, val);
  o.log(`saved ${model.id} to ${o.out}: held-out accuracy ${(100 * final.accuracy).toFixed(2)}% on ${val.n} images`);
  const result: TrainResult = {
    model, accuracy: final.accuracy, confusion: final.confusion, seconds: state.seconds, parameters: net.parameterCount, multiplyAdds: mac,
    inputShape: [train.c, train.h, train.w],
  };
  net.dispose();
  opt.dispose();
  teacher?.dispose();
  hints?.dispose();
  return result;
}
