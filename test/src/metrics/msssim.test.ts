import t from 'tap';
import { msSsim, msSsimDb, msSsimScales, ssim, MS_SSIM_WEIGHTS, type PixelImage } from '../../../src/metrics/index.js';
import { distort, loadPhoto } from './distort.js';

t.test('scale count: the 11-pixel window must fit after every halving (pytorch_msssim: side > 160 for 5)', (tt) => {
  tt.equal(msSsimScales(161, 161), 5);
  tt.equal(msSsimScales(4000, 161), 5);
  tt.equal(msSsimScales(160, 500), 4);
  tt.equal(msSsimScales(128, 96), 4);
  tt.equal(msSsimScales(81, 81), 4);
  tt.equal(msSsimScales(80, 80), 3);
  tt.equal(msSsimScales(21, 300), 2);
  tt.equal(msSsimScales(11, 11), 1);
  tt.equal(msSsimScales(10, 500), 0);
  tt.equal(msSsimScales(500, 500, 3), 3);
  tt.end();
});

t.test('identical images give 1; weights are pytorch_msssim\'s, renormalised only when reduced', (tt) => {
  const w = 170, h = 165;
  const d = new Uint8Array(w * h * 3).map((_, i) => (i * 31) % 256);
  const im: PixelImage = { data: d, width: w, height: h, channels: 3 };
  const full = msSsim(im, im);
  tt.equal(full.scales, 5);
  tt.equal(full.reduced, false);
  tt.same(full.weights, MS_SSIM_WEIGHTS);
  tt.ok(Math.abs(full.value - 1) < 1e-12);
  const small: PixelImage = { data: d.subarray(0, 100 * 90 * 3), width: 100, height: 90, channels: 3 };
  const red = msSsim(small, small);
  tt.equal(red.scales, 4);
  tt.equal(red.reduced, true);
  tt.ok(Math.abs(red.weights.reduce((s, v) => s + v, 0) - 1) < 1e-15);
  tt.ok(Math.abs(red.weights[0]! / red.weights[1]! - 0.0448 / 0.2856) < 1e-12);
  tt.ok(Math.abs(red.value - 1) < 1e-12);
  tt.end();
});

t.test('one scale is plain SSIM (clipped at 0); more distortion lowers MS-SSIM', async (tt) => {
  const p = await loadPhoto('coffee_255x171.jpg');
  const a: PixelImage = { data: p.data, width: p.width, height: p.height, channels: 3 };
  const blur: PixelImage = { ...a, data: distort('blur', p.data, p.width, p.height) };
  const one = msSsim(a, blur, { maxScales: 1 });
  tt.equal(one.scales, 1);
  tt.ok(Math.abs(one.value - ssim(a, blur)) < 1e-14);
  const twice: PixelImage = { ...a, data: distort('blur', blur.data, p.width, p.height) };
  tt.ok(msSsim(a, twice).value < msSsim(a, blur).value);
  tt.throws(() => msSsim(a, blur, { maxScales: 6 }), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.throws(() => msSsim(a, blur, { maxScales: 0 }), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.end();
});

t.test('too small for one scale is a coded error; msSsimDb', (tt) => {
  const im: PixelImage = { data: new Uint8Array(10 * 40 * 3), width: 40, height: 10, channels: 3 };
  tt.throws(() => msSsim(im, im), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.ok(Math.abs(msSsimDb(0.99) - 20) < 1e-12);
  tt.equal(msSsimDb(1), Infinity);
  tt.end();
});
