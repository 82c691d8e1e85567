/**
 * Classifier model files: round trip, checksum, and the check that a stream's codec is the one the
 * classifier was trained on.
 */
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getTf } from '../../../src/models/backend.js';
import { loadModel } from '../../../src/models/model-file.js';
import { ClassifierNet, defaultStages } from '../../../src/classify/nets.js';
import { acceptsHeader, checkClassifierHeader, codecRef, encoderSha256, loadClassifier, saveClassifier } from '../../../src/classify/model.js';

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

t.test('a stream no bundled classifier reads: WALLOC_ERR_CLASSIFIER_NONE says which codecs they read and how to train one', async (t) => {
  const { classifierForHeader } = await import('../../../src/classify/model.js');
  t.throws(() => classifierForHeader({ model: 'stereo-20x', modelSha256: 'b'.repeat(64), modality: 'audio' }), {
    code: 'WALLOC_ERR_CLASSIFIER_NONE',
    message: /^no bundled classifier reads the latents of stereo-20x@bbbbbbbbbbbb; the bundled ones read .*stereo-5x.*; train one with `walloc train classifier --codec stereo-20x …` and pass it with --model DIR$/,
  });
  t.throws(() => classifierForHeader({ model: 'volume-mri', modelSha256: 'c'.repeat(64), modality: 'volume' }), {
    code: 'WALLOC_ERR_CLASSIFIER_NONE', message: /no classifier reads volume latents/,
  }, 'no training advice the trainer cannot follow');
});
