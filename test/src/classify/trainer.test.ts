/**
 * The trainer end to end on a slice of Fashion-MNIST with the bundled grey codec: checkpoints,
 * resume, and --expand's factors beside the checkpoint.
 */
import t from 'tap';
import { copyFileSync, mkdirSync, mkdtempSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getTf } from '../../../src/models/backend.js';
import { hasFashionMnist } from '../../../src/classify/fashion-mnist.js';
import { ClassifierNet } from '../../../src/classify/nets.js';
import { loadClassifier } from '../../../src/classify/model.js';
import { CLASSIFIER_TRAIN_DEFAULTS, trainClassifier } from '../../../src/classify/trainer.js';

const FMNIST = hasFashionMnist();
const NO_FMNIST = 'Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)';

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
  // Resuming it as another classifier is refused before the data is prepared (it used to train the
  // latent net on pixels and save it as a latent classifier).
  const n = lines.length;
  await t.rejects(trainClassifier({ ...o, codec: undefined, arch: 'pixel-cnn', epochs: 3, resume: true }), { code: 'WALLOC_ERR_INVALID_ARGUMENT', message: /checkpoint .* was trained with --arch latent-resnet, --codec fmnist-gray-j2/ });
  await t.rejects(trainClassifier({ ...o, data: 'fashion-mnist-color', epochs: 3, resume: true }), { message: /--data fashion-mnist\b/ });
  t.equal(lines.length, n, 'nothing prepared');
  await t.rejects(trainClassifier({ ...o, stages: [{ width: 16, blocks: 1 }], epochs: 3, resume: true }), { code: 'WALLOC_ERR_INVALID_ARGUMENT', message: /is a latent-resnet with stages .*, these options make a latent-resnet with stages 16:1/ });
  t.equal(loadClassifier(out).config.training?.epochs, 2, 'the checkpoint is untouched');
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

t.test('trainer with --decompand: the classifier reads the projection values, and classify applies the same map', { skip: FMNIST ? (existsSync(join('fixtures', 'models', 'fmnist-gray-j2')) ? false : 'fmnist-gray-j2 is not bundled') : NO_FMNIST }, async (t) => {
  const out = join(mkdtempSync(join(tmpdir(), 'walloc-cls-decompand-')), 'm');
  const o = { ...CLASSIFIER_TRAIN_DEFAULTS, data: 'fashion-mnist', codec: 'fmnist-gray-j2', out, name: 'tiny', limit: 1500, valLimit: 300, batch: 32, lr: 5e-3, warmupSteps: 5, decompand: true, log: () => {} };
  const r = await trainClassifier({ ...o, epochs: 1 });
  t.ok(r.accuracy > 0.3, `held-out accuracy after one small epoch: ${r.accuracy}`);
  const m = loadClassifier(out);
  const { Codec } = await import('../../../src/codec/codec.js');
  const codec = Codec.load('fmnist-gray-j2');
  t.same(m.config.decompand, { bits: 8, scale: Array.from(codec.model.weights.get('encoder.scale')!) }, 'the map is recorded: classify needs no codec');
  // classify's input path equals the trainer's: the inverse companding of the stream's int8 latents.
  const { Classifier } = await import('../../../src/classify/classifier.js');
  const { InputMaker } = await import('../../../src/classify/inputs.js');
  const { loadFashionMnist, greyFrame } = await import('../../../src/classify/fashion-mnist.js');
  const test = loadFashionMnist('test', { limit: 1 });
  const img = greyFrame(test, 0);
  const c = await Classifier.load(out);
  const viaClassifier = await c.inputOf(codec.latents(img));
  const viaTrainer = new InputMaker(codec, { decompand: true }).build(1, () => img, () => 0);
  t.same(viaClassifier.data, viaTrainer.data);
  const raw = new InputMaker(codec).build(1, () => img, () => 0);
  t.notSame(raw.data, viaTrainer.data, 'and it is not the companded integers');
  c.dispose();
  await t.rejects(trainClassifier({ ...o, decompand: false, epochs: 2, resume: true }), { message: /--decompand/ });
});

t.test('class folders: held-out classes must match, a broken image is skipped and named', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'walloc-cls-folders-'));
  const photo = (name: string) => join('fixtures', 'images', name);
  for (const split of ['train', 'val']) {
    for (const [cls, src] of [['cat', 'chelsea_128x96.png'], ['cup', 'coffee_255x171.jpg']] as const) {
      mkdirSync(join(root, split, cls), { recursive: true });
      copyFileSync(photo(src), join(root, split, cls, `a${src.slice(-4)}`));
    }
  }
  copyFileSync(photo('truncated.png'), join(root, 'train', 'cat', 'broken.png'));
  const lines: string[] = [];
  const o = { ...CLASSIFIER_TRAIN_DEFAULTS, data: join(root, 'train'), val: join(root, 'val'), arch: 'pixel-cnn' as const, size: 16, epochs: 1, batch: 2, name: 'x', out: join(root, 'm'), log: (l: string) => lines.push(l) };
  const r = await trainClassifier(o);
  t.equal(r.model.config.labels.join(','), 'cat,cup');
  t.match(lines.join('\n'), /skipping .*broken\.png: /, 'the broken image is named');
  mkdirSync(join(root, 'val2', 'cat'), { recursive: true });
  mkdirSync(join(root, 'val2', 'dog'), { recursive: true });
  copyFileSync(photo('chelsea_128x96.png'), join(root, 'val2', 'cat', 'a.png'));
  await t.rejects(trainClassifier({ ...o, val: join(root, 'val2'), out: join(root, 'm2') }), { code: 'WALLOC_ERR_DATASET', message: /class folders do not match the training data's; missing: cup; not in the training data: dog/ });
});

t.test('fashion-mnist-color without its background photos is refused, not trained on flat colours', { skip: FMNIST ? false : NO_FMNIST }, async (t) => {
  const out = join(mkdtempSync(join(tmpdir(), 'walloc-cls-color-')), 'm');
  await t.rejects(trainClassifier({ ...CLASSIFIER_TRAIN_DEFAULTS, data: 'fashion-mnist-color', codec: 'rgb-16x-linear', photos: '/nonexistent', valPhotos: '/nonexistent', limit: 10, valLimit: 10, out, name: 'x', log: () => {} }), { code: 'WALLOC_ERR_DATASET', message: /no background photos/ });
});
