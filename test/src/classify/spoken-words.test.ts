/**
 * The spoken-words task: real espeak-ng speech, disjoint speakers, windows encoded exactly as a
 * stream carries them, and a 1-D net that reads them.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Classifier, planarToNhwc } from '../../../src/classify/classifier.js';
import { Codec } from '../../../src/codec/codec.js';
import { checkVoice, hasEspeak, mixWindow, speak, speakAll, SPEAKERS, SPOKEN_LABELS, WINDOW_COLUMNS, windowLatents, windowPlan } from '../../../src/classify/spoken-words.js';
import { ClassifierNet, finalSize, multiplyAdds } from '../../../src/classify/nets.js';
import { getTf } from '../../../src/models/backend.js';
import { rng } from '../../../src/math/random.js';

const ESPEAK = hasEspeak() ? false : 'espeak-ng is not installed (apt-get install espeak-ng)';

t.test('training and held-out speakers share neither accent nor voice variant', async (t) => {
  const a = SPEAKERS.train;
  const b = SPEAKERS.heldOut;
  t.same(a.accents.filter((x) => (b.accents as readonly string[]).includes(x)), []);
  t.same(a.variants.filter((x) => (b.variants as readonly string[]).includes(x)), []);
  t.equal(SPOKEN_LABELS.length, 11);
  t.equal(SPOKEN_LABELS[10], 'background');
});

t.test('espeak-ng speaks a word: 44.1 kHz samples, trimmed, different per voice', { skip: ESPEAK }, async (t) => {
  const a = speak('left', 'en-us+f2', 150, 50);
  const b = speak('left', 'en-029+m6', 150, 50);
  t.ok(a.length > 0.15 * 44100 && a.length < 1.2 * 44100, `a word lasts a fraction of a second (${a.length} samples)`);
  t.ok(Math.abs(a[0]!) >= 0.002, 'leading silence trimmed');
  t.not(a.length, b.length, 'another speaker says it differently');
  // espeak-ng would fall back to its default voice without a word; walloc refuses the name.
  t.throws(() => speak('left', 'no-such-voice-xyz', 150, 50), { code: 'WALLOC_ERR_DATASET' });
  t.throws(() => speak('left', 'en-us+nobody', 150, 50), { code: 'WALLOC_ERR_DATASET' });
  for (const a of [...SPEAKERS.train.accents, ...SPEAKERS.heldOut.accents]) for (const v of [...SPEAKERS.train.variants, ...SPEAKERS.heldOut.variants]) checkVoice(`${a}+${v}`);
  t.pass('every listed speaker exists');
});

t.test('windows: stereo-5x int8 latents [108, 172]; a word carries more energy than its background', { skip: ESPEAK }, async (t) => {
  const codec = Codec.load('stereo-5x');
  const utts = speakAll({ split: 'heldOut', maxSpeakers: 1, speeds: [160], pitches: [50] });
  t.equal(utts.length, 10, 'ten words for one speaker');
  const plan = windowPlan(utts, 2, 1);
  t.equal(plan.length, 22);
  t.equal(plan.filter((u) => u === undefined).length, 2, 'one background window per round');
  const next = rng(1);
  let word = 0;
  let bg = 0;
  for (const u of plan) {
    const { data, shape } = windowLatents(codec, mixWindow(u, [], next));
    t.same(shape, [108, WINDOW_COLUMNS]);
    t.ok(data instanceof Int8Array);
    let e = 0;
    for (const v of data) e += Math.abs(v);
    if (u) word += e / 20;
    else bg += e / 2;
  }
  t.ok(word > 1.2 * bg, `speech windows (${word.toFixed(0)}) carry more than background ones (${bg.toFixed(0)})`);
});

t.test('1-D nets: [1, W, C] input, 1×3 kernels, pooling along time only; config round trip', async (t) => {
  const { tf } = await getTf({ backend: 'cpu' });
  const cfg = { arch: 'latent-resnet' as const, inChannels: 6, classes: 3, stages: [{ width: 8, blocks: 0 }, { width: 8, blocks: 1 }], dims: 1 as const };
  const net = new ClassifierNet(tf, cfg, undefined, 3);
  t.same(net.vars.get('stage0.conv.weight')!.shape, [1, 3, 6, 8]);
  t.same(finalSize(cfg, 1, 40), [1, 20]);
  t.equal(multiplyAdds(cfg, 1, 40), 40 * 3 * 6 * 8 + 3 * 20 * 3 * 8 * 8 + 8 * 3);
  const x = tf.randomNormal([4, 1, 40, 6], 0, 1, 'float32', 1) as import('@tensorflow/tfjs').Tensor4D;
  const y = net.apply(x);
  t.same(y.shape, [4, 3]);
  const again = ClassifierNet.fromConfig(tf, net.getConfig(), net.getWeights());
  t.same(again.getConfig(), net.getConfig());
  const d = tf.sub(again.apply(x), y).abs().max().dataSync()[0]!;
  t.ok(d < 1e-5, 'same weights, same outputs');
  // A few steps learn a rule that depends on time order (the sign of the first column's channel 0).
  const labels = tf.tensor1d(Array.from(x.slice([0, 0, 0, 0], [4, 1, 1, 1]).dataSync(), (v) => (v > 0 ? 1 : 0)), 'int32');
  const opt = tf.train.adam(0.01);
  const loss = () => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 3), net.apply(x, true)) as import('@tensorflow/tfjs').Scalar;
  const l0 = loss().dataSync()[0]!;
  for (let i = 0; i < 30; i++) opt.minimize(loss, false, [...net.vars.values()]);
  t.ok(loss().dataSync()[0]! < l0 / 2, 'training lowers the loss');
  net.dispose();
  again.dispose();
});

t.test('the bundled words-stereo-5x recognises held-out speakers well above chance', { skip: ESPEAK || (existsSync(join('fixtures', 'models', 'words-stereo-5x', 'model.json')) ? false : 'words-stereo-5x is not bundled') }, async (t) => {
  const codec = Codec.load('stereo-5x');
  const c = await Classifier.load('words-stereo-5x', { backend: 'cpu' });
  t.same(c.model.config.window, { columns: WINDOW_COLUMNS, hop: WINDOW_COLUMNS / 2 });
  // Held-out voices (accent and variant never heard in training), quiet-noise backgrounds.
  const utts = speakAll({ split: 'heldOut', maxSpeakers: 3, speeds: [160], pitches: [50] });
  const plan = windowPlan(utts, 3, 5);
  const next = rng(11);
  let right = 0;
  for (const u of plan) {
    const { data } = windowLatents(codec, mixWindow(u, [], next));
    const probs = c.probabilities(planarToNhwc(data, 108, WINDOW_COLUMNS), 1, 1, WINDOW_COLUMNS);
    const best = probs.indexOf(Math.max(...probs));
    if (best === (u ? u.label : SPOKEN_LABELS.length - 1)) right++;
  }
  // Chance is 1/11 (3 of 33); the bench measures ~60% on 1,100 windows over real recordings.
  t.ok(right >= 12, `${right} of ${plan.length} windows right`);
  c.dispose();
});
