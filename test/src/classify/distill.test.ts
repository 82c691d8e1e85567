/**
 * Knowledge distillation: the teacher's soft targets on real Fashion-MNIST images, the loss, the
 * checks on a teacher that does not fit, and a small trainer run that records the recipe.
 */
import t from 'tap';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getTf } from '../../../src/models/backend.js';
import { FASHION_LABELS, greyFrame, hasFashionMnist, loadFashionMnist } from '../../../src/classify/fashion-mnist.js';
import { Teacher } from '../../../src/classify/distill.js';
import { augmentImage } from '../../../src/classify/augment.js';
import { loadClassifier } from '../../../src/classify/model.js';
import { CLASSIFIER_TRAIN_DEFAULTS, trainClassifier } from '../../../src/classify/trainer.js';

const FMNIST = hasFashionMnist();
const PIXEL = existsSync(join('fixtures', 'models', 'fmnist-pixel-cnn'));
const skip = !FMNIST ? 'Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)' : !PIXEL ? 'fmnist-pixel-cnn is not bundled' : false;

t.test('soft targets: probabilities of the pixel CNN, softer at a higher temperature, same argmax', { skip }, async (t) => {
  const { tf } = await getTf();
  const test = loadFashionMnist('test', { limit: 200 });
  const sharp = Teacher.load(tf, { teacher: 'fmnist-pixel-cnn', weight: 0.5, temperature: 1 }, FASHION_LABELS);
  const soft = Teacher.load(tf, { teacher: 'fmnist-pixel-cnn', weight: 0.5, temperature: 8 }, FASHION_LABELS);
  const p1 = sharp.targets(test.n, (i) => greyFrame(test, i));
  const p8 = soft.targets(test.n, (i) => greyFrame(test, i));
  t.equal(p1.length, test.n * 10);
  let right = 0, sameArgmax = 0, h1 = 0, h8 = 0;
  const argmax = (p: Float32Array, i: number) => { let b = 0; for (let k = 1; k < 10; k++) if (p[i * 10 + k]! > p[i * 10 + b]!) b = k; return b; };
  for (let i = 0; i < test.n; i++) {
    let s1 = 0, s8 = 0;
    for (let k = 0; k < 10; k++) {
      const a = p1[i * 10 + k]!, b = p8[i * 10 + k]!;
      s1 += a; s8 += b;
      if (a > 0) h1 -= a * Math.log(a);
      if (b > 0) h8 -= b * Math.log(b);
    }
    t.ok(Math.abs(s1 - 1) < 1e-4 && Math.abs(s8 - 1) < 1e-4, `image ${i}: rows sum to 1`);
    if (argmax(p1, i) === test.labels[i]) right++;
    if (argmax(p1, i) === argmax(p8, i)) sameArgmax++;
  }
  t.ok(right / test.n > 0.8, `teacher accuracy on 200 test images: ${right / test.n}`);
  t.equal(sameArgmax, test.n, 'temperature does not change the ranking');
  t.ok(h8 > 2 * h1, `entropy at T=8 (${(h8 / test.n).toFixed(3)}) well above T=1 (${(h1 / test.n).toFixed(3)})`);
  sharp.dispose();
  soft.dispose();
});

t.test('mirrored soft targets: the average over an image and its mirror, so a mirrored image gets the same targets', { skip }, async (t) => {
  const { tf } = await getTf();
  const test = loadFashionMnist('test', { limit: 50 });
  const plain = Teacher.load(tf, { teacher: 'fmnist-pixel-cnn', weight: 0.5, temperature: 4 }, FASHION_LABELS);
  const mirror = Teacher.load(tf, { teacher: 'fmnist-pixel-cnn', weight: 0.5, temperature: 4, mirror: true }, FASHION_LABELS);
  const flipped = (i: number) => augmentImage(greyFrame(test, i), { flip: true, shift: 0 }, () => 0);
  const a = plain.targets(test.n, (i) => greyFrame(test, i));
  const b = plain.targets(test.n, flipped).slice();
  const m = mirror.targets(test.n, (i) => greyFrame(test, i));
  const mf = mirror.targets(test.n, flipped);
  let worstAvg = 0, worstSym = 0, differs = 0;
  for (let i = 0; i < m.length; i++) {
    worstAvg = Math.max(worstAvg, Math.abs(m[i]! - (a[i]! + b[i]!) / 2));
    worstSym = Math.max(worstSym, Math.abs(m[i]! - mf[i]!));
    if (Math.abs(a[i]! - b[i]!) > 1e-3) differs++;
  }
  t.ok(differs > 0, 'the teacher does see a mirrored image differently');
  t.ok(worstAvg < 1e-6, `mean of the two: max |Δ| ${worstAvg}`);
  t.ok(worstSym < 1e-6, `same targets for the mirrored image: max |Δ| ${worstSym}`);
  t.equal(mirror.describe().mirror, true);
  // Which augmentations leave the targets the same every epoch (the trainer then computes them once).
  t.equal(mirror.steadyUnder({ flip: true, shift: 0 }), true, 'flips with a mirrored teacher');
  t.equal(plain.steadyUnder({ flip: true, shift: 0 }), false, 'flips with a plain teacher');
  t.equal(mirror.steadyUnder({ flip: true, shift: 2 }), false, 'shifts');
  t.equal(plain.steadyUnder({ flip: false, shift: 0 }), true, 'no augmentation');
  plain.dispose();
  mirror.dispose();
});

t.test('the loss: α = 0 is plain cross entropy; one-hot soft targets at T = 1 give it too', { skip }, async (t) => {
  const { tf } = await getTf();
  const logits = tf.tensor2d([[2, -1, 0.5], [0, 0, 3]]);
  const oneHot = tf.tensor2d([[1, 0, 0], [0, 1, 0]]);
  const ce = tf.losses.softmaxCrossEntropy(oneHot, logits).dataSync()[0]!;
  // A Teacher's loss only depends on its options; build one around the bundled net and use its loss.
  const teacher = Teacher.load(tf, { teacher: 'fmnist-pixel-cnn', weight: 0, temperature: 4 }, FASHION_LABELS);
  t.ok(Math.abs(teacher.loss(logits, oneHot, tf.tensor2d([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])).dataSync()[0]! - ce) < 1e-6);
  const one = Teacher.load(tf, { teacher: 'fmnist-pixel-cnn', weight: 1, temperature: 1 }, FASHION_LABELS);
  t.ok(Math.abs(one.loss(logits, tf.tensor2d([[0, 1, 0], [0, 0, 1]]), oneHot).dataSync()[0]! - ce) < 1e-6);
  teacher.dispose();
  one.dispose();
});

t.test('a teacher that does not fit is refused with coded errors', { skip }, async (t) => {
  const { tf } = await getTf();
  t.throws(() => Teacher.load(tf, { teacher: 'fmnist-pixel-cnn', weight: 0.5, temperature: 4 }, ['cat', 'dog']), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  t.throws(() => Teacher.load(tf, { teacher: 'words-stereo-5x', weight: 0.5, temperature: 4 }, FASHION_LABELS), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  t.throws(() => Teacher.load(tf, { teacher: 'fmnist-pixel-cnn', weight: 1.5, temperature: 4 }, FASHION_LABELS), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  t.throws(() => Teacher.load(tf, { teacher: 'no-such-model', weight: 0.5, temperature: 4 }, FASHION_LABELS), { code: /^WALLOC_ERR_MODEL/ });
});

t.test('trainer with --teacher: a small real run that records the recipe in the model', { skip }, async (t) => {
  const out = join(mkdtempSync(join(tmpdir(), 'walloc-distill-')), 'm');
  const lines: string[] = [];
  const r = await trainClassifier({
    ...CLASSIFIER_TRAIN_DEFAULTS, data: 'fashion-mnist', codec: 'fmnist-gray-j2', out, name: 'tiny', limit: 2000, valLimit: 300, batch: 32, lr: 5e-3,
    warmupSteps: 5, epochs: 2, augment: { flip: true, shift: 0 }, distill: { teacher: 'fmnist-pixel-cnn', weight: 0.7, temperature: 4 }, log: (l: string) => lines.push(l),
  });
  t.match(lines.join('\n'), /distilling from fmnist-pixel-cnn@/);
  t.ok(r.accuracy > 0.3, `held-out accuracy after 2 small epochs: ${r.accuracy}`);
  const m = loadClassifier(out);
  t.match(m.config.training?.distill, { teacher: /^fmnist-pixel-cnn@/, weight: 0.7, temperature: 4 });
  t.equal(m.config.input, 'latent', 'the student still reads latents');
});

t.test('an ensemble teacher: the mean of its members\' soft targets, pixel and latent members alike', { skip }, async (t) => {
  const { tf } = await getTf();
  const test = loadFashionMnist('test', { limit: 60 });
  const frame = (i: number) => greyFrame(test, i);
  const opts = { weight: 0.5, temperature: 4, mirror: true };
  const pixel = Teacher.load(tf, { ...opts, teacher: 'fmnist-pixel-cnn' }, FASHION_LABELS);
  const latent = Teacher.load(tf, { ...opts, teacher: 'fmnist-latent-resnet' }, FASHION_LABELS);
  const both = Teacher.load(tf, { ...opts, teacher: ['fmnist-pixel-cnn', 'fmnist-latent-resnet'] }, FASHION_LABELS);
  const a = pixel.targets(test.n, frame);
  const b = latent.targets(test.n, frame);
  const m = both.targets(test.n, frame);
  let worst = 0, apart = 0;
  for (let i = 0; i < m.length; i++) {
    worst = Math.max(worst, Math.abs(m[i]! - (a[i]! + b[i]!) / 2));
    apart = Math.max(apart, Math.abs(a[i]! - b[i]!));
  }
  t.ok(apart > 1e-3, `the two members disagree somewhere (max |Δ| ${apart.toFixed(4)})`);
  t.ok(worst < 1e-6, `ensemble = mean of members: max |Δ| ${worst}`);
  // A second call reuses the kept inputs and gives the same targets.
  const again = both.targets(test.n, frame);
  t.same(Array.from(again), Array.from(m));
  t.match(both.describe(), { teachers: [/^fmnist-pixel-cnn@/, /^fmnist-latent-resnet@/], mirror: true });
  t.notOk('teacher' in both.describe(), 'an ensemble records its members, not one teacher');
  t.match(both.id, /^fmnist-pixel-cnn@\w+ \+ fmnist-latent-resnet@\w+$/);
  t.throws(() => Teacher.load(tf, { ...opts, teacher: [] }, FASHION_LABELS), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  t.throws(() => Teacher.load(tf, { ...opts, teacher: ['fmnist-pixel-cnn', ''] }, FASHION_LABELS), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  t.throws(() => Teacher.load(tf, { ...opts, teacher: ['fmnist-pixel-cnn', 'words-stereo-5x'] }, FASHION_LABELS), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  for (const x of [pixel, latent, both]) x.dispose();
});

t.test('--holdout: a validation split carved from the training images; flips with a mirrored teacher label once', { skip }, async (t) => {
  const out = join(mkdtempSync(join(tmpdir(), 'walloc-holdout-')), 'm');
  const lines: string[] = [];
  const r = await trainClassifier({
    ...CLASSIFIER_TRAIN_DEFAULTS, data: 'fashion-mnist', codec: 'fmnist-gray-j2', out, name: 'tiny', limit: 1500, holdout: 400, batch: 32, lr: 5e-3,
    warmupSteps: 5, epochs: 2, augment: { flip: true, shift: 0 }, distill: { teacher: ['fmnist-pixel-cnn', 'fmnist-pixel-cnn'], weight: 0.7, temperature: 4, mirror: true }, log: (l: string) => lines.push(l),
  });
  const log = lines.join('\n');
  t.match(log, /1500 training and 400 held-out inputs/);
  t.match(log, /soft targets of 1500 images computed once/);
  t.ok(r.accuracy > 0.3, `validation accuracy after 2 small epochs: ${r.accuracy}`);
  const m = loadClassifier(out);
  t.match(m.config.training, { heldOutSplit: 'train[59600:60000]', train: 1500, heldOut: 400 });
  // The validation images are the last training images: the set really is those.
  const all = loadFashionMnist('train');
  const tail = new Map<number, number>();
  for (let i = 59600; i < 60000; i++) tail.set(all.labels[i]!, (tail.get(all.labels[i]!) ?? 0) + 1);
  t.equal(tail.size, 10, 'all ten classes are in the validation split');
  await t.rejects(trainClassifier({ ...CLASSIFIER_TRAIN_DEFAULTS, data: 'fashion-mnist', arch: 'pixel-cnn', out: out + '-x', name: 'x', holdout: 60000, log: () => {} }), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  t.notOk(existsSync(out + '-x'), 'nothing written for a refused --holdout');
});

t.test('--holdout is refused for data with its own held-out set', async (t) => {
  const out = join(mkdtempSync(join(tmpdir(), 'walloc-holdout-')), 'm');
  await t.rejects(trainClassifier({ ...CLASSIFIER_TRAIN_DEFAULTS, data: 'fixtures/images', val: 'fixtures/images', arch: 'pixel-cnn', out, name: 'x', holdout: 10, log: () => {} }), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
});

t.test('--teacher-view decoded: the teacher labels what the codec keeps; refused where it cannot apply', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-view-'));
  const base = {
    ...CLASSIFIER_TRAIN_DEFAULTS, data: 'fashion-mnist', codec: 'fmnist-gray-j2', name: 'tiny', limit: 1000, holdout: 300, batch: 32, lr: 5e-3,
    warmupSteps: 5, epochs: 1, augment: { flip: true, shift: 0 },
  };
  const teach = { teacher: 'fmnist-pixel-cnn', weight: 1, temperature: 1, mirror: true };
  // α = 1, T = 1 and one step of learning rate 0: the loss of the untrained student is the cross
  // entropy against the teacher's targets, which differ between the views.
  const losses: number[] = [];
  for (const view of ['original', 'decoded'] as const) {
    const lines: string[] = [];
    await trainClassifier({ ...base, out: join(dir, view), lr: 1e-9, limit: 200, distill: { ...teach, view }, log: (l: string) => lines.push(l) });
    losses.push(Number(/loss ([\d.]+)/.exec(lines.find((l) => l.startsWith('epoch 1/1'))!)![1]));
  }
  t.not(losses[0], losses[1], `the student meets other targets (loss ${losses[0]} vs ${losses[1]})`);
  t.match(loadClassifier(join(dir, 'decoded')).config.training?.distill, { view: 'decoded' });
  t.notOk('view' in (loadClassifier(join(dir, 'original')).config.training?.distill as object), 'the default view is not recorded');
  await t.rejects(trainClassifier({ ...base, codec: undefined, arch: 'pixel-cnn', out: join(dir, 'px'), distill: { ...teach, view: 'decoded' }, log: () => {} }), { code: 'WALLOC_ERR_INVALID_ARGUMENT', message: /--teacher-view decoded/ });
  await t.rejects(trainClassifier({ ...base, out: join(dir, 'shift'), augment: { flip: true, shift: 2 }, distill: { ...teach, view: 'decoded' }, log: () => {} }), { code: 'WALLOC_ERR_INVALID_ARGUMENT', message: /--teacher-view decoded/ });
  t.notOk(existsSync(join(dir, 'px')) || existsSync(join(dir, 'shift')), 'nothing written for a refused run');
});
