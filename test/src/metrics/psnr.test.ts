import t from 'tap';
import { mse, psnr, psnrFromMse, meanPsnr, frameToPlanar8, type PixelImage } from '../../../src/metrics/index.js';
import { makeFrame } from '../../../src/frame.js';
import { isWallocError } from '../../../src/errors.js';

const img = (data: number[], width: number, height: number, channels = 3, layout?: 'planar'): PixelImage =>
  ({ data: Uint8Array.from(data), width, height, channels, ...(layout ? { layout } : {}) });

t.test('MSE is over all pixels and channels on the 0–255 scale', (tt) => {
  const a = img([0, 0, 0, 10, 10, 10], 2, 1);
  const b = img([3, 0, 0, 10, 10, 16], 2, 1);
  tt.equal(mse(a, b), (9 + 36) / 6);
  tt.equal(psnr(a, b), 10 * Math.log10(255 ** 2 / 7.5));
  tt.end();
});

t.test('identical images: MSE 0, PSNR Infinity; meanPsnr caps them', (tt) => {
  const a = img([1, 2, 3, 4, 5, 6], 1, 2);
  tt.equal(mse(a, a), 0);
  tt.equal(psnr(a, a), Infinity);
  tt.same(meanPsnr([30, 32, Infinity]), { mean: (30 + 32 + 100) / 3, capped: 1 });
  tt.same(meanPsnr([30, 32]), { mean: 31, capped: 0 });
  tt.ok(Number.isNaN(meanPsnr([]).mean));
  tt.end();
});

t.test('psnrFromMse: 8-bit and [0,1] peaks agree on the same image', (tt) => {
  const m255 = 65.025;
  tt.ok(Math.abs(psnrFromMse(m255) - 30) < 1e-12);
  tt.ok(Math.abs(psnrFromMse(m255 / 255 ** 2, 1) - 30) < 1e-12);
  tt.throws(() => psnrFromMse(-1), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.throws(() => psnrFromMse(NaN), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.end();
});

t.test('interleaved and planar layouts give the same result; alpha is ignored', (tt) => {
  // 2×1 RGB: pixels (1,2,3) (4,5,6) vs (1,2,9) (0,5,6)
  const ai = img([1, 2, 3, 4, 5, 6], 2, 1), bi = img([1, 2, 9, 0, 5, 6], 2, 1);
  const ap = img([1, 4, 2, 5, 3, 6], 2, 1, 3, 'planar'), bp = img([1, 0, 2, 5, 9, 6], 2, 1, 3, 'planar');
  tt.equal(mse(ai, bi), (36 + 16) / 6);
  tt.equal(mse(ap, bp), mse(ai, bi));
  const aa = img([1, 2, 3, 255, 4, 5, 6, 0], 2, 1, 4), ba = img([1, 2, 9, 0, 0, 5, 6, 255], 2, 1, 4);
  tt.equal(mse(aa, ba), mse(ai, bi));
  const g1 = img([10, 20], 2, 1, 1), g2 = img([10, 24], 2, 1, 1);
  tt.equal(mse(g1, g2), 8);
  tt.end();
});

t.test('float frames are rounded to 8 bits (half to even) unless round: false', (tt) => {
  // (v + 0.5)·255 = 10.4 → 10, 11.6 → 12, 300 → 255 (clamped), NaN → 0, as the PNG writer does.
  const v = (x: number): number => x / 255 - 0.5;
  const f = makeFrame('image', [1, 1, 4], Float32Array.of(v(10.4), v(11.6), v(300), NaN));
  tt.same([...frameToPlanar8(f)], [10, 12, 255, 0]);
  const g = makeFrame('image', [1, 1, 4], Float32Array.of(v(10), v(12), v(255), v(0)));
  tt.equal(mse(f, g), 0);
  const h = makeFrame('image', [1, 1, 1], Float32Array.of(v(10.25)));
  const k = makeFrame('image', [1, 1, 1], Float32Array.of(v(10)));
  tt.equal(mse(h, k), 0);
  tt.ok(Math.abs(mse(h, k, { round: false }) - 0.0625) < 1e-4);
  tt.end();
});

t.test('mismatched or malformed inputs are coded errors', (tt) => {
  const a = img([1, 2, 3, 4, 5, 6], 2, 1);
  for (const [b, why] of [
    [img([1, 2, 3, 4, 5, 6], 1, 2), 'transposed'],
    [img([1, 2], 2, 1, 1), 'grey vs RGB'],
    [{ data: new Uint8Array(5), width: 2, height: 1, channels: 3 }, 'short data'],
    [{ data: new Uint8Array(4), width: 2, height: 1, channels: 2 }, '2 channels'],
    [{ data: new Uint8Array(0), width: 0, height: 0, channels: 3 }, 'empty'],
  ] as Array<[PixelImage, string]>) {
    try { mse(a, b); tt.fail(why); } catch (e) { tt.ok(isWallocError(e, 'WALLOC_ERR_INVALID_ARGUMENT'), why); }
  }
  const notImage = makeFrame('audio', [2, 4], new Float32Array(8)) as never;
  tt.throws(() => mse(notImage, notImage), { code: 'WALLOC_ERR_FRAME_KIND' });
  tt.end();
});
