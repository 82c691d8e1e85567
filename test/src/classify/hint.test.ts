/**
 * Hint distillation: the teacher's stage maps on real Fashion-MNIST images, the standardised
 * targets and their views, the refusals, and a small trainer run that records the recipe and
 * saves a student without the regressors.
 */
import t from 'tap';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getTf } from '../../../src/models/backend.js';
import { FASHION_LABELS, greyFrame, hasFashionMnist, loadFashionMnist } from '../../../src/classify/fashion-mnist.js';
import { Teacher } from '../../../src/classify/distill.js';
import { Hints, parseHints } from '../../../src/classify/hint.js';
import { ClassifierNet } from '../../../src/classify/nets.js';
import { loadClassifier } from '../../../src/classify/model.js';
import { CLASSIFIER_TRAIN_DEFAULTS, trainClassifier } from '../../../src/classify/trainer.js';

const FMNIST = hasFashionMnist();
const PIXEL = existsSync(join('fixtures', 'models', 'fmnist-pixel-cnn'));
const skip = !FMNIST ? 'Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)' : !PIXEL ? 'fmnist-pixel-cnn is not bundled' : false;
const STUDENT = { arch: 'latent-resnet' as const, inChannels: 8, classes: 10, stages: [{ width: 32, blocks: 0 }, { width: 32, blocks: 1 }], head: 'flatten' as const, inputSize: [7, 7] as [number, number] };

t.test('parseHints: student:teacher pairs, anything else refused', async (t) => {
  t.same(parseHints('0:2'), [{ student: 0, teacher: 2 }]);
  t.same(parseHints('0:2, 1:3'), [{ student: 0, teacher: 2 }, { student: 1, teacher: 3 }]);
  for (const bad of ['', '0', '0:2,', 'a:b', '0:-1', '0:2:3']) t.throws(() => parseHints(bad), { code: 'WALLOC_ERR_INVALID_ARGUMENT' }, JSON.stringify(bad));
});

t.test('stage maps: the pixel CNN\'s maps of real images, the stages the logits are made of', { skip }, async (t) => {
  const { tf } = await getTf();
  const test = loadFashionMnist('test', { limit: 40 });
  const frame = (i: number) => greyFrame(test, i);
  const teacher = Teacher.load(tf, { teacher: 'fmnist-pixel-cnn', weight: 0.7, temperature: 4 }, FASHION_LABELS);
  const both = teacher.stageMaps([2, 3], test.n, frame, false);
  const s2 = both[0]!;
  const s3 = both[1]!;
  t.same([s2.h, s2.w, s2.c], [7, 7, 32], 'stage 2 of 28×28: 7×7×32');
  t.same([s3.h, s3.w, s3.c], [4, 4, 32], 'stage 3: 4×4×32');
  t.equal(s2.data.length, test.n * 7 * 7 * 32);
  t.ok(s2.data.every((v) => v >= 0) && s2.data.some((v) => v > 0), 'after a ReLU: non-negative, not all zero');
  // The same maps as the net's own taps while it computes its logits.
  const net = teacher.members[0]!.net;
  const x = tf.tensor4d(Float32Array.from({ length: 40 * 784 }, (_, k) => test.pixels[k]! / 255 - 0.5), [40, 28, 28, 1]);
  const taps: import('@tensorflow/tfjs').Tensor4D[] = [];
  net.apply(x, false, taps);
  t.equal(taps.length, 4, 'one tap per stage');
  const tap2 = taps[2]!.dataSync();
  let worst = 0;
  for (let i = 0; i < tap2.length; i++) worst = Math.max(worst, Math.abs(tap2[i]! - s2.data[i]!));
  t.ok(worst < 1e-4, `stageMaps([2, 3])[0] = the net's stage 2 output (max |Δ| ${worst})`);
  const alone = teacher.stageMaps([2], test.n, frame, false)[0]!;
  t.same(Array.from(alone.data.subarray(0, 500)), Array.from(s2.data.subarray(0, 500)), 'the same maps asked alone or with another stage');
  const m2 = teacher.stageMaps([2], test.n, frame, true)[0]!;
  let moved = 0;
  for (let i = 0; i < m2.data.length; i++) if (Math.abs(m2.data[i]! - s2.data[i]!) > 1e-3) moved++;
  t.ok(moved > m2.data.length / 10, 'the mirrored view has its own maps');
  t.throws(() => net.stageOutputs(x, 4), RangeError);
  teacher.dispose();
});

t.test('Hints: standardised targets per view, the loss, and maps that do not line up refused', { skip }, async (t) => {
  const { tf } = await getTf();
  const test = loadFashionMnist('test', { limit: 64 });
  const frame = (i: number) => greyFrame(test, i);
  const teacher = Teacher.load(tf, { teacher: 'fmnist-pixel-cnn', weight: 0.7, temperature: 4 }, FASHION_LABELS);
  const student = new ClassifierNet(tf, STUDENT);
  const hints = Hints.build(tf, teacher, student, [7, 7], { pairs: parseHints('0:2,1:3'), weight: 2 }, test.n, frame, true);
  t.equal(hints.perImage, 7 * 7 * 32 + 4 * 4 * 32);
  t.equal(hints.variables.length, 4, 'a weight and a bias per pair');
  t.same(hints.describe(), { pairs: '0:2,1:3', weight: 2 });
  // Every image, both views: each channel of the targets has mean 0 and (unless dead) std 1.
  const all = Array.from({ length: test.n }, (_, k) => k);
  const plain = new Float32Array(test.n * hints.perImage);
  const mirrored = new Float32Array(test.n * hints.perImage);
  hints.fill(all, () => false, plain);
  hints.fill(all, () => true, mirrored);
  const per = test.n * 7 * 7 * 32;
  const s = new Float64Array(32), s2 = new Float64Array(32);
  for (const buf of [plain, mirrored]) for (let i = 0; i < per; i++) { s[i % 32] += buf[i]!; s2[i % 32] += buf[i]! ** 2; }
  const count = 2 * per / 32;
  const means = Array.from(s, (v) => v / count);
  const stds = Array.from(s2, (v, c) => Math.sqrt(v / count - means[c]! ** 2));
  t.ok(means.every((m) => Math.abs(m) < 1e-3), `channel means ≈ 0 (worst ${Math.max(...means.map(Math.abs)).toExponential(1)})`);
  t.ok(stds.filter((d) => Math.abs(d - 1) < 1e-3).length >= 16 && stds.every((d) => d <= 1 + 1e-3), 'live channels std 1, dead ones less');
  t.ok(plain.some((v, i) => Math.abs(v - mirrored[i]!) > 1e-3), 'the views differ');
  // The loss: β · mean squared error; zero when the regressed map is the target itself.
  const b = 8;
  const batch = new Float32Array(b * hints.perImage);
  hints.fill([0, 1, 2, 3, 4, 5, 6, 7], () => false, batch);
  const x = tf.randomNormal([b, 7, 7, 8], 0, 1, 'float32', 3) as import('@tensorflow/tfjs').Tensor4D;
  const taps: import('@tensorflow/tfjs').Tensor4D[] = [];
  student.apply(x, true, taps);
  const l = hints.loss(taps, batch, b).dataSync()[0]!;
  t.ok(Number.isFinite(l) && l > 0, `hint loss of an untrained student: ${l.toFixed(3)}`);
  // Fitting only the regressors lowers it (a least-squares problem with a solution better than 0 weights).
  const opt = tf.train.adam(0.05);
  for (let i = 0; i < 30; i++) opt.minimize(() => hints.loss(taps, batch, b), false, hints.variables);
  const after = hints.loss(taps, batch, b).dataSync()[0]!;
  t.ok(after < l * 0.8, `regressors trained: ${l.toFixed(3)} → ${after.toFixed(3)}`);
  // The student's 7×7 stem cannot learn the teacher's 14×14 stage-1 map; a stage out of range either.
  t.throws(() => Hints.build(tf, teacher, student, [7, 7], { pairs: parseHints('0:1'), weight: 1 }, 4, frame, false), { code: 'WALLOC_ERR_INVALID_ARGUMENT', message: /7×7.*14×14/ });
  t.throws(() => Hints.build(tf, teacher, student, [7, 7], { pairs: parseHints('2:2'), weight: 1 }, 4, frame, false), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  t.throws(() => Hints.build(tf, teacher, student, [7, 7], { pairs: parseHints('0:9'), weight: 1 }, 4, frame, false), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  t.throws(() => Hints.build(tf, teacher, student, [7, 7], { pairs: parseHints('0:2'), weight: 0 }, 4, frame, false), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  hints.dispose();
  student.dispose();
  teacher.dispose();
});

t.test('trainer with --hint: a small real run; the saved student has no regressors', { skip }, async (t) => {
  const out = join(mkdtempSync(join(tmpdir(), 'walloc-hint-')), 'm');
  const lines: string[] = [];
  const base = {
    ...CLASSIFIER_TRAIN_DEFAULTS, data: 'fashion-mnist', codec: 'fmnist-gray-j2', name: 'tiny', limit: 1500, valLimit: 300, batch: 32, lr: 5e-3,
    warmupSteps: 5, epochs: 2, stages: STUDENT.stages, head: 'flatten' as const, augment: { flip: true, shift: 0 },
    distill: { teacher: 'fmnist-pixel-cnn', weight: 0.7, temperature: 4, mirror: true },
  };
  const r = await trainClassifier({ ...base, out, hint: { pairs: parseHints('0:2'), weight: 1 }, log: (l: string) => lines.push(l) });
  t.match(lines.join('\n'), /hints: the teacher's stage maps of 1500 images and their mirrors/);
  t.ok(r.accuracy > 0.3, `held-out accuracy after 2 small epochs: ${r.accuracy}`);
  const m = loadClassifier(out);
  t.match(m.config.training?.hint, { pairs: '0:2', weight: 1 });
  const { tf } = await getTf();
  const plainNet = new ClassifierNet(tf, STUDENT);
  t.same([...m.weights.keys()].sort(), [...plainNet.getWeights().keys()].sort(), 'the same weights as a student trained without hints: no regressor in the model file');
  plainNet.dispose();
  // Refused: hints without a teacher, and with shifted images (the maps are computed once).
  const { distill: _d, ...noTeacher } = base;
  await t.rejects(trainClassifier({ ...noTeacher, out: out + '-a', hint: { pairs: parseHints('0:2'), weight: 1 }, log: () => {} }), { code: 'WALLOC_ERR_INVALID_ARGUMENT', message: /--teacher/ });
  await t.rejects(trainClassifier({ ...base, out: out + '-b', augment: { flip: true, shift: 2 }, hint: { pairs: parseHints('0:2'), weight: 1 }, log: () => {} }), { code: 'WALLOC_ERR_INVALID_ARGUMENT', message: /flipped at most/ });
  t.notOk(existsSync(out + '-a') || existsSync(out + '-b'), 'nothing written for a refused run');
});
