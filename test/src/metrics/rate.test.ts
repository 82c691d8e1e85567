import t from 'tap';
import { bpp, compressionRatio, ratioFromBpp, meanBpp, pixelWeightedRatio } from '../../../src/metrics/index.js';

t.test('bpp and compression ratio against 24-bit RGB', (tt) => {
  tt.equal(bpp(1024, 128, 64), 1);
  tt.equal(compressionRatio(1024, 128, 64), 24);
  tt.equal(compressionRatio(1024, 128, 64, 8), 8);
  tt.equal(compressionRatio(0, 10, 10), Infinity);
  tt.ok(Math.abs(ratioFromBpp(0.6171) - 38.89) < 0.01, 'walloc.md: 0.6171 bpp ≈ 38.9:1');
  // Ratio is 24 / bpp for any size.
  for (const [b, w, h] of [[777, 97, 131], [12345, 255, 171]] as const) tt.ok(Math.abs(compressionRatio(b, w, h) - 24 / bpp(b, w, h)) < 1e-12);
  tt.end();
});

t.test('set summaries: mean bpp is unweighted, the ratio is pixel-weighted (totals)', (tt) => {
  const items = [{ bytes: 1_000, width: 100, height: 100 }, { bytes: 1_000, width: 10, height: 10 }];
  tt.equal(meanBpp(items), (0.8 + 80) / 2);
  tt.equal(pixelWeightedRatio(items), (24 * 10_100) / (8 * 2_000));
  // One image: both summaries agree with the per-image values.
  tt.equal(pixelWeightedRatio([items[0]!]), compressionRatio(1_000, 100, 100));
  tt.ok(Number.isNaN(meanBpp([])) && Number.isNaN(pixelWeightedRatio([])));
  tt.end();
});

t.test('bad arguments are coded errors', (tt) => {
  tt.throws(() => bpp(-1, 10, 10), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.throws(() => bpp(10, 0, 10), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.throws(() => compressionRatio(10, 1.5, 10), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.throws(() => pixelWeightedRatio([{ bytes: NaN, width: 1, height: 1 }]), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.end();
});
