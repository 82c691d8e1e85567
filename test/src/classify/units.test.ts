/**
 * Classifier building blocks on small real data: the IDX reader, the nets (shapes, training really
 * lowers the loss), the classifier model file and the codec check, and the trainer end to end on a
 * slice of Fashion-MNIST with the bundled grey codec.
 */
import t from 'tap';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getTf } from '../../../src/models/backend.js';
import { loadModel } from '../../../src/models/model-file.js';
import { colorFrame, FASHION_LABELS, greyFrame, hasFashionMnist, loadFashionMnist, readIdx } from '../../../src/classify/fashion-mnist.js';
import { ClassifierNet, defaultStages, multiplyAdds } from '../../../src/classify/nets.js';
import { acceptsHeader, checkClassifierHeader, codecRef, encoderSha256, loadClassifier, saveClassifier } from '../../../src/classify/model.js';
import { predictionOf } from '../../../src/classify/classifier.js';
import { CLASSIFIER_TRAIN_DEFAULTS, trainClassifier } from '../../../src/classify/trainer.js';
import { rng } from '../../../src/math/random.js';

const FMNIST = hasFashionMnist();
const NO_FMNIST = 'Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)';

function idx(dims: number[], data: number[]): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}

t.test('IDX reader: big-endian dims, gzip, and coded errors for bad files', async (t) => {
  const raw = idx([2, 3], [1, 2, 3, 4, 5, 6]);
  for (const b of [raw, gzipSync(raw)]) {
    const { dims, data } = readIdx(b);
    t.same(dims, [2, 3]);
    t.same([...data], [1, 2, 3, 4, 5, 6]);
  }
  const bad = (b: Buffer, re: RegExp) => t.throws(() => readIdx(b), { code: 'WALLOC_ERR_DATASET', message: re });
  bad(Buffer.from('hello world'), /bad magic/);
  bad(idx([4], [1, 2]), /truncated/);
  bad(Buffer.from([0x1f, 0x8b, 1, 2, 3]), /bad gzip/);
  const f32 = idx([1], [0, 0, 0, 0]);
  f32[2] = 0x0d;
  bad(f32, /not unsigned bytes/);
});

t.test('Fashion-MNIST from the Debian package: shapes, labels, frames', { skip: FMNIST ? false : NO_FMNIST }, async (t) => {
  const test = loadFashionMnist('test', { limit: 50 });
  t.equal(test.n, 50);
  t.same([test.height, test.width], [28, 28]);
  t.ok([...test.labels].every((l) => l < 10));
  t.equal(FASHION_LABELS[test.labels[0]!], 'ankle boot', 'the first test image is the well-known ankle boot');
  const f = greyFrame(test, 0);
  t.same(f.shape, [1, 28, 28]);
  t.ok(Math.min(...f.data) >= -0.5 && Math.max(...f.data) <= 0.5);
  const c = colorFrame(test, 0, [], rng(1));
  t.same(c.shape, [3, 64, 64]);
  t.ok(Math.min(...c.data) >= -0.5 && Math.max(...c.data) <= 0.5);
});

t.test('nets: output shapes, any input size, and a few steps lower the loss', async (t) => {
  const { tf } = await getTf();
  for (const arch of ['latent-resnet', 'gated-resnet', 'pixel-cnn'] as const) {
    const cfg = { arch, inChannels: 4, classes: 3, stages: defaultStages(arch) };
    const net = new ClassifierNet(tf, cfg);
    for (const [h, w] of [[7, 7], [8, 12]]) {
      const y = net.apply(tf.zeros([2, h, w, 4]) as never);
      t.same(y.shape, [2, 3], `${arch} ${h}×${w}`);
      y.dispose();
    }
    t.ok(multiplyAdds(cfg, 7, 7) > 0);
    // Learnable task: class = sign pattern of channel means.
    const x = tf.randomNormal([24, 7, 7, 4], 0, 1, 'float32', 3);
    const labels = tf.tidy(() => tf.argMax(tf.mean(x, [1, 2]).slice([0, 0], [24, 3]), 1));
    const opt = tf.train.adam(1e-2);
    const loss = () => tf.losses.softmaxCrossEntropy(tf.oneHot(labels as never, 3), net.apply(x as never, true)) as never;
    const l0 = (tf.tidy(loss) as unknown as { dataSync(): Float32Array }).dataSync()[0]!;
    for (let i = 0; i < 15; i++) opt.minimize(loss, false, [...net.vars.values()]);
    const l1 = (tf.tidy(loss) as unknown as { dataSync(): Float32Array }).dataSync()[0]!;
    t.ok(l1 < l0 * 0.8, `${arch}: loss ${l0.toFixed(3)} → ${l1.toFixed(3)}`);
    net.dispose();
    x.dispose();
    labels.dispose();
  }
});

t.test('flatten head: fixed input size, layout-aware dense layer', async (t) => {
  const { tf } = await getTf();
  const net = new ClassifierNet(tf, { arch: 'latent-resnet', inChannels: 8, classes: 10, stages: defaultStages('latent-resnet'), head: 'flatten', inputSize: [7, 7] });
  t.same(net.vars.get('head.weight')!.shape, [4 * 4 * 32, 10], '7×7 → 4×4 after one pooling stage');
  const y = net.apply(tf.zeros([3, 7, 7, 8]) as never);
  t.same(y.shape, [3, 10]);
  y.dispose();
  t.throws(() => net.apply(tf.zeros([1, 12, 12, 8]) as never), 'another input size does not fit the dense layer');
  net.dispose();
});

t.test('hidden dense layer: shapes, parameters, multiply-adds, and the weights round trip', async (t) => {
  const { tf } = await getTf();
  const base = { arch: 'latent-resnet' as const, inChannels: 8, classes: 10, stages: defaultStages('latent-resnet'), head: 'flatten' as const, inputSize: [7, 7] as [number, number] };
  const plain = new ClassifierNet(tf, base);
  const net = new ClassifierNet(tf, { ...base, hidden: 64 });
  t.same(net.vars.get('hidden.weight')!.shape, [512, 64]);
  t.same(net.vars.get('head.weight')!.shape, [64, 10]);
  t.equal(net.parameterCount - plain.parameterCount, 512 * 64 + 64 + 64 * 10 + 10 - (512 * 10 + 10));
  t.equal(multiplyAdds({ ...base, hidden: 64 }, 7, 7) - multiplyAdds(base, 7, 7), 512 * 64 + 64 * 10 - 512 * 10);
  const x = tf.randomNormal([2, 7, 7, 8], 0, 1, 'float32', 5);
  const y = net.apply(x as never);
  t.same(y.shape, [2, 10]);
  const again = ClassifierNet.fromConfig(tf, net.getConfig(), net.getWeights());
  t.equal(again.getConfig().hidden, 64);
  const y2 = again.apply(x as never);
  t.same(Array.from(y2.dataSync()), Array.from(y.dataSync()), 'same logits after getConfig/getWeights → fromConfig');
  for (const z of [x, y, y2]) z.dispose();
  for (const n of [plain, net, again]) n.dispose();
});

t.test('classifier files: round trip, checksum, and the codec check', async (t) => {
  const { tf } = await getTf();
  const codec = loadModel('rgb-16x-linear');
  const cfg = { arch: 'latent-resnet' as const, inChannels: 12, classes: 2, stages: defaultStages('latent-resnet') };
  const net = new ClassifierNet(tf, cfg);
  const dir = join(mkdtempSync(join(tmpdir(), 'walloc-cls-')), 'c');
  const saved = saveClassifier(dir, { name: 'c', description: 'test', input: 'latent', codec: codecRef(codec), labels: ['a', 'b'], net: net.getConfig() }, net.getWeights());
  const back = loadClassifier(dir);
  t.equal(back.sha256, saved.sha256);
  t.same(back.config.net, cfg);
  const w0 = net.getWeights().get('stage0.conv.weight')!.data;
  t.same([...back.weights.get('stage0.conv.weight')!.data], [...w0]);
  net.dispose();

  const c = back.config;
  t.equal(acceptsHeader(c, { model: 'rgb-16x-linear', modelSha256: codec.sha256 }), 'sha');
  // Same encoder, different codec checksum (a retrained decoder): accepted through the encoder fingerprint.
  const twin = { ...codec, sha256: 'f'.repeat(64) };
  t.equal(acceptsHeader(c, { model: 'twin', modelSha256: twin.sha256 }, () => twin), 'encoder');
  // Different encoder: refused.
  const other = { ...codec, sha256: 'e'.repeat(64), weights: new Map(codec.weights) };
  other.weights.set('encoder.bias', codec.weights.get('encoder.bias')!.map((v) => v + 1));
  t.not(encoderSha256(other), encoderSha256(codec));
  t.equal(acceptsHeader(c, { model: 'other', modelSha256: other.sha256 }, () => other), false);
  t.throws(() => checkClassifierHeader(c, { model: 'nope', modelSha256: 'a'.repeat(64) }), { code: 'WALLOC_ERR_CLASSIFIER_CODEC' });
  t.throws(() => loadClassifier('rgb-16x-linear'), /codec, not a classifier/);
});

t.test('predictions: top K best first, threshold', async (t) => {
  const p = predictionOf([0.1, 0.6, 0.3], ['a', 'b', 'c'], 2);
  t.same(p, { label: 'b', score: 0.6, top: [['b', 0.6], ['c', 0.3]] });
  const q = predictionOf([0.1, 0.45, 0.45 - 1e-6], ['a', 'b', 'c'], 3, 0.5);
  t.equal(q.label, null);
  t.same(q.top.length, 1, 'below the threshold only the best class stays');
});

t.test('trainer: a small real run on Fashion-MNIST latents of the bundled grey codec, with resume', { skip: FMNIST ? (existsSync(join('fixtures', 'models', 'fmnist-gray-j2')) ? false : 'fmnist-gray-j2 is not bundled') : NO_FMNIST }, async (t) => {
  const out = join(mkdtempSync(join(tmpdir(), 'walloc-cls-train-')), 'm');
  const lines: string[] = [];
  const o = { ...CLASSIFIER_TRAIN_DEFAULTS, data: 'fashion-mnist', codec: 'fmnist-gray-j2', out, name: 'tiny', limit: 2000, valLimit: 300, batch: 32, lr: 5e-3, warmupSteps: 5, log: (l: string) => lines.push(l) };
  const r1 = await trainClassifier({ ...o, epochs: 1 });
  t.equal(r1.inputShape.join(','), '8,7,7', 'latents of 28×28 at J=2 with 8 channels');
  const r2 = await trainClassifier({ ...o, epochs: 2, resume: true });
  t.match(lines.join('\n'), /resuming .* after epoch 1/);
  t.ok(r2.accuracy > 0.3, `held-out accuracy (chance: 0.1) after 2 small epochs: ${r2.accuracy}`);
  const m = loadClassifier(out);
  t.equal(m.config.training?.epochs, 2);
  t.equal(m.config.codec?.name, 'fmnist-gray-j2');
});

t.test('trainer with --expand: saves the plain net, keeps the factors beside the checkpoint, resumes from them', { skip: FMNIST ? (existsSync(join('fixtures', 'models', 'fmnist-gray-j2')) ? false : 'fmnist-gray-j2 is not bundled') : NO_FMNIST }, async (t) => {
  const out = join(mkdtempSync(join(tmpdir(), 'walloc-cls-expand-')), 'm');
  const lines: string[] = [];
  const o = { ...CLASSIFIER_TRAIN_DEFAULTS, data: 'fashion-mnist', codec: 'fmnist-gray-j2', out, name: 'tiny', limit: 1500, valLimit: 300, batch: 32, lr: 5e-3, warmupSteps: 5, expand: 2, log: (l: string) => lines.push(l) };
  const r1 = await trainClassifier({ ...o, epochs: 1 });
  const m1 = loadClassifier(out);
  const plain = new ClassifierNet((await getTf()).tf, m1.config.net);
  t.same([...m1.weights.keys()].sort(), [...plain.getWeights().keys()].sort(), 'the model file holds the plain kernels only');
  t.equal(r1.parameters, plain.parameterCount, 'parameters of the saved net');
  plain.dispose();
  const state = JSON.parse(readFileSync(join(out, 'train-state.json'), 'utf8')) as { expand: number; factors: Array<{ name: string; shape: number[] }> };
  t.equal(state.expand, 2);
  t.ok(state.factors.some((f) => f.name === 'stage0.conv.weight.b'), 'factor index in the state');
  const floats = state.factors.reduce((a, f) => a + f.shape.reduce((x, y) => x * y, 1), 0);
  t.equal(statSync(join(out, 'train-state.factors.bin')).size, 4 * floats, 'factors file holds them all');
  // Resuming without repeating --expand keeps training the factors.
  const r2 = await trainClassifier({ ...o, expand: 0, epochs: 2, resume: true });
  t.match(lines.join('\n'), /resuming .* after epoch 1/);
  t.ok(r2.accuracy > 0.3, `held-out accuracy after 2 small epochs: ${r2.accuracy}`);
  t.equal(loadClassifier(out).config.training?.expand, 2, 'the rate recorded after resuming');
  // A damaged factors file is a coded error, not a silent restart.
  writeFileSync(join(out, 'train-state.factors.bin'), Buffer.alloc(16));
  await t.rejects(trainClassifier({ ...o, epochs: 3, resume: true }), { code: 'WALLOC_ERR_INVALID_ARGUMENT', message: /factors/ });
});
