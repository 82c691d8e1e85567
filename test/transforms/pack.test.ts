import t from 'tap';
import fc from 'fast-check';
import sharp from 'sharp';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  choosePlanes, pack, packFrame, packInfoOf, packLatents, packLayout, unpack, unpackFrame, unpackLatents, type PackFormat,
} from '../../transforms/pack.js';
import { makeFrame, sizeOf, type Frame } from '../../src/frame.js';

const CHANNELS = [1, 3, 4, 8, 12, 16, 27, 48, 108];
const FORMATS: PackFormat[] = ['webp', 'png'];

const same = (a: Int8Array, b: Int8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

t.test('choosePlanes: fewest padding channels, RGB first', (tt) => {
  const want: Record<number, [number, number]> = {
    1: [1, 1], 2: [3, 1], 3: [3, 1], 4: [4, 1], 5: [1, 3], 8: [1, 3], 12: [3, 2], 16: [4, 2], 27: [3, 3], 48: [3, 4], 108: [3, 6], 192: [3, 8],
  };
  for (const [n, [p, k]] of Object.entries(want)) tt.same(choosePlanes(Number(n)), { planes: p, tiles: k }, `N=${n}`);
  tt.same(choosePlanes(12, { planes: 1 }), { planes: 1, tiles: 4 });
  tt.same(choosePlanes(12, { planes: 4 }), { planes: 4, tiles: 2 });
  tt.same(choosePlanes(12, { tiles: 4 }), { planes: 1, tiles: 4 });
  tt.throws(() => choosePlanes(12, { planes: 3, tiles: 1 }), { code: 'WALLOC_ERR_PACK' });
  tt.throws(() => choosePlanes(0), { code: 'WALLOC_ERR_PACK' });
  tt.throws(() => choosePlanes(3, { planes: 2 as 1 }), { code: 'WALLOC_ERR_PACK' });
  fc.assert(fc.property(fc.integer({ min: 1, max: 2000 }), (n) => {
    const { planes, tiles } = choosePlanes(n);
    const count = planes * tiles * tiles;
    // Minimal: no other (P, n) fits N with fewer channels.
    for (const p of [1, 3, 4]) for (let k = 1; p * k * k < count; k++) if (p * k * k >= n) return false;
    return count >= n;
  }), { numRuns: 500 });
  tt.end();
});

t.test('tiling follows concatenate_channels: k = c·n² + i·n + j → plane c, tile (i, j)', async (tt) => {
  // 12 channels of 3×5, channel k constant k − 6: tile (i, j) of plane c holds k − 6 + 128.
  const N = 12;
  const q = new Int8Array(N * 15);
  for (let k = 0; k < N; k++) q.fill(k - 6, k * 15, (k + 1) * 15);
  for (const format of FORMATS) {
    const { data, info } = await packLatents(q, [N, 3, 5], { format });
    tt.same(info, { format, latentShape: [N, 3, 5], bits: 8, planes: 3, tiles: 2 });
    const { data: px, info: im } = await sharp(data).raw().toBuffer({ resolveWithObject: true });
    tt.same([im.width, im.height, im.channels], [10, 6, 3]);
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < 2; j++) {
          const k = c * 4 + i * 2 + j;
          const y = i * 3 + 1;
          const x = j * 5 + 2;
          tt.equal(px[(y * 10 + x) * 3 + c], k - 6 + 128, `${format}: plane ${c} tile (${i}, ${j})`);
        }
      }
    }
  }
});

t.test('the encoded images are lossless WebP (VP8L) and PNG', async (tt) => {
  const q = new Int8Array(12 * 64).map((_, i) => (i % 200) - 100);
  const w = await packLatents(q, [12, 8, 8], { format: 'webp' });
  tt.equal(Buffer.from(w.data.subarray(0, 4)).toString('latin1'), 'RIFF');
  tt.ok(Buffer.from(w.data).includes(Buffer.from('VP8L')), 'VP8L chunk (lossless)');
  const p = await packLatents(q, [12, 8, 8], { format: 'png' });
  tt.equal(Buffer.from(p.data.subarray(1, 4)).toString('latin1'), 'PNG');
  const meta = await sharp(p.data).metadata();
  tt.equal(meta.isPalette ?? false, false, 'not palette-quantized');
});

/** Arbitrary int8 latents of b bits: N channels, a 1-D, 2-D or 3-D spatial shape. */
function latentArb(N: number, bits: number): fc.Arbitrary<{ shape: number[]; q: Int8Array }> {
  const m = 2 ** (bits - 1) - 1;
  const spatial = fc.oneof(
    fc.tuple(fc.integer({ min: 1, max: 700 })).map((s) => s as number[]),
    fc.tuple(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 1, max: 24 })).map((s) => s as number[]),
    fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 })).map((s) => s as number[]),
  );
  return spatial.chain((s) => {
    const shape = [N, ...s];
    return fc.int8Array({ min: -m, max: m, minLength: sizeOf(shape), maxLength: sizeOf(shape) }).map((q) => ({ shape, q }));
  });
}

for (const format of FORMATS) {
  t.test(`${format}: pack/unpack is bit-exact for random latents, N ∈ {${CHANNELS.join(', ')}}`, async (tt) => {
    for (const N of CHANNELS) {
      await fc.assert(fc.asyncProperty(latentArb(N, 8), fc.option(fc.integer({ min: 1, max: 64 }), { nil: undefined }), async ({ shape, q }, rowWidth) => {
        const { data, info } = await packLatents(q, shape, { format, effort: 0, compressionLevel: 1, ...(rowWidth === undefined ? {} : { rowWidth }) });
        const back = await unpackLatents(data, info);
        return info.format === format && same(back, q);
      }), { numRuns: N >= 48 ? 6 : 12 });
      tt.pass(`N=${N}`);
    }
  });
}

t.test('fewer bits, forced layouts, extreme values and one-value latents', async (tt) => {
  for (const format of FORMATS) {
    for (const bits of [2, 4, 6, 8]) {
      await fc.assert(fc.asyncProperty(latentArb(12, bits), fc.constantFrom(1, 3, 4) as fc.Arbitrary<1 | 3 | 4>, async ({ shape, q }, planes) => {
        const { data, info } = await packLatents(q, shape, { format, bits, planes, effort: 1 });
        return info.bits === bits && info.planes === planes && same(await unpackLatents(data, info), q);
      }), { numRuns: 5 });
    }
    const ends = new Int8Array(4 * 9).map((_, i) => (i % 2 === 0 ? 127 : -127));
    const r = await packLatents(ends, [4, 3, 3], { format });
    tt.ok(same(await unpackLatents(r.data, r.info), ends), `${format}: ±127`);
    // An all-255 alpha plane (every value of plane 3 at +127) may be stored without alpha.
    const opaque = new Int8Array(4 * 25).fill(127);
    const o = await packLatents(opaque, [4, 5, 5], { format });
    tt.ok(same(await unpackLatents(o.data, o.info), opaque), `${format}: opaque RGBA`);
    const one = new Int8Array([-5]);
    const s = await packLatents(one, [1, 1], { format });
    tt.ok(same(await unpackLatents(s.data, s.info), one), `${format}: a single value`);
  }
});

t.test('1-D latents are cut into rows of R (default 256) and padded; 3-D stack depth slices', (tt) => {
  const a = packLayout({ format: 'webp', latentShape: [108, 1000], bits: 8, planes: 3, tiles: 6, rowWidth: 256 });
  tt.same([a.rows, a.cols, a.width, a.height], [4, 256, 1536, 24]);
  const v = packLayout({ format: 'webp', latentShape: [16, 4, 6, 7], bits: 8, planes: 4, tiles: 2 });
  tt.same([v.rows, v.cols, v.width, v.height, v.positions], [24, 7, 14, 48, 168]);
  tt.throws(() => packLayout({ format: 'webp', latentShape: [3, 10], bits: 8, planes: 3, tiles: 1 }), { code: 'WALLOC_ERR_PACK' });
  tt.end();
});

t.test('default row width: 256, or the whole latent when shorter', async (tt) => {
  const q = new Int8Array(3 * 1000);
  tt.equal((await packLatents(q, [3, 1000])).info.rowWidth, 256);
  tt.equal((await packLatents(q, [3, 1000], { rowWidth: 100 })).info.rowWidth, 100);
  tt.equal((await packLatents(new Int8Array(3 * 40), [3, 40])).info.rowWidth, 40);
  tt.equal((await packLatents(new Int8Array(12 * 4), [12, 2, 2])).info.rowWidth, undefined);
});

t.test('WebP larger than 16383 px on a side falls back to PNG, still bit-exact', async (tt) => {
  const q = new Int8Array(16390 * 2).map((_, i) => (i * 37) % 101 - 50);
  const r = await packLatents(q, [1, 16390, 2], { format: 'webp' });
  tt.equal(r.info.format, 'png');
  tt.ok(same(await unpackLatents(r.data, r.info), q));
  const fine = await packLatents(new Int8Array(16383), [1, 16383, 1], { format: 'webp' });
  tt.equal(fine.info.format, 'webp', '16383 still fits');
});

t.test('packed WebP of smooth latents is much smaller than the raw bytes', async (tt) => {
  // 12 channels of smooth fields at 1080p / 8 (135 × 240), quantized like real latents.
  const N = 12;
  const H = 135;
  const W = 240;
  const q = new Int8Array(N * H * W);
  for (let k = 0; k < N; k++) {
    const amp = 100 / (1 + k);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const v = amp * Math.sin(x / (17 + k)) * Math.cos(y / (11 + 2 * k)) + ((x * 7 + y * 13 + k) % 3) - 1;
        q[(k * H + y) * W + x] = Math.max(-127, Math.min(127, Math.round(v)));
      }
    }
  }
  const raw = q.length;
  const w = await packLatents(q, [N, H, W], { format: 'webp' });
  const p = await packLatents(q, [N, H, W], { format: 'png' });
  tt.ok(w.data.length < raw / 2, `webp ${w.data.length} B vs raw ${raw} B (${(raw / w.data.length).toFixed(2)}:1)`);
  tt.ok(p.data.length < raw, `png ${p.data.length} B vs raw ${raw} B (${(raw / p.data.length).toFixed(2)}:1)`);
  tt.ok(same(await unpackLatents(w.data, w.info), q));
  tt.ok(same(await unpackLatents(p.data, p.info), q));
  // Full-size white noise at the default settings exercises other coder paths: still exact.
  const noise = new Int8Array(N * H * W).map((_, i) => ((i * 2654435761) >>> 13) % 255 - 127);
  for (const format of FORMATS) {
    const r = await packLatents(noise, [N, H, W], { format });
    tt.ok(same(await unpackLatents(r.data, r.info), noise), `${format}: noise is bit-exact`);
  }
});

t.test('errors: wrong input, out-of-range values, bad options, corrupt or mismatched images', async (tt) => {
  await tt.rejects(packLatents(new Int8Array([-128]), [1, 1]), { code: 'WALLOC_ERR_PACK' });
  await tt.rejects(packLatents(new Int8Array([8]), [1, 1], { bits: 4 }), { code: 'WALLOC_ERR_PACK' });
  await tt.rejects(packLatents(new Int8Array(4), [4]), { code: 'WALLOC_ERR_PACK' });
  await tt.rejects(packLatents(new Int8Array(4), [1, 4], { bits: 9 }), { code: 'WALLOC_ERR_PACK' });
  await tt.rejects(packLatents(new Int8Array(4), [1, 4], { effort: 7 }), { code: 'WALLOC_ERR_PACK' });
  await tt.rejects(packLatents(new Int8Array(4), [1, 4], { compressionLevel: 10 }), { code: 'WALLOC_ERR_PACK' });
  await tt.rejects(packLatents(new Int8Array(4), [1, 4], { format: 'jpeg' as 'png' }), { code: 'WALLOC_ERR_PACK' });
  await tt.rejects(packLatents(new Int8Array(5), [1, 4]), { code: 'WALLOC_ERR_PACK' });

  const q = new Int8Array(12 * 20).map((_, i) => (i % 21) - 10);
  const { data, info } = await packLatents(q, [12, 4, 5]);
  await tt.rejects(unpackLatents(data.subarray(0, data.length - 40), info), { code: 'WALLOC_ERR_UNPACK' }, 'truncated');
  await tt.rejects(unpackLatents(new Uint8Array([1, 2, 3, 4]), info), { code: 'WALLOC_ERR_UNPACK' }, 'not an image');
  await tt.rejects(unpackLatents(data, { ...info, latentShape: [12, 5, 4] }), { code: 'WALLOC_ERR_UNPACK' }, 'wrong size');
  await tt.rejects(unpackLatents(data, { ...info, format: 'png' }), { code: 'WALLOC_ERR_UNPACK' }, 'wrong format');
  const png = await packLatents(q, [12, 4, 5], { format: 'png' });
  await tt.rejects(unpackLatents(png.data, { ...png.info, planes: 1, tiles: 1, latentShape: [1, 8, 10] }), { code: 'WALLOC_ERR_UNPACK' }, 'wrong planes');
  await tt.rejects(unpackLatents(png.data, { ...png.info, planes: 4, tiles: 2, latentShape: [16, 4, 5] }), { code: 'WALLOC_ERR_UNPACK' }, 'wrong layout');
  const grey = await packLatents(new Int8Array(25).fill(3), [1, 5, 5], { format: 'png' });
  tt.equal((await sharp(grey.data).metadata()).channels, 1, 'one plane is a grey PNG');
  await tt.rejects(unpackLatents(data, { ...info, bits: 4 }), { code: 'WALLOC_ERR_UNPACK' }, 'bytes outside 4 bits');
  await tt.rejects(unpackLatents(data, { ...info, latentShape: [12, 1e6, 1e6] }), { code: 'WALLOC_ERR_UNPACK' }, 'huge header');
  // A zero byte is not a latent: an image that contains one is rejected.
  const zero = await sharp(Buffer.alloc(12), { raw: { width: 2, height: 2, channels: 3 } }).png().toBuffer();
  await tt.rejects(unpackLatents(zero, { format: 'png', latentShape: [3, 2, 2], bits: 8, planes: 3, tiles: 1 }), { code: 'WALLOC_ERR_UNPACK' });
});

t.test('frames and streams', async (tt) => {
  const meta = { bits: 8, source: 'image' as const, sourceShape: [3, 40, 48], levels: 3, model: 'rgb-16x', pts: 7, extra: { path: 'a.png' } };
  const q = new Int8Array(12 * 30).map((_, i) => (i % 51) - 25);
  const latent = makeFrame('latent', [12, 5, 6], q, meta);
  const packed = await packFrame(latent);
  tt.equal(packed.kind, 'packed');
  tt.same(packed.shape, [packed.data.length]);
  tt.same(packInfoOf(packed), { format: 'webp', latentShape: [12, 5, 6], bits: 8, planes: 3, tiles: 2 });
  tt.equal(packed.meta.pts, 7);
  tt.equal(packed.meta.extra?.path, 'a.png');
  tt.same(JSON.parse(JSON.stringify(packed.meta)), packed.meta, 'meta is JSON-serialisable');
  const back = await unpackFrame(packed);
  tt.same(back.meta, meta, 'meta restored without extra.pack');
  tt.same(back.shape, [12, 5, 6]);
  tt.ok(same(back.data as Int8Array, q));
  const noExtra = await unpackFrame(await packFrame(makeFrame('latent', [1, 3], new Int8Array([1, 2, 3]), { bits: 8 })));
  tt.equal(noExtra.meta.extra, undefined);

  await tt.rejects(packFrame(makeFrame('latent', [1, 2], new Float32Array(2))), { code: 'WALLOC_ERR_FRAME_KIND' });
  await tt.rejects(packFrame(makeFrame('coeffs', [1, 2], new Float32Array(2))), { code: 'WALLOC_ERR_FRAME_KIND' });
  await tt.rejects(unpackFrame(makeFrame('packed', [3], new Uint8Array(3))), { code: 'WALLOC_ERR_UNPACK' });

  const out: Frame[] = [];
  await pipeline(
    Readable.from([latent, latent]),
    pack({ format: 'png' }),
    unpack(),
    new Writable({ objectMode: true, write(f: Frame, _e, cb) { out.push(f); cb(); } }),
  );
  tt.equal(out.length, 2);
  tt.ok(same(out[1]!.data as Int8Array, q));
});
