/**
 * Linear expansion: the collapsed kernel is exactly the three factors applied one after another,
 * starts with a plain kernel's variance, trains, and a net trained expanded saves as the plain net.
 */
import t from 'tap';
import type * as tfTypes from '@tensorflow/tfjs';
import { getTf } from '../../../src/models/backend.js';
import { collapseKernel, expandKernel } from '../../../src/nn/linear-expansion.js';
import { ClassifierNet } from '../../../src/classify/nets.js';

t.test('collapsed kernel = 1×1, then k×k, then 1×1 convolutions (same padding), exactly', async (t) => {
  const { tf } = await getTf();
  for (const [kh, kw, cin, cout, rate] of [[3, 3, 8, 32, 4], [1, 3, 5, 6, 2], [3, 3, 32, 32, 1.5]] as const) {
    const f = expandKernel(tf, [kh, kw, cin, cout], rate, 'he', 11);
    const m = Math.round(rate * cout);
    t.same([f.a.shape, f.b.shape, f.c.shape], [[cin, m], [kh, kw, m, m], [m, cout]], `factor shapes at rate ${rate}`);
    const x = tf.randomNormal([2, 7, 6, cin], 0, 1, 'float32', 5) as tfTypes.Tensor4D;
    const seq = tf.tidy(() => {
      const one = (w: tfTypes.Tensor, ci: number, co: number) => tf.reshape(w, [1, 1, ci, co]) as tfTypes.Tensor4D;
      const h = tf.conv2d(x, one(f.a, cin, m), 1, 'same');
      return tf.conv2d(tf.conv2d(h, f.b as tfTypes.Tensor4D, 1, 'same'), one(f.c, m, cout), 1, 'same');
    });
    const w = collapseKernel(tf, f);
    t.same(w.shape, [kh, kw, cin, cout]);
    const direct = tf.conv2d(x, w, 1, 'same');
    const d = tf.max(tf.abs(tf.sub(seq, direct))).dataSync()[0]!;
    const scale = tf.max(tf.abs(seq)).dataSync()[0]!;
    t.ok(d < 1e-4 * scale, `[${kh}, ${kw}, ${cin}, ${cout}]: max |Δ| ${d.toExponential(2)} of ${scale.toFixed(2)}`);
    for (const v of [f.a, f.b, f.c, x, seq, w, direct]) v.dispose();
  }
});

t.test('the collapsed kernel starts with the variance of a plain He kernel', async (t) => {
  const { tf } = await getTf();
  const f = expandKernel(tf, [3, 3, 32, 32], 4, 'he', 3);
  const w = collapseKernel(tf, f);
  const sd = Math.sqrt(tf.moments(w).variance.dataSync()[0]!);
  const he = Math.sqrt(2 / (9 * 32));
  t.ok(Math.abs(sd / he - 1) < 0.15, `std ${sd.toFixed(4)} vs He ${he.toFixed(4)}`);
});

t.test('a net trained expanded: the factors train, and it saves as the plain net with the same outputs', async (t) => {
  const { tf } = await getTf();
  const cfg = { arch: 'latent-resnet' as const, inChannels: 4, classes: 3, stages: [{ width: 8, blocks: 0 }, { width: 8, blocks: 1 }], head: 'flatten' as const, inputSize: [6, 6] as [number, number] };
  const plain = new ClassifierNet(tf, cfg);
  const net = new ClassifierNet(tf, cfg, undefined, 1, 3);
  t.ok([...net.vars.keys()].includes('stage1.block0.conv2.weight.b'), 'factors among the variables');
  t.notOk(net.vars.has('stage0.conv.weight'), 'no plain kernel while expanded');
  t.equal(net.parameterCount, plain.parameterCount, 'counted as the saved (collapsed) net');
  const x = tf.randomNormal([16, 6, 6, 4], 0, 1, 'float32', 9) as tfTypes.Tensor4D;
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 3), 'int32'), 3) as tfTypes.Tensor2D;
  const opt = tf.train.adam(0.01);
  const lossOf = () => tf.losses.softmaxCrossEntropy(y, net.apply(x, true)) as tfTypes.Scalar;
  const before = tf.tidy(() => lossOf().dataSync()[0]!);
  for (let i = 0; i < 40; i++) tf.tidy(() => { opt.minimize(lossOf, false, [...net.vars.values()]); });
  const after = tf.tidy(() => lossOf().dataSync()[0]!);
  t.ok(after < before * 0.7, `loss ${before.toFixed(3)} → ${after.toFixed(3)}`);
  const saved = net.getWeights();
  t.same([...saved.keys()].sort(), [...plain.getWeights().keys()].sort(), 'the saved weights have the plain names');
  t.same(saved.get('stage0.conv.weight')!.shape, [3, 3, 4, 8]);
  const again = ClassifierNet.fromConfig(tf, net.getConfig(), saved);
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(net.apply(x), again.apply(x)))).dataSync()[0]!);
  t.ok(d < 1e-4, `reloaded plain net gives the same logits (max |Δ| ${d.toExponential(2)})`);
  for (const n of [plain, net, again]) n.dispose();
});
