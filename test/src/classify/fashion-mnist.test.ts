/**
 * The Fashion-MNIST reader: IDX files (big-endian dims, gzip, coded errors) and the Debian package's
 * images and labels as frames.
 */
import t from 'tap';
import { gzipSync } from 'node:zlib';
import { colorFrame, FASHION_LABELS, greyFrame, hasFashionMnist, loadFashionMnist, readIdx } from '../../../src/classify/fashion-mnist.js';
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
