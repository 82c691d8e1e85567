/**
 * Convolutions whose gradients are themselves forward convolutions. The wasm backend has no
 * Conv2DBackpropFilter kernel and the cpu backend's takes ~38 s for one 64×64 layer, so training
 * would be impossible on either; written this way a batch-16 step takes about 2 s on wasm
 * (deps.md 6b). The results equal the built-in gradients to float precision (tested).
 *
 * Layout: NHWC activations, [k, k, Cin, Cout] filters, stride 1, 'same' padding, odd kernel sizes.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { TfModule } from '../models/backend.js';

type Tensor4D = tfTypes.Tensor4D;

/** Cache of one customGrad function per (tf module, kernel size): creating them is not free. */
const cache = new WeakMap<TfModule, Map<string, (x: Tensor4D, w: Tensor4D) => Tensor4D>>();

/**
 * Returns `conv(x, w)` ('same', stride 1) with trainable-friendly gradients.
 *
 * @example
 * const conv = convSame(tf, 3);
 * const y = conv(x, w); // x [B,H,W,Ci], w [3,3,Ci,Co] → y [B,H,W,Co]
 * const conv1d = convSame(tf, 1, 7); // 1-D signals as [B,1,L,C] with a [1,7,Ci,Co] filter
 */
export function convSame(tf: TfModule, kh: number, kw: number = kh): (x: Tensor4D, w: Tensor4D) => Tensor4D {
  let byK = cache.get(tf);
  if (!byK) cache.set(tf, (byK = new Map()));
  const key = `${kh}x${kw}`;
  const hit = byK.get(key);
  if (hit) return hit;
  if (kh % 2 !== 1 || kw % 2 !== 1) throw new Error(`convSame needs odd kernel sizes, got ${key}`);
  const ph = (kh - 1) / 2;
  const pw = (kw - 1) / 2;
  const f = tf.customGrad(((...args: unknown[]) => {
    const [x, w, save] = args as [Tensor4D, Tensor4D, (ts: tfTypes.Tensor[]) => void];
    save([x, w]);
    return {
      value: tf.conv2d(x, w, 1, 'same'),
      gradFunc: (dy: Tensor4D, saved: tfTypes.Tensor[]) => {
        const [xs, ws] = saved as [Tensor4D, Tensor4D];
        // dx: correlate dy with the spatially flipped, in/out-swapped filter.
        const dx = tf.conv2d(dy, tf.transpose(tf.reverse(ws, [0, 1]), [0, 1, 3, 2]) as Tensor4D, 1, 'same');
        let dw: Tensor4D;
        if (kh === 1 && kw === 1) {
          // A 1×1 filter's gradient is a plain matrix product xᵀ·dy over all positions.
          const ci = xs.shape[3];
          const co = dy.shape[3];
          dw = tf.reshape(tf.matMul(tf.reshape(xs, [-1, ci]), tf.reshape(dy, [-1, co]), true, false), [1, 1, ci, co]);
        } else {
          // dw[i,j,ci,co] = Σ_b,h,w x[b,h+i-p,w+j-p,ci]·dy[b,h,w,co]: a 'valid' convolution of the
          // padded input (batch moved to channels) with dy used as the filter.
          const xT = tf.pad(tf.transpose(xs, [3, 1, 2, 0]), [[0, 0], [ph, ph], [pw, pw], [0, 0]]) as Tensor4D;
          const dyT = tf.transpose(dy, [1, 2, 0, 3]) as Tensor4D;
          dw = tf.transpose(tf.conv2d(xT, dyT, 1, 'valid'), [1, 2, 0, 3]) as Tensor4D;
        }
        return [dx, dw];
      },
    };
  }) as Parameters<TfModule['customGrad']>[0]) as unknown as (x: Tensor4D, w: Tensor4D) => Tensor4D;
  byK.set(key, f);
  return f;
}
