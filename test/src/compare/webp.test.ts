import t from 'tap';
import {
  decodeWebp, encodeWebp, webpAtSize, webpDecodeThroughput, webpEncodeThroughput,
} from '../../../src/compare/webp.js';
import { psnr, ssim, type PixelImage } from '../../../src/metrics/index.js';
import { loadPhoto } from '../metrics/distort.js';

/** Sizes at every quality 1..100: the ground truth the search is checked against. */
async function allSizes(rgb: Uint8Array, w: number, h: number): Promise<number[]> {
  const sizes: number[] = [];
  for (let q = 1; q <= 100; q++) sizes.push((await encodeWebp(rgb, w, h, q)).length);
  return sizes;
}

for (const file of ['chelsea_128x96.png', 'nagasaki_201x133.jpg']) {
  t.test(`${file}: the search finds the exhaustive best size ≤ target`, async (tt) => {
    const p = await loadPhoto(file);
    const sizes = await allSizes(p.data, p.width, p.height);
    // Sizes are not monotonic in quality (libwebp steps back a few bytes now and then)…
    const drops = sizes.filter((s, i) => i > 0 && s < sizes[i - 1]!).length;
    tt.comment(`${drops} size decreases between neighbouring qualities`);
    // …so test targets at exact sizes, between sizes, and just under each drop.
    const targets = new Set<number>();
    for (const q of [5, 20, 37, 50, 63, 80, 95]) { targets.add(sizes[q - 1]!); targets.add(sizes[q - 1]! + 7); }
    for (let i = 1; i < 100; i++) if (sizes[i]! < sizes[i - 1]!) targets.add(sizes[i - 1]! - 1);
    let maxEncodes = 0;
    for (const target of targets) {
      const best = Math.max(...sizes.filter((s) => s <= target));
      const r = await webpAtSize(p.data, p.width, p.height, target, { metrics: false });
      tt.equal(r.bytes, best, `target ${target}: got q${r.quality} ${r.bytes} B, exhaustive best ${best} B`);
      tt.equal(r.bytes, sizes[r.quality - 1], 'reported quality produces the reported size');
      tt.ok(r.underTarget);
      maxEncodes = Math.max(maxEncodes, r.tried.length);
    }
    tt.ok(maxEncodes <= 14, `at most 14 trial encodes per image (max ${maxEncodes})`);
  });
}

t.test('targets outside the reachable range, and prefer: closest', async (tt) => {
  const p = await loadPhoto('chelsea_128x96.png');
  const sizes = await allSizes(p.data, p.width, p.height);
  const lo = await webpAtSize(p.data, p.width, p.height, 10, { metrics: false });
  tt.equal(lo.bytes, Math.min(...sizes), 'below quality 1: the smallest file');
  tt.equal(lo.underTarget, false);
  const hi = await webpAtSize(p.data, p.width, p.height, 10_000_000, { metrics: false });
  tt.equal(hi.bytes, Math.max(...sizes), 'above quality 100: the largest file');
  tt.equal(hi.quality, sizes.indexOf(Math.max(...sizes)) + 1);
  // Between q50 and q51: "under" takes q50, "closest" takes whichever is nearer.
  const target = sizes[49]! + Math.ceil((sizes[50]! - sizes[49]!) * 0.8);
  const under = await webpAtSize(p.data, p.width, p.height, target, { metrics: false });
  const closest = await webpAtSize(p.data, p.width, p.height, target, { metrics: false, prefer: 'closest' });
  tt.ok(under.bytes <= target);
  const nearest = sizes.reduce((b, s) => (Math.abs(s - target) < Math.abs(b - target) ? s : b), sizes[0]!);
  tt.equal(closest.bytes, nearest);
  const limited = await webpAtSize(p.data, p.width, p.height, 10_000_000, { metrics: false, maxQuality: 40 });
  tt.ok(limited.quality <= 40);
  tt.end();
});

t.test('result: decoded RGB, timings and metrics of the chosen file', async (tt) => {
  const p = await loadPhoto('coffee_255x171.jpg');
  const target = Math.round((p.width * p.height * 0.8) / 8); // 0.8 bpp, walloc's rate
  const r = await webpAtSize(p.data, p.width, p.height, target);
  tt.ok(r.bytes <= target && r.bytes > 0.8 * target, `${r.bytes} B for a ${target} B target (q${r.quality})`);
  tt.equal(r.decoded.length, p.width * p.height * 3);
  tt.equal(r.webp.length, r.bytes);
  tt.ok(Math.abs(r.bpp - (8 * r.bytes) / (p.width * p.height)) < 1e-12);
  tt.ok(r.encodeMs > 0 && r.decodeMs > 0);
  const a: PixelImage = { data: p.data, width: p.width, height: p.height, channels: 3 };
  const again = await decodeWebp(r.webp);
  tt.same([again.width, again.height], [p.width, p.height]);
  tt.equal(r.psnr, psnr(a, { ...a, data: again.data }));
  tt.equal(r.ssim, ssim(a, { ...a, data: again.data }));
  tt.ok(r.psnr > 25 && r.psnr < 60, `PSNR ${r.psnr.toFixed(2)} dB at ${r.bpp.toFixed(3)} bpp`);
  tt.ok(r.ssim > 0.7 && r.ssim < 1);
  tt.ok(r.msSsim !== null && r.msSsim.scales === 5 && r.msSsim.value > r.ssim);
  tt.comment(`coffee at ${r.bpp.toFixed(3)} bpp: q${r.quality} PSNR ${r.psnr.toFixed(2)} SSIM ${r.ssim.toFixed(4)} MS-SSIM ${r.msSsim!.value.toFixed(4)}`);
  tt.end();
});

t.test('throughput helpers', async (tt) => {
  const p = await loadPhoto('chelsea_128x96.png');
  const e = await webpEncodeThroughput(p.data, p.width, p.height, 75, { repeats: 3 });
  tt.ok(e.mps > 0 && e.runsMs.length === 3);
  tt.equal(e.bytes, (await encodeWebp(p.data, p.width, p.height, 75)).length);
  const d = await webpDecodeThroughput(await encodeWebp(p.data, p.width, p.height, 75), { repeats: 2 });
  tt.ok(d.mps > 0 && d.runsMs.length === 2);
  tt.end();
});

t.test('bad arguments are coded errors', async (tt) => {
  const rgb = new Uint8Array(12 * 12 * 3);
  await tt.rejects(webpAtSize(rgb, 12, 11, 100), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  await tt.rejects(webpAtSize(rgb, 12, 12, 0), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  await tt.rejects(webpAtSize(rgb, 12, 12, 100, { minQuality: 50, maxQuality: 10 }), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  await tt.rejects(encodeWebp(rgb, 12, 12, 101), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  await tt.rejects(encodeWebp(new Uint8Array(3 * 20000), 20000, 1, 50), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  // Tiny images still work, without the metrics that need an 11×11 window.
  const tiny = await webpAtSize(new Uint8Array(4 * 4 * 3).fill(128), 4, 4, 1000);
  tt.equal(tiny.msSsim, null);
  tt.ok(Number.isNaN(tiny.ssim));
  tt.equal(tiny.psnr > 30, true);
  tt.end();
});
