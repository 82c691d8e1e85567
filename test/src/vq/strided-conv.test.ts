import t from 'tap';
import type * as tfTypes from '@tensorflow/tfjs';
import { getTf } from '../../../src/models/backend.js';
import { conv4x4s2, convTranspose4x4s2 } from '../../../src/vq/strided-conv.js';

type T4 = tfTypes.Tensor4D;
type GradFn = (...a: tfTypes.Tensor[]) => tfTypes.Tensor;

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

// The reference is always tf.conv2d / tf.conv2dTranspose with their built-in gradients on the cpu
// backend (the wasm backend cannot compute the built-in filter gradient at all).
for (const backend of ['cpu', 'wasm'] as const) {
  t.test(`strided 4×4 convolutions and their gradients equal tfjs's (${backend})`, async (t) => {
    const { tf } = await getTf({ backend });
    for (const [h, w, ci, co] of [[8, 6, 3, 5], [28, 28, 1, 4], [14, 10, 4, 2]] as const) {
      const x = tf.randomNormal([2, h, w, ci], 0, 1, 'float32', 1) as T4;
      const k = tf.randomNormal([4, 4, ci, co], 0, 1, 'float32', 2) as T4;
      const dy = tf.randomNormal([2, h / 2, w / 2, co], 0, 1, 'float32', 3);
      const z = tf.randomNormal([2, h / 2, w / 2, ci], 0, 1, 'float32', 4) as T4;
      const dyT = tf.randomNormal([2, h, w, co], 0, 1, 'float32', 5);
      const y = conv4x4s2(tf, x, k).dataSync() as Float32Array;
      const g = tf.grads(((a: T4, b: T4) => tf.sum(tf.mul(conv4x4s2(tf, a, b), dy))) as GradFn)([x, k]).map((v) => v.dataSync() as Float32Array);
      const yT = convTranspose4x4s2(tf, z, k).dataSync() as Float32Array;
      const gT = tf.grads(((a: T4, b: T4) => tf.sum(tf.mul(convTranspose4x4s2(tf, a, b), dyT))) as GradFn)([z, k]).map((v) => v.dataSync() as Float32Array);
      const raw = [x, k, dy, z, dyT].map((v) => ({ data: v.dataSync() as Float32Array, shape: v.shape }));

      await getTf({ backend: 'cpu' });
      const [xr, kr, dyr, zr, dyTr] = raw.map((r) => tf.tensor4d(r.data, r.shape as [number, number, number, number])) as [T4, T4, T4, T4, T4];
      const ref = tf.conv2d(xr, kr, 2, 1 as unknown as 'same').dataSync();
      const refG = tf.grads(((a: T4, b: T4) => tf.sum(tf.mul(tf.conv2d(a, b, 2, 1 as unknown as 'same'), dyr))) as GradFn)([xr, kr]).map((v) => v.dataSync());
      const convT = (a: T4, b: T4) => tf.conv2dTranspose(a, tf.transpose(b, [0, 1, 3, 2]) as T4, [2, h, w, co], 2, 1 as unknown as 'same');
      const refT = convT(zr, kr).dataSync();
      const refGT = tf.grads(((a: T4, b: T4) => tf.sum(tf.mul(convT(a, b), dyTr))) as GradFn)([zr, kr]).map((v) => v.dataSync());
      const tag = `${h}×${w} ${ci}→${co}`;
      t.ok(maxAbs(y, ref) < 1e-4, `conv value ${tag}`);
      t.ok(maxAbs(g[0]!, refG[0]!) < 1e-3, `conv dx ${tag}`);
      t.ok(maxAbs(g[1]!, refG[1]!) < 1e-3, `conv dw ${tag}`);
      t.ok(maxAbs(yT, refT) < 1e-4, `transposed value ${tag}`);
      t.ok(maxAbs(gT[0]!, refGT[0]!) < 1e-3, `transposed dx ${tag}`);
      t.ok(maxAbs(gT[1]!, refGT[1]!) < 1e-3, `transposed dw ${tag}`);
      await getTf({ backend });
    }
  });
}
