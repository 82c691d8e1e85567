import t from 'tap';
import { getTf } from '../../../src/models/backend.js';
import { ResidualDecoder } from '../../../src/nn/decoder.js';

t.test('an untrained decoder is exactly its linear part (the residual output starts at zero)', async (t) => {
  const { tf } = await getTf({ backend: 'wasm' });
  const cfg = { latentDim: 3, outChannels: 8, width: 8, blocks: 2, kernel: 3, dims: 2 as const };
  const dec = new ResidualDecoder(tf, cfg);
  const L = new Float32Array(3 * 8).map((_, i) => Math.sin(i));
  const b = new Float32Array(8).map((_, i) => i / 10);
  dec.setWeights(new Map([['decoder.linear.weight', { shape: [1, 1, 3, 8], data: L }], ['decoder.linear.bias', { shape: [8], data: b }]]));
  const y = tf.randomNormal([1, 4, 5, 3], 0, 1, 'float32', 7) as import('@tensorflow/tfjs').Tensor4D;
  const out = dec.apply(y).dataSync();
  const ys = y.dataSync();
  let err = 0;
  for (let p = 0; p < 20; p++) for (let o = 0; o < 8; o++) {
    let s = b[o]!;
    for (let i = 0; i < 3; i++) s += ys[p * 3 + i]! * L[i * 8 + o]!;
    err = Math.max(err, Math.abs(s - out[p * 8 + o]!));
  }
  t.ok(err < 1e-4, `max error ${err}`);
  t.same(dec.apply(y, true).shape, [1, 4, 5, 8], 'training path has the same shape');
  dec.dispose();
});

t.test('config and weights round-trip (getConfig/fromConfig)', async (t) => {
  const { tf } = await getTf({ backend: 'wasm' });
  const cfg = { latentDim: 4, outChannels: 6, width: 5, blocks: 1, kernel: 3, dims: 2 as const };
  const a = new ResidualDecoder(tf, cfg);
  // Make the residual path non-trivial so the round trip is tested on more than zeros.
  const w = a.getWeights();
  const perturbed = new Map([...w].map(([k, v]) => [k, { shape: v.shape, data: v.data.map((x, i) => x + 0.01 * Math.cos(i + k.length)) }]));
  a.setWeights(perturbed);
  const b = ResidualDecoder.fromConfig(tf, a.getConfig(), a.getWeights());
  t.same(b.getConfig(), cfg);
  t.equal(a.parameterCount, b.parameterCount);
  const y = tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 3) as import('@tensorflow/tfjs').Tensor4D;
  t.same(Array.from(a.apply(y).dataSync()), Array.from(b.apply(y).dataSync()));
  t.ok(Math.abs(a.apply(y).sum().dataSync()[0]! - a.apply(y, true).sum().dataSync()[0]!) < 1e-2, 'fused inference path agrees with the training path');
});

t.test('one training step reduces the loss', async (t) => {
  const { tf } = await getTf({ backend: 'wasm' });
  const dec = new ResidualDecoder(tf, { latentDim: 2, outChannels: 4, width: 8, blocks: 1, kernel: 3, dims: 2 });
  const y = tf.randomNormal([4, 6, 6, 2], 0, 1, 'float32', 11) as import('@tensorflow/tfjs').Tensor4D;
  const target = tf.tanh(tf.conv2d(y, tf.randomNormal([3, 3, 2, 4], 0, 1, 'float32', 12) as import('@tensorflow/tfjs').Tensor4D, 1, 'same'));
  const opt = tf.train.adam(1e-2);
  const lossFn = () => tf.mean(tf.square(tf.sub(dec.apply(y, true), target))) as import('@tensorflow/tfjs').Scalar;
  const first = lossFn().dataSync()[0]!;
  for (let i = 0; i < 20; i++) opt.minimize(lossFn, false, [...dec.vars.values()]);
  const last = lossFn().dataSync()[0]!;
  t.ok(last < first * 0.8, `loss ${first} → ${last}`);
});
