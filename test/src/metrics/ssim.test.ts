import t from 'tap';
import fc from 'fast-check';
import { ssim, ssimPerChannel, ssimPlane, gaussianWindow, type PixelImage, type RowReader } from '../../../src/metrics/index.js';

/** Textbook SSIM: for every valid position, weighted sums over the full 11×11 window (no separability). */
function naiveSsim(a: Float64Array, b: Float64Array, w: number, h: number): { ssim: number; cs: number } {
  const g = gaussianWindow(11, 1.5);
  const C1 = (0.01 * 255) ** 2, C2 = (0.03 * 255) ** 2;
  let s = 0, c = 0, n = 0;
  for (let i = 0; i + 11 <= h; i++) for (let j = 0; j + 11 <= w; j++) {
    let mx = 0, my = 0, xx = 0, yy = 0, xy = 0;
    for (let u = 0; u < 11; u++) for (let v = 0; v < 11; v++) {
      const wt = g[u]! * g[v]!, x = a[(i + u) * w + j + v]!, y = b[(i + u) * w + j + v]!;
      mx += wt * x; my += wt * y; xx += wt * x * x; yy += wt * y * y; xy += wt * x * y;
    }
    const cs = (2 * (xy - mx * my) + C2) / (xx - mx * mx + yy - my * my + C2);
    s += ((2 * mx * my + C1) / (mx * mx + my * my + C1)) * cs; c += cs; n++;
  }
  return { ssim: s / n, cs: c / n };
}

const reader = (p: Float64Array, w: number): RowReader => (y, out) => out.set(p.subarray(y * w, (y + 1) * w));

t.test('Gaussian window: 11 taps, σ 1.5, normalised, symmetric', (tt) => {
  const g = gaussianWindow();
  tt.equal(g.length, 11);
  tt.ok(Math.abs(g.reduce((s, v) => s + v, 0) - 1) < 1e-15);
  for (let k = 0; k < 5; k++) tt.equal(g[k], g[10 - k]);
  tt.ok(Math.abs(g[5]! / g[4]! - Math.exp(1 / 4.5)) < 1e-12);
  tt.throws(() => gaussianWindow(10), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.throws(() => gaussianWindow(11, 0), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.end();
});

t.test('streamed separable filter equals the textbook 2-D window sum', (tt) => {
  fc.assert(fc.property(
    fc.integer({ min: 11, max: 30 }), fc.integer({ min: 11, max: 30 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    (w, h, seed) => {
      let s = seed || 1;
      const rnd = (): number => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return (s >>> 16) & 255; };
      const a = new Float64Array(w * h).map(rnd);
      const b = a.map((v) => Math.min(255, Math.max(0, v + (rnd() % 41) - 20)));
      const got = ssimPlane(reader(a, w), reader(b, w), w, h);
      const want = naiveSsim(a, b, w, h);
      return Math.abs(got.ssim - want.ssim) < 1e-12 && Math.abs(got.cs - want.cs) < 1e-12;
    }), { numRuns: 40 });
  tt.end();
});

t.test('SSIM properties: 1 on identical images, symmetric, ≤ 1, lower for worse distortion', (tt) => {
  const w = 40, h = 33;
  const a = new Uint8Array(w * h * 3).map((_, i) => (i * 37 + ((i / 120) | 0) * 11) % 256);
  const mk = (d: Uint8Array): PixelImage => ({ data: d, width: w, height: h, channels: 3 });
  const small = a.map((v, i) => Math.min(255, v + (i % 5)));
  const big = a.map((v, i) => Math.min(255, v + (i % 50)));
  tt.equal(ssim(mk(a), mk(a)), 1);
  tt.equal(ssim(mk(a), mk(a), { mode: 'luma' }), 1);
  tt.ok(Math.abs(ssim(mk(a), mk(small)) - ssim(mk(small), mk(a))) < 1e-15);
  tt.ok(ssim(mk(a), mk(small)) < 1);
  tt.ok(ssim(mk(a), mk(big)) < ssim(mk(a), mk(small)));
  const per = ssimPerChannel(mk(a), mk(small));
  tt.equal(per.length, 3);
  tt.ok(Math.abs(ssim(mk(a), mk(small)) - (per[0]! + per[1]! + per[2]!) / 3) < 1e-15);
  tt.end();
});

t.test('grey images: rgb and luma modes agree; RGB with equal channels equals grey', (tt) => {
  const w = 20, h = 12;
  const g = new Uint8Array(w * h).map((_, i) => (i * 13) % 256);
  const g2 = g.map((v, i) => (v + (i % 7)) & 255);
  const grey = (d: Uint8Array): PixelImage => ({ data: d, width: w, height: h, channels: 1 });
  const rgb = (d: Uint8Array): PixelImage => ({ data: Uint8Array.from({ length: d.length * 3 }, (_, i) => d[(i / 3) | 0]!), width: w, height: h, channels: 3 });
  tt.equal(ssim(grey(g), grey(g2)), ssim(grey(g), grey(g2), { mode: 'luma' }));
  tt.ok(Math.abs(ssim(rgb(g), rgb(g2)) - ssim(grey(g), grey(g2))) < 1e-15);
  // Luma weights sum to 1, so equal channels give the grey value again (up to rounding).
  tt.ok(Math.abs(ssim(rgb(g), rgb(g2), { mode: 'luma' }) - ssim(grey(g), grey(g2))) < 1e-12);
  tt.end();
});

t.test('images smaller than the window are a coded error (as skimage)', (tt) => {
  const d = new Uint8Array(10 * 30 * 3);
  const im: PixelImage = { data: d, width: 30, height: 10, channels: 3 };
  tt.throws(() => ssim(im, im), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  const ok: PixelImage = { data: new Uint8Array(11 * 11 * 3), width: 11, height: 11, channels: 3 };
  tt.equal(ssim(ok, ok), 1);
  tt.end();
});
