/**
 * The classifier nets: output shapes, heads, multiply-adds, weights round trip, and a few training
 * steps that really lower the loss.
 */
import t from 'tap';
import { getTf } from '../../../src/models/backend.js';
import { ClassifierNet, defaultStages, multiplyAdds } from '../../../src/classify/nets.js';

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
