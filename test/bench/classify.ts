/**
 * Compressed-domain classification benchmarks (issue 7), all measured in this run:
 * 1. Fashion-MNIST: the bundled Latent-ResNet on fmnist-gray-j2 latents against the bundled pixel
 *    CNN on the same images — test accuracy (all 10,000 test images), parameters, model size,
 *    training time (recorded in the model), head latency per image (batch 1) and per image in
 *    batches, and throughput from stored data: int8 latents vs uint8 pixels (each converted to the
 *    net's float input and classified), plus latents read from a .wlc (WebP unpack included).
 * 2. The side-information ablation: the fusion-gated Latent-ResNet against the plain one, trained
 *    here with the same recipe over several seeds (WALLOC_BENCH_SEEDS, default 5; budget
 *    WALLOC_BENCH_ABLATION_IMAGES training images, default 20,000, and 3 epochs), mean ± std.
 * 3. The bundled RGB classifier (colour Fashion-MNIST on held-out photo backgrounds, rgb-16x-linear
 *    latents): accuracy, and the full per-frame cost from pixels (wpt + analysis + quantize + head).
 *
 * Needs Debian's dataset-fashion-mnist; without it the module returns a table saying so.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Codec } from '../../src/codec/codec.js';
import { getTf } from '../../src/models/backend.js';
import { packageRoot } from '../../src/paths.js';
import { unpackFrame } from '../../transforms/pack.js';
import { quantizeArray } from '../../transforms/quantize.js';
import { wptForward } from '../../transforms/wpt.js';
import { Classifier, planarToNhwc } from '../../src/classify/classifier.js';
import { colorFrame, FASHION_LABELS, greyFrame, hasFashionMnist, loadFashionMnist, type GreyImages } from '../../src/classify/fashion-mnist.js';
import { listBundledClassifiers, loadClassifier } from '../../src/classify/model.js';
import { ClassifierNet } from '../../src/classify/nets.js';
import { CLASSIFIER_TRAIN_DEFAULTS, InputMaker, evaluate, trainClassifier, type InputSet } from '../../src/classify/trainer.js';
import { decodedFrames } from '../../src/classify/inputs.js';
import { rng } from '../../src/math/random.js';
import { loadPhotos } from '../../src/train/photos.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { timeMedian, type BenchTable } from './table.js';

const models = join(packageRoot(), 'fixtures', 'models');
const sizeKb = (name: string) => (statSync(join(models, name, 'weights.bin')).size + statSync(join(models, name, 'model.json')).size) / 1024;

function meanStd(xs: number[]): string {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const s = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
  return `${(100 * m).toFixed(2)} ± ${(100 * s).toFixed(2)}`;
}

/** ms per image of the head alone: batch 1 (median of single calls) and batched. */
async function headTimes(c: Classifier, set: InputSet): Promise<{ batch1: number; batched: number }> {
  const per = set.h * set.w * set.c;
  let i = 0;
  const one = () => c.probabilities(set.data.subarray((i % set.n) * per, ((i++ % set.n) + 1) * per), 1, set.h, set.w);
  const batch1 = await timeMedian(one, { reps: 200, warmup: 20 });
  const B = Math.min(256, set.n);
  const batched = (await timeMedian(() => c.probabilities(set.data.subarray(0, B * per), B, set.h, set.w), { reps: 7, warmup: 2 })) / B;
  return { batch1, batched };
}

/** Images per second from stored bytes (int8 latents or uint8 pixels) to predicted labels, batches of 256. */
function storedThroughput(c: Classifier, stored: Int8Array | Uint8Array, n: number, shape: [number, number, number], toFloat: (v: number) => number): number {
  const [ch, h, w] = shape;
  const per = ch * h * w;
  const B = 256;
  const nhwc = new Float32Array(B * per);
  const planar = new Float32Array(per);
  const t0 = process.hrtime.bigint();
  let done = 0;
  for (let s = 0; s + B <= n; s += B) {
    for (let b = 0; b < B; b++) {
      const src = stored.subarray((s + b) * per, (s + b + 1) * per);
      for (let k = 0; k < per; k++) planar[k] = toFloat(src[k]!);
      planarToNhwc(planar, ch, h * w, nhwc, b * per);
    }
    c.probabilities(nhwc, B, h, w);
    done += B;
  }
  return done / (Number(process.hrtime.bigint() - t0) / 1e9);
}

/** The codec the bundled latent classifier reads (fmnist-gray-j2 unless it names another). */
function fashionCodecName(latentName: string): string {
  return existsSync(join(models, latentName, 'model.json')) ? loadClassifier(latentName).config.codec?.name ?? 'fmnist-gray-j2' : 'fmnist-gray-j2';
}

/** The test images as pixel-classifier inputs (NHWC in [-0.5, 0.5]), built once for both tables. */
function pixelSet(test: GreyImages): InputSet {
  return new InputMaker().build(test.n, (i) => greyFrame(test, i), (i) => test.labels[i]!);
}

export async function fashionTable(test: GreyImages, pixels: InputSet = pixelSet(test)): Promise<BenchTable> {
  const { tf, backend } = await getTf();
  const latentName = 'fmnist-latent-resnet';
  const codecName = fashionCodecName(latentName);
  const codec = Codec.load(codecName);
  const N = codec.model.config.latentDim;
  const latentMaker = new InputMaker(codec);
  const latents = latentMaker.build(test.n, (i) => greyFrame(test, i), (i) => test.labels[i]!);
  // Stored forms: the int8 latents a .wlc holds, and the uint8 pixels of the dataset.
  const lat8 = new Int8Array(test.n * N * 49);
  for (let i = 0; i < test.n; i++) lat8.set(latentMaker.planar(greyFrame(test, i)).data as Int8Array, i * N * 49);
  const rows: BenchTable['rows'] = [];
  const stats: Record<string, { batched: number }> = {};
  const pairs = [[latentName, latents, `latents ${N}×7×7 int8 (${codecName})`], ['fmnist-pixel-cnn', pixels, 'pixels 1×28×28']] as const;
  // Head times in interleaved rounds (latent, pixel, latent, …), median per net and median of the
  // per-round ratios, so that load from other jobs hits both nets alike.
  const loaded = new Map<string, Classifier>();
  for (const [name] of pairs) if (existsSync(join(models, name, 'model.json'))) loaded.set(name, await Classifier.load(name));
  const rounds: Record<string, Array<{ batch1: number; batched: number }>> = {};
  const ratios: number[] = [];
  for (let r = 0; r < 5 && loaded.size === 2; r++) {
    const here: Record<string, number> = {};
    for (const [name, set] of pairs) {
      const t = await headTimes(loaded.get(name)!, set);
      (rounds[name] ??= []).push(t);
      here[name] = t.batched;
    }
    ratios.push(here['fmnist-pixel-cnn']! / here['fmnist-latent-resnet']!);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  // The like-for-like reference: the pixel CNN distilled from the same teachers as the latent net.
  const reference = 'fmnist-pixel-cnn-distilled';
  if (existsSync(join(models, reference, 'model.json'))) loaded.set(reference, await Classifier.load(reference));
  const accuracies: Record<string, number> = {};
  for (const [name, set, input] of [...pairs, [reference, pixels, 'pixels 1×28×28'] as const]) {
    const c = loaded.get(name);
    if (!c) continue;
    const { accuracy } = evaluate(tf, c.net, set);
    accuracies[name] = accuracy;
    const t = rounds[name] ? { batch1: med(rounds[name].map((x) => x.batch1)), batched: med(rounds[name].map((x) => x.batched)) } : await headTimes(c, set);
    stats[name] = t;
    const thr = name.includes('latent')
      ? storedThroughput(c, lat8, test.n, [N, 7, 7], (v) => v)
      : storedThroughput(c, test.pixels, test.n, [1, 28, 28], (v) => v / 255 - 0.5);
    const tr = c.model.config.training ?? {};
    // Teachers under the names they are bundled as, where the model records them (trained as runs).
    const distill = tr.distill as { teacher?: string; teachers?: string[]; teachersBundledAs?: string[] } | undefined;
    const teachers = (distill?.teachersBundledAs ?? distill?.teachers ?? (distill?.teacher ? [distill.teacher] : [])).map((id) => id.split('@')[0]);
    const recipe = `${String(tr.seconds)} s, ${String(tr.epochs)} epochs${teachers.length === 1 ? `, distilled from ${teachers[0]}` : teachers.length ? `, distilled from an ensemble (${teachers.join(', ')})` : ''}`;
    rows.push([name, input, (100 * accuracy).toFixed(2), c.net.parameterCount, sizeKb(name).toFixed(1), recipe,
      ((tr.multiplyAdds as number) / 1e6).toFixed(2), t.batch1.toFixed(3), (1000 * t.batched).toFixed(1), Math.round(thr)]);
    c.dispose();
  }
  // Latents straight from a .wlc: WebP unpack per frame, then the head, one frame at a time.
  const notes = [
    `Backend ${backend}. Accuracy on all ${test.n} Fashion-MNIST test images (never trained on; the last epoch is kept; the latent net's recipe was chosen on the last 5,000 training images held out, see docs/classify.md).`,
    'Head latency: one image per call (median of 200), and per image in batches of 256. Throughput: from stored bytes (int8 latents / uint8 pixels) to labels, batches of 256.',
  ];
  const lat = accuracies[latentName];
  if (lat !== undefined) {
    // The issue's target: within 2 points of the pixel CNN; also against the one trained the same way.
    const gaps = ['fmnist-pixel-cnn', reference].filter((n) => accuracies[n] !== undefined)
      .map((n) => `${(100 * (accuracies[n]! - lat)).toFixed(2)} points below ${n}${n === reference ? ' (distilled from the same teachers: like for like)' : ''}`);
    if (gaps.length) notes.push(`Accuracy gap of ${latentName}: ${gaps.join('; ')}. Target: within 2 points.`);
  }
  if (ratios.length) {
    notes.push(`Head speed-up of the latent classifier per image in batches of 256: ${med(ratios).toFixed(2)}× (median of ${ratios.length} interleaved rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')}).`);
  }
  if (existsSync(join(models, 'fmnist-latent-resnet', 'model.json'))) {
    const c = await Classifier.load('fmnist-latent-resnet');
    const packed = [];
    for (let i = 0; i < 300; i++) packed.push(await codec.encodeFrame(greyFrame(test, i)));
    const t0 = process.hrtime.bigint();
    for (const f of packed) await c.classifyFrame(await unpackFrame(f));
    const perFrame = Number(process.hrtime.bigint() - t0) / 1e6 / packed.length;
    notes.push(`From a .wlc frame by frame (lossless WebP unpack + head, batch 1): ${perFrame.toFixed(3)} ms per image, ${Math.round(1000 / perFrame)} images/s.`);
    c.dispose();
  }
  return {
    title: 'Fashion-MNIST: Latent-ResNet on compressed latents vs pixel CNN',
    columns: ['classifier', 'input', 'test accuracy %', 'parameters', 'model KB', 'training', 'M mult-adds/image', 'head ms/image (batch 1)', 'head µs/image (batch 256)', 'images/s from stored data'],
    rows,
    notes,
  };
}

export async function ablationTable(): Promise<BenchTable> {
  const seeds = Number(process.env.WALLOC_BENCH_SEEDS ?? 5);
  const images = Number(process.env.WALLOC_BENCH_ABLATION_IMAGES ?? 20000);
  const epochs = Number(process.env.WALLOC_BENCH_ABLATION_EPOCHS ?? 3);
  const { tf } = await getTf();
  const rows: BenchTable['rows'] = [];
  const test = loadFashionMnist('test');
  const codec = Codec.load('fmnist-gray-j2');
  const set = new InputMaker(codec).build(test.n, (i) => greyFrame(test, i), (i) => test.labels[i]!);
  // Encoder cost per image (wpt + analysis + rounding), for the total latency.
  const enc = await timeMedian(() => {
    const l = codec.analysis.encode(wptForward(greyFrame(test, 0), { levels: 2 }));
    quantizeArray(l.data as Float32Array, 8, { saturate: true });
  }, { reps: 200, warmup: 20 });
  for (const arch of ['latent-resnet', 'gated-resnet'] as const) {
    const accs: number[] = [];
    let secs = 0;
    let times = { batch1: 0, batched: 0 };
    let params = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const out = join(mkdtempSync(join(tmpdir(), 'walloc-ablation-')), arch);
      const r = await trainClassifier({ ...CLASSIFIER_TRAIN_DEFAULTS, lr: 3e-3, data: 'fashion-mnist', codec: 'fmnist-gray-j2', arch, out, name: arch, epochs, limit: images, seed, log: () => {} });
      accs.push(r.accuracy);
      secs += r.seconds;
      params = r.parameters;
      if (seed === 1) {
        const c = await Classifier.load(out);
        times = await headTimes(c, set);
        c.dispose();
      }
    }
    rows.push([arch, meanStd(accs), accs.map((a) => (100 * a).toFixed(2)).join(', '), params, (secs / seeds).toFixed(0), times.batch1.toFixed(3), (1000 * times.batched).toFixed(1), (enc + times.batch1).toFixed(3)]);
  }
  void ClassifierNet;
  void tf;
  return {
    title: `Side-information ablation: fusion-gated vs plain Latent-ResNet (${seeds} seeds)`,
    columns: ['variant', 'test accuracy % (mean ± std)', 'per seed', 'parameters', 'training s/run', 'head ms (batch 1)', 'head µs/image (batch 256)', 'total ms/image (encode + head, batch 1)'],
    rows,
    notes: [
      `Each run: ${images} training images, ${epochs} epochs, default stages (32:0, 32:1) with the global-average head, batch 128, Adam 3e-3 with warm-up and cosine decay; tested on all ${test.n} test images. Seeds change the initial weights and the order.`,
      'Gate: f = sigmoid(W_s ∗ s) ⊙ (W_y ∗ y), s = per-position spread of the latents (mean |y| and std across channels). The study found 95.57% (gated) vs 96.32% (plain) on AGAR.',
      `Encode (wpt J=2 + analysis + rounding, TypeScript) ${enc.toFixed(3)} ms per 28×28 image.`,
    ],
  };
}

export async function rgbTable(): Promise<BenchTable | undefined> {
  const all = listBundledClassifiers().filter((c) => c.config.codec?.channels === 3);
  if (!all.length) return undefined;
  const n = Number(process.env.WALLOC_BENCH_RGB_IMAGES ?? 2000);
  const test = loadFashionMnist('test', { limit: n });
  const evalDir = join(packageRoot(), 'data', 'photos', 'eval');
  const photos = existsSync(evalDir) ? await loadPhotos(evalDir, { maxPixels: 1_000_000, minSide: 64 }) : [];
  const next = rng(424242);
  const frames = Array.from({ length: test.n }, (_, i) => colorFrame(test, i, photos, next));
  const rows: BenchTable['rows'] = [];
  const notes: string[] = [];
  for (const c0 of all) {
    const r = await rgbRow(c0, frames, test);
    rows.push(r.row);
    notes.push(`${c0.name} per class: ${r.perClass}.`);
  }
  return {
    title: 'RGB classifiers for `walloc-encode | classify`: colour Fashion-MNIST on real-photo backgrounds',
    columns: ['classifier', 'input', 'held-out accuracy %', 'parameters', 'model KB', 'encode ms/frame', 'head ms (batch 1)', 'head µs/image (batch 256)'],
    rows,
    notes: [`${test.n} test garments on crops of ${photos.length} held-out photos (data/photos/eval).`, ...notes],
  };
}

async function rgbRow(c0: { name: string; dir: string; config: { codec?: { name: string } } }, frames: ReturnType<typeof colorFrame>[], test: GreyImages): Promise<{ row: BenchTable['rows'][number]; perClass: string }> {
  const c = await Classifier.load(c0.dir);
  const { tf } = await getTf();
  const codec = Codec.load(c0.config.codec!.name);
  const set = new InputMaker(codec).build(test.n, (i) => frames[i]!, (i) => test.labels[i]!);
  const { accuracy, confusion } = evaluate(tf, c.net, set);
  const enc = await timeMedian(() => {
    const l = codec.analysis.encode(wptForward(frames[0]!, { levels: 3 }));
    quantizeArray(l.data as Float32Array, 8, { saturate: true });
  }, { reps: 100, warmup: 10 });
  const t = await headTimes(c, set);
  const perClass = FASHION_LABELS.map((l, k) => `${l} ${(100 * confusion[k]![k]! / Math.max(1, confusion[k]!.reduce((a, b) => a + b, 0))).toFixed(0)}%`).join(', ');
  const row: BenchTable['rows'][number] = [c0.name, `12×8×8 latents of 64×64 (${codec.model.config.name})`, (100 * accuracy).toFixed(2), c.net.parameterCount, sizeKb(c0.name).toFixed(1), enc.toFixed(3), t.batch1.toFixed(3), (1000 * t.batched).toFixed(1)];
  c.dispose();
  return { row, perClass };
}

/**
 * What the grey codec keeps for a classifier: the pixel CNNs (trained on originals) read the codec's
 * decoded test images. Their drop is information the latents lack; a latent net that falls further
 * behind than that is short of what it could learn from them.
 */
export async function decodedTable(test: GreyImages, pixels: InputSet = pixelSet(test)): Promise<BenchTable> {
  const { tf } = await getTf();
  const codecName = fashionCodecName('fmnist-latent-resnet');
  const codec = Codec.load(codecName);
  const decodedAt = await decodedFrames(codec, test.n, (i) => greyFrame(test, i));
  const decoded = new InputMaker().build(test.n, decodedAt, (i) => test.labels[i]!);
  let se = 0;
  for (let k = 0; k < pixels.data.length; k++) se += (decoded.data[k]! - pixels.data[k]!) ** 2;
  const psnr = 10 * Math.log10(1 / (se / pixels.data.length));
  const rows: BenchTable['rows'] = [];
  for (const name of ['fmnist-pixel-cnn', 'fmnist-pixel-cnn-distilled']) {
    if (!existsSync(join(models, name, 'model.json'))) continue;
    const c = await Classifier.load(name);
    const orig = evaluate(tf, c.net, pixels).accuracy;
    const dec = evaluate(tf, c.net, decoded).accuracy;
    rows.push([name, codecName, `${codec.model.config.latentDim}×7×7`, psnr.toFixed(2), (100 * orig).toFixed(2), (100 * dec).toFixed(2), (100 * (orig - dec)).toFixed(2)]);
    c.dispose();
  }
  return {
    title: `Fashion-MNIST: pixel CNNs on ${codecName}'s decoded test images (what the latents keep)`,
    columns: ['classifier', 'codec', 'latents', 'decoded PSNR dB', 'accuracy on originals %', 'accuracy on decoded %', 'drop (points)'],
    rows,
    notes: ['Decoded = the codec\'s own decoder (PCA transpose) on its int8 latents, clamped; the classifiers never trained on decoded images.'],
  };
}

export async function bench(): Promise<BenchTable[]> {
  if (!hasFashionMnist()) {
    return [{ title: 'Fashion-MNIST classification', columns: ['status'], rows: [['skipped: Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)']] }];
  }
  const test = loadFashionMnist('test');
  const pixels = pixelSet(test);
  const out: BenchTable[] = [await fashionTable(test, pixels), await decodedTable(test, pixels)];
  const rgb = await rgbTable();
  if (rgb) out.push(rgb);
  if (process.env.WALLOC_BENCH_SEEDS !== '0') out.push(await ablationTable());
  return out;
}
