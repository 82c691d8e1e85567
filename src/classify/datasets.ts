/**
 * The data `walloc train classifier` reads (Fashion-MNIST grey or in colour on real photos, class
 * folders of images, espeak-ng spoken words over real recordings), encoded exactly as a stream
 * would carry it; the training loop itself is in trainer.ts.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Codec } from '../codec/codec.js';
import { werr } from '../errors.js';
import type { ImageFrame } from '../frame.js';
import { rng, shuffled } from '../math/random.js';
import { listImages, loadPhotos, type Photo } from '../train/photos.js';
import type { Clip } from '../train/audio-data.js';
import { planarToNhwc } from './classifier.js';
import { colorFrame, COLOR_SIZE, FASHION_LABELS, greyFrame, loadFashionMnist, type GreyImages } from './fashion-mnist.js';
import type { InputMaker, InputSet } from './inputs.js';
import { hasEspeak, loadBackgrounds, mixWindow, speakAll, SPOKEN_LABELS, SPOKEN_WORDS, WINDOW_COLUMNS, windowLatents, windowPlan, type Utterance } from './spoken-words.js';

/** The data a classifier trains and is checked on (part of the trainer's options). */
export interface DatasetOptions {
  /** 'fashion-mnist', 'fashion-mnist-color', 'spoken-words' or a folder of class folders. */
  data: string;
  /** Held-out class folders (folder data only). */
  val?: string;
  /** Training images used (first N; 0 = all). */
  limit: number;
  /** Held-out images used (first N; 0 = all). */
  valLimit: number;
  /** Fashion-MNIST: hold out the last N training images instead of using the test split (0: test split). */
  holdout?: number;
  /** fashion-mnist-color backgrounds. */
  photos?: string;
  valPhotos?: string;
  /** Folder data: image side after centre crop and resize. */
  size: number;
  seed: number;
  /** spoken-words: background recordings for training / held-out windows. */
  audio?: string;
  valAudio?: string;
  /** spoken-words: use at most this many training speakers (half as many held out); default all. */
  speakers?: number;
  log: (line: string) => void;
  progress?: (line: string) => void;
}

/** Images of a class-folder tree: labels are the sorted sub-folder names. */
async function loadClassFolders(dir: string, size: number, channels: number, log: (line: string) => void, labels?: string[]): Promise<{ labels: string[]; frames: ImageFrame[]; y: number[] }> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw werr('WALLOC_ERR_DATASET', { path: dir, reason: 'not a folder (expected one sub-folder of images per class)' });
  const found = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const classes = labels ?? found;
  if (classes.length < 2) throw werr('WALLOC_ERR_DATASET', { path: dir, reason: 'needs at least two class sub-folders' });
  // Held-out folders must name the training classes: a missing or extra one is a typo or another
  // dataset, and would be scored as if it were the same task.
  if (labels) {
    const missing = labels.filter((c) => !found.includes(c));
    const extra = found.filter((c) => !labels.includes(c));
    if (missing.length || extra.length) {
      throw werr('WALLOC_ERR_DATASET', { path: dir, reason: `its class folders do not match the training data's${missing.length ? `; missing: ${missing.join(', ')}` : ''}${extra.length ? `; not in the training data: ${extra.join(', ')}` : ''}` });
    }
  }
  const frames: ImageFrame[] = [];
  const y: number[] = [];
  for (const [k, cls] of classes.entries()) {
    for (const file of listImages(join(dir, cls))) {
      let img = sharp(file).rotate().flatten({ background: '#ffffff' }).resize(size, size, { fit: 'cover' });
      img = channels === 1 ? img.greyscale() : img.toColourspace('srgb');
      let data: Buffer;
      try {
        data = await img.removeAlpha().raw().toBuffer();
      } catch (e) {
        log(`skipping ${file}: ${(e as Error).message}`); // as the codec trainer does with a bad photo
        continue;
      }
      const planarData = new Float32Array(channels * size * size);
      for (let p = 0; p < size * size; p++) for (let c = 0; c < channels; c++) planarData[c * size * size + p] = data[p * channels + c]! / 255 - 0.5;
      frames.push({ kind: 'image', shape: [channels, size, size], data: planarData, meta: { sourceShape: [channels, size, size] } } as ImageFrame);
      y.push(k);
    }
  }
  if (frames.length === 0) throw werr('WALLOC_ERR_DATASET', { path: dir, reason: 'no images in the class folders' });
  return { labels: classes, frames, y };
}

/** What a training run reads: the encoded training and held-out inputs and how to remake them. */
export interface Datasets {
  labels: string[];
  train: InputSet;
  val: InputSet;
  describe: Record<string, unknown>;
  /** The training images again (with fresh random renderings where the data has them), for augmentation. */
  trainFrame?: (i: number) => ImageFrame;
  /** trainFrame(i) is the very image the training set was built from (no random rendering). */
  fixedFrames?: boolean;
  trainLabel?: (i: number) => number;
  /** Refills the training set in place every epoch (data made of random mixtures). */
  refresh?: (train: InputSet) => void;
  /** 1 for signals (audio latents as [1, columns]); default 2. */
  dims?: 1 | 2;
  /** Audio classifiers: the window they read. */
  window?: { columns: number; hop: number };
}

/** Audio windows → NHWC [1, columns, N] inputs (the latents as a stream carries them). */
function audioSet(codec: Codec, plan: Array<Utterance | undefined>, backgrounds: Clip[], next: () => number, into?: InputSet, progress?: (done: number) => void): InputSet {
  let set = into;
  for (const [i, utt] of plan.entries()) {
    const { data, shape } = windowLatents(codec, mixWindow(utt, backgrounds, next));
    const [c, w] = shape;
    set ??= { n: plan.length, h: 1, w, c, data: new Float32Array(plan.length * c * w), labels: new Uint8Array(plan.length) };
    planarToNhwc(data, c, w, set.data, i * c * w);
    set.labels[i] = utt ? utt.label : SPOKEN_WORDS.length;
    if (progress && (i + 1) % 500 === 0) progress(i + 1);
  }
  if (!set) throw werr('WALLOC_ERR_DATASET', { path: 'spoken-words', reason: 'no windows' });
  return set;
}

async function spokenWordsDatasets(o: DatasetOptions, codec: Codec | undefined): Promise<Datasets> {
  if (!codec || codec.model.config.modality !== 'audio') throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: 'spoken-words is read from an audio codec\'s latents: give --codec stereo-5x (or another 44.1 kHz stereo codec with J = 8)' });
  if (!hasEspeak()) throw werr('WALLOC_ERR_DATASET', { path: 'espeak-ng', reason: 'spoken-words needs espeak-ng (apt-get install espeak-ng)' });
  const say = (what: string) => (d: number, t: number) => { if (d % 100 === 0 || d === t) o.progress?.(`speaking ${what} words: ${d}/${t}`); };
  const trUtts = speakAll({ split: 'train', ...(o.speakers ? { maxSpeakers: o.speakers } : {}), onProgress: say('training') });
  const teUtts = speakAll({ split: 'heldOut', ...(o.speakers ? { maxSpeakers: Math.max(2, Math.round(o.speakers / 2)) } : {}), onProgress: say('held-out') });
  const trBg = await loadBackgrounds(o.audio);
  const teBg = await loadBackgrounds(o.valAudio);
  if (!trBg.length || !teBg.length) o.log(`warning: no background recordings (${o.audio}, ${o.valAudio}): quiet noise only`);
  const perClass = (n: number, dflt: number) => (n > 0 ? Math.max(1, Math.ceil(n / SPOKEN_LABELS.length)) : dflt);
  const trPlan = windowPlan(trUtts, perClass(o.limit, 400), o.seed);
  const tePlan = windowPlan(teUtts, perClass(o.valLimit, 100), 777);
  const nextTr = rng(o.seed * 7919 + 3);
  const progress = (what: string) => (d: number) => o.progress?.(`${what}: ${d} windows`);
  const train = audioSet(codec, trPlan, trBg, nextTr, undefined, progress('training windows'));
  const val = audioSet(codec, tePlan, teBg, rng(424243), undefined, progress('held-out windows'));
  let epoch = 0;
  return {
    labels: [...SPOKEN_LABELS], train, val, dims: 1, window: { columns: WINDOW_COLUMNS, hop: WINDOW_COLUMNS >> 1 },
    refresh: (set) => { if (epoch++ > 0) audioSet(codec, windowPlan(trUtts, perClass(o.limit, 400), o.seed + epoch), trBg, nextTr, set); },
    describe: {
      data: 'spoken-words: ten command words by espeak-ng over real background recordings, 1 s stereo windows', train: train.n, heldOut: val.n,
      trainSpeakers: new Set(trUtts.map((u) => u.voice)).size, heldOutSpeakers: new Set(teUtts.map((u) => u.voice)).size,
      trainBackgrounds: `${o.audio} (${trBg.length})`, heldOutBackgrounds: `${o.valAudio} (${teBg.length})`,
    },
  };
}

/**
 * Fashion-MNIST's training and held-out images. The held-out set is the test split, or with
 * `--holdout N` the last N of the 60,000 training images (a validation split for choosing a recipe
 * without looking at the test split, which then is not even read).
 */
function fashionSplits(o: DatasetOptions): { tr: GreyImages; te: GreyImages; heldOutSplit: string } {
  if (!o.holdout) {
    return { tr: loadFashionMnist('train', { limit: o.limit || undefined }), te: loadFashionMnist('test', { limit: o.valLimit || undefined }), heldOutSplit: 't10k' };
  }
  const all = loadFashionMnist('train');
  if (!(Number.isInteger(o.holdout) && o.holdout > 0 && o.holdout < all.n)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--holdout must be a whole number from 1 to ${all.n - 1}, got ${o.holdout}` });
  const cut = all.n - o.holdout;
  const px = all.height * all.width;
  const part = (from: number, n: number): GreyImages => ({ n, height: all.height, width: all.width, pixels: all.pixels.subarray(from * px, (from + n) * px), labels: all.labels.subarray(from, from + n) });
  const ntr = o.limit > 0 ? Math.min(cut, o.limit) : cut;
  const nte = o.valLimit > 0 ? Math.min(o.holdout, o.valLimit) : o.holdout;
  return { tr: part(0, ntr), te: part(cut, nte), heldOutSplit: `train[${cut}:${cut + nte}]` };
}

/**
 * Loads `--data` and encodes its training and held-out images (or audio windows) into the inputs
 * the net reads: the codec's int8 latents, or pixels for the pixel baseline.
 *
 * @example
 * const ds = await buildDatasets({ ...CLASSIFIER_TRAIN_DEFAULTS, data: 'fashion-mnist', log: console.error }, new InputMaker(Codec.load('fmnist-gray-j2')));
 */
export async function buildDatasets(o: DatasetOptions, maker: InputMaker): Promise<Datasets> {
  const channels = maker.codec?.model.config.channels ?? (o.data === 'fashion-mnist' ? 1 : 3);
  const lim = (n: number, l: number) => (l > 0 ? Math.min(n, l) : n);
  const progress = (what: string) => (d: number) => o.progress?.(`${what}: ${d} images`);
  if (o.holdout && o.data !== 'fashion-mnist' && o.data !== 'fashion-mnist-color') throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: '--holdout carves a validation split out of Fashion-MNIST\'s training images; other data has its own held-out set' });
  if (o.data === 'spoken-words') return spokenWordsDatasets(o, maker.codec);
  if (o.data === 'fashion-mnist' || o.data === 'fashion-mnist-color') {
    const { tr, te, heldOutSplit } = fashionSplits(o);
    const labels = [...FASHION_LABELS];
    if (o.data === 'fashion-mnist') {
      if (channels !== 1) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `fashion-mnist is grey; codec ${maker.codec?.model.config.name} codes ${channels} channels (use fashion-mnist-color)` });
      const train = maker.build(tr.n, (i) => greyFrame(tr, i), (i) => tr.labels[i]!, progress('train inputs'));
      const val = maker.build(te.n, (i) => greyFrame(te, i), (i) => te.labels[i]!, progress('test inputs'));
      return { labels, train, val, trainFrame: (i) => greyFrame(tr, i), fixedFrames: true, trainLabel: (i) => tr.labels[i]!, describe: { data: 'fashion-mnist (Debian dataset-fashion-mnist)', train: tr.n, heldOut: te.n, heldOutSplit } };
    }
    if (channels !== 3) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: 'fashion-mnist-color needs an RGB codec' });
    const load = async (dir: string | undefined) => (dir && existsSync(dir) ? loadPhotos(dir, { maxPixels: 1_000_000, minSide: COLOR_SIZE }) : [] as Photo[]);
    const trPhotos = await load(o.photos);
    const tePhotos = await load(o.valPhotos);
    if (!trPhotos.length || !tePhotos.length) {
      // The task is garments on real photos; flat backgrounds would train (and name) another one.
      throw werr('WALLOC_ERR_DATASET', { path: trPhotos.length ? o.valPhotos ?? '--val-photos' : o.photos ?? '--photos', reason: 'no background photos for fashion-mnist-color there; fetch them with scripts/fetch-photos.sh data/photos, or pass --photos DIR --val-photos DIR' });
    }
    const nextTr = rng(o.seed * 7919 + 1);
    const nextTe = rng(424242);
    const train = maker.build(tr.n, (i) => colorFrame(tr, i, trPhotos, nextTr), (i) => tr.labels[i]!, progress('train inputs'));
    const val = maker.build(te.n, (i) => colorFrame(te, i, tePhotos, nextTe), (i) => te.labels[i]!, progress('test inputs'));
    return {
      labels, train, val, trainFrame: (i) => colorFrame(tr, i, trPhotos, nextTr), trainLabel: (i) => tr.labels[i]!,
      describe: { data: `fashion-mnist-color: garments tinted and laid on ${COLOR_SIZE}×${COLOR_SIZE} crops of real photos`, train: tr.n, heldOut: te.n, heldOutSplit, trainPhotos: `${o.photos} (${trPhotos.length})`, heldOutPhotos: `${o.valPhotos} (${tePhotos.length})` },
    };
  }
  if (!o.val) throw werr('WALLOC_ERR_MISSING_ARGUMENT', { what: '--val DIR (held-out class folders)', command: 'walloc train classifier' });
  const tr = await loadClassFolders(o.data, o.size, channels, o.log);
  const te = await loadClassFolders(o.val, o.size, channels, o.log, tr.labels);
  const ntr = lim(tr.frames.length, o.limit);
  const nte = lim(te.frames.length, o.valLimit);
  // Shuffle folder data once so --limit takes every class.
  const order = shuffled(tr.frames.length, rng(o.seed));
  return {
    labels: tr.labels,
    train: maker.build(ntr, (i) => tr.frames[order[i]!]!, (i) => tr.y[order[i]!]!),
    val: maker.build(nte, (i) => te.frames[i]!, (i) => te.y[i]!),
    trainFrame: (i) => tr.frames[order[i]!]!, fixedFrames: true, trainLabel: (i) => tr.y[order[i]!]!,
    describe: { data: o.data, val: o.val, train: ntr, heldOut: nte, size: o.size },
  };
}
