/**
 * The trainer end to end on a slice of Fashion-MNIST with the bundled grey codec: checkpoints,
 * resume, and --expand's factors beside the checkpoint.
 */
import t from 'tap';
import { mkdtempSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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
