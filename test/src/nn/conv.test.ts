import t from 'tap';
import { getTf } from '../../../src/models/backend.js';
import { convSame } from '../../../src/nn/conv.js';

const maxAbs = (a: Float32Array | Int32Array | Uint8Array, b: Float32Array | Int32Array | Uint8Array) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

for (const backend of ['cpu', 'wasm'] as const) {
  t.test(`custom conv gradients equal the built-in ones (${backend})`, async (t) => {
    const { tf } = await getTf({ backend });
    // The wasm backend cannot compute the built-in filter gradient (the reason this module exists),
    // so the reference always comes from the cpu backend's kernels on the same numbers.
    for (const [kh, kw, ci, co] of [[3, 3, 4, 5], [1, 1, 6, 3], [1, 5, 3, 2], [5, 5, 2, 3]] as const) {
      const x = tf.randomNormal([2, 7, 9, ci], 0, 1, 'float32', 1) as import('@tensorflow/tfjs').Tensor4D;
      const w = tf.randomNormal([kh, kw, ci, co], 0, 1, 'float32', 2) as import('@tensorflow/tfjs').Tensor4D;
      const dyv = tf.randomNormal([2, 7, 9, co], 0, 1, 'float32', 3);
      const f = convSame(tf, kh, kw);
      const loss = (a: import('@tensorflow/tfjs').Tensor4D, b: import('@tensorflow/tfjs').Tensor4D) => tf.sum(tf.mul(f(a, b), dyv));
      const [dx, dw] = tf.grads(loss as (...a: import('@tensorflow/tfjs').Tensor[]) => import('@tensorflow/tfjs').Tensor)([x, w]);
      const value = f(x, w).dataSync() as Float32Array;
      const xs = x.dataSync() as Float32Array, ws = w.dataSync() as Float32Array, dys = dyv.dataSync() as Float32Array;
      const dxs = dx!.dataSync() as Float32Array, dws = dw!.dataSync() as Float32Array;
      await getTf({ backend: 'cpu' });
      const xr = tf.tensor4d(xs, x.shape), wr = tf.tensor4d(ws, w.shape), dyr = tf.tensor(dys, dyv.shape);
      const ref = tf.grads(((a: import('@tensorflow/tfjs').Tensor4D, b: import('@tensorflow/tfjs').Tensor4D) => tf.sum(tf.mul(tf.conv2d(a, b, 1, 'same'), dyr))) as (...a: import('@tensorflow/tfjs').Tensor[]) => import('@tensorflow/tfjs').Tensor)([xr, wr]);
      t.ok(maxAbs(value, tf.conv2d(xr, wr, 1, 'same').dataSync() as Float32Array) < 1e-4, `value ${kh}x${kw}`);
      t.ok(maxAbs(dxs, ref[0]!.dataSync() as Float32Array) < 1e-3, `dx ${kh}x${kw}`);
      t.ok(maxAbs(dws, ref[1]!.dataSync() as Float32Array) < 1e-3, `dw ${kh}x${kw}`);
      await getTf({ backend });
    }
  });
}
