import t from 'tap';
import fc from 'fast-check';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { crc32 } from '../../../src/container/crc32.js';
import { makeFrame } from '../../../src/frame.js';
import { imageFromRgbBytes, imageToRgbBytes, readImage, writeImage } from '../../../src/io/image.js';
import { IMAGES, maxAbsDiff, noFfmpeg, psnr8, runFfmpeg, sameBytes } from './util.js';

const tmp = mkdtempSync(join(tmpdir(), 'walloc-image-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

/** A PNG with a valid signature and IHDR, one tiny IDAT (libspng wants one) and IEND: a header without the pixels. */
function pngHeaderOnly(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body) >>> 0, 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter, no interlace
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(64))), chunk('IEND', Buffer.alloc(0))]);
}

t.test('the fixture photos decode to [3, H, W] in [-0.5, 0.5], exactly x/255 − 0.5 for PNG', async (t) => {
  const sizes: Record<string, [number, number]> = {
    'chelsea_128x96.png': [128, 96], 'astronaut_97x131.png': [97, 131], 'coffee_255x171.jpg': [255, 171], 'nagasaki_201x133.jpg': [201, 133],
  };
  for (const [file, [w, h]] of Object.entries(sizes)) {
    const f = await readImage(join(IMAGES, file));
    t.same(f.shape, [3, h, w], file);
    t.equal(f.kind, 'image');
    t.same(f.meta.pts, 0);
    t.equal(f.meta.extra?.source, file);
    t.equal(f.meta.extra?.format, file.endsWith('.png') ? 'png' : 'jpeg');
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of f.data) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    t.ok(lo >= -0.5 && hi <= 0.5, `${file}: values in [${lo}, ${hi}]`);
  }
  const png = await readImage(join(IMAGES, 'chelsea_128x96.png'));
  const { data } = await sharp(join(IMAGES, 'chelsea_128x96.png')).raw().toBuffer({ resolveWithObject: true });
  t.ok(sameBytes(imageToRgbBytes(png), data), 'bit-exact against sharp\'s own raw decode');
  t.equal(png.data[0], Math.fround(data[0]! / 255 - 0.5), 'R of pixel 0 is x/255 − 0.5');
  const fromBuffer = await readImage(readFileSync(join(IMAGES, 'chelsea_128x96.png')));
  t.ok(sameBytes(fromBuffer.data, png.data), 'a buffer decodes like the file');
  t.notOk(fromBuffer.meta.extra?.source, 'no source path for a buffer');
});

t.test('PNG and lossless WebP round trips are exact; JPEG and WebP are close', async (t) => {
  const f = await readImage(join(IMAGES, 'astronaut_97x131.png'));
  const ref = imageToRgbBytes(f);
  const png = await writeImage(f);
  t.same(png.subarray(0, 4), Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'PNG by default');
  t.ok(sameBytes(imageToRgbBytes(await readImage(png)), ref), 'PNG is exact');
  const webpLossless = await writeImage(f, undefined, { format: 'webp', lossless: true });
  t.ok(sameBytes(imageToRgbBytes(await readImage(webpLossless)), ref), 'lossless WebP is exact');
  const jpeg = await writeImage(f, join(tmp, 'a.jpg'), { quality: 95 });
  t.same(jpeg.subarray(0, 3), Buffer.from([0xff, 0xd8, 0xff]), 'format from the .jpg extension');
  t.ok(sameBytes(readFileSync(join(tmp, 'a.jpg')), jpeg), 'the file holds the returned bytes');
  t.ok(psnr8(imageToRgbBytes(await readImage(join(tmp, 'a.jpg'))), ref) > 30, 'JPEG q95 is close');
  const webp = await writeImage(f, join(tmp, 'a.webp'));
  t.equal(webp.subarray(8, 12).toString('latin1'), 'WEBP');
  t.ok(psnr8(imageToRgbBytes(await readImage(webp)), ref) > 28, 'lossy WebP q90 is close');
  const sink = new PassThrough();
  const got: Buffer[] = [];
  sink.on('data', (c: Buffer) => got.push(c));
  await writeImage(f, sink, { format: 'png' });
  await writeImage(f, sink, { format: 'png' });
  t.equal(Buffer.concat(got).length, 2 * png.length, 'a stream target is written and not ended');
  t.notOk(sink.writableEnded);
  await t.rejects(writeImage(f, join(tmp, 'no', 'such', 'dir.png')), { code: 'WALLOC_ERR_FILE_WRITE', message: /dir\.png: cannot write \(ENOENT\)/ });
  await t.rejects(writeImage(f, undefined, { format: 'jpeg', quality: 0 }), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  const grey = makeFrame('image', [1, 2, 2], Float32Array.of(-0.5, 0, 0.25, 0.5));
  const g = await readImage(await writeImage(grey));
  t.same(Array.from(imageToRgbBytes(g)), [0, 0, 0, 128, 128, 128, 191, 191, 191, 255, 255, 255], 'a grey frame is written as grey RGB');
});

t.test('frames record the file name, not its path; an extension writeImage cannot honour is refused', async (t) => {
  const f = await readImage(join(IMAGES, 'chelsea_128x96.png'));
  t.equal(f.meta.extra?.source, 'chelsea_128x96.png', 'no local folder leaks into .wlc records');
  for (const name of ['x.bmp', 'x.tif', 'x.gif']) {
    await t.rejects(writeImage(f, join(tmp, name)), { code: 'WALLOC_ERR_INVALID_ARGUMENT', message: /\.png, \.jpg or \.webp/ });
  }
  const forced = await writeImage(f, join(tmp, 'x.img'), { format: 'png' });
  t.equal(forced.subarray(1, 4).toString('latin1'), 'PNG', 'an explicit format goes under any name');
});

t.test('bad inputs are coded errors with a sentence, never a libvips stack', async (t) => {
  await t.rejects(readImage(join(IMAGES, 'nope.png')), { code: 'WALLOC_ERR_FILE_NOT_FOUND', message: /nope\.png: no such file/ });
  await t.rejects(readImage(IMAGES), { code: 'WALLOC_ERR_FILE_READ', message: /cannot read \(EISDIR\)/ });
  const notImage = await readImage(join(IMAGES, 'not-an-image.png')).catch((e: Error) => e);
  t.match(notImage, { code: 'WALLOC_ERR_UNSUPPORTED_INPUT', message: /not-an-image\.png: unsupported input \(not an image format walloc can read/ });
  const truncated = await readImage(join(IMAGES, 'truncated.png')).catch((e: Error) => e);
  t.match(truncated, { code: 'WALLOC_ERR_UNSUPPORTED_INPUT', message: /truncated\.png: unsupported input \(corrupt or truncated image data \(.*read error/ });
  for (const e of [notImage, truncated]) {
    t.notMatch((e as Error).message, /\n|\bat \w|vips_|Input (file|buffer)/, `clean message: ${(e as Error).message}`);
    t.ok((e as Error).cause, 'sharp\'s error is kept as the cause');
  }
  await t.rejects(readImage(new Uint8Array(0)), { code: 'WALLOC_ERR_UNSUPPORTED_INPUT', message: /image buffer: unsupported input \(the input is empty\)/ });
  await t.rejects(readImage(Buffer.from('GIF89a')), { code: 'WALLOC_ERR_UNSUPPORTED_INPUT' });
});

t.test('a 100000×100000 header is refused from the header, naming the flag', async (t) => {
  const huge = pngHeaderOnly(100_000, 100_000);
  t.same(await sharp(huge, { limitInputPixels: false }).metadata().then((m) => [m.width, m.height]), [100_000, 100_000], 'the fixture is a valid header');
  const before = process.memoryUsage().arrayBuffers;
  await t.rejects(readImage(huge), { code: 'WALLOC_ERR_LIMIT_EXCEEDED', message: /width of 100000 exceeds the limit of 65535 \(raise it with --max-side/ });
  await t.rejects(readImage(pngHeaderOnly(20_000, 20_000)), { code: 'WALLOC_ERR_LIMIT_EXCEEDED', message: /pixels per frame \(20000×20000\) of 400000000 .* --max-pixels/ });
  await t.rejects(readImage(join(IMAGES, 'coffee_255x171.jpg'), { maxPixels: 255 * 170 }), { code: 'WALLOC_ERR_LIMIT_EXCEEDED', details: { flag: '--max-pixels' } });
  t.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024, 'nothing was decoded');
  t.equal((await readImage(join(IMAGES, 'coffee_255x171.jpg'), { maxPixels: 255 * 171, maxSide: 255 })).shape[2], 255, 'exactly at the limit is fine');
  await t.rejects(readImage(pngHeaderOnly(0, 0)), { code: 'WALLOC_ERR_UNSUPPORTED_INPUT' }, 'a 0×0 PNG is unsupported');
});

t.test('RGB codec decisions: grey → 3 channels, 16-bit → 8-bit, alpha flattened on white, EXIF orientation applied', async (t) => {
  const greyPng = await sharp(Buffer.from([0, 100, 200, 255]), { raw: { width: 2, height: 2, channels: 1 } }).png().toBuffer();
  const grey = await readImage(greyPng);
  t.same(grey.shape, [3, 2, 2]);
  t.same(Array.from(imageToRgbBytes(grey)), [0, 0, 0, 100, 100, 100, 200, 200, 200, 255, 255, 255]);

  const deep = await sharp(new Uint16Array([0, 257 * 100, 65535, 40000]), { raw: { width: 2, height: 2, channels: 1 } }).toColourspace('grey16').png().toBuffer();
  t.equal((await sharp(deep).metadata()).depth, 'ushort', 'the fixture is 16-bit');
  t.same(Array.from(imageToRgbBytes(await readImage(deep))).filter((_, i) => i % 3 === 0), [0, 100, 255, 156], '16-bit scaled by 1/257');

  const rgba = await sharp(Buffer.from([255, 0, 0, 255, 255, 0, 0, 0, 0, 0, 255, 128, 0, 0, 0, 0]), { raw: { width: 2, height: 2, channels: 4 } }).png().toBuffer();
  const flat = await readImage(rgba);
  t.same(flat.shape, [3, 2, 2]);
  t.equal(flat.meta.extra?.alpha, 'flattened');
  const px = Array.from(imageToRgbBytes(flat));
  t.same(px.slice(0, 6), [255, 0, 0, 255, 255, 255], 'opaque red stays, transparent becomes white');
  t.ok(maxAbsDiff(px.slice(6, 9), [127, 127, 255]) <= 2, `half-transparent blue over white: ${px.slice(6, 9)}`);

  // A 3×2 image stored with EXIF orientation 6 ("rotate 90° clockwise to view") reads as 2×3.
  const wide = await sharp(Buffer.alloc(3 * 2 * 3, 90), { raw: { width: 3, height: 2, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
  t.equal((await sharp(wide).metadata()).orientation, 6);
  t.same((await readImage(wide)).shape, [3, 3, 2], 'upright, as a viewer shows it');

  const gif = await sharp(join(IMAGES, 'chelsea_128x96.png')).gif().toBuffer();
  const tiff = await sharp(join(IMAGES, 'chelsea_128x96.png')).tiff({ compression: 'lzw' }).toBuffer(); // sharp's default is JPEG-in-TIFF
  t.same((await readImage(gif)).shape, [3, 96, 128], 'GIF');
  t.equal((await readImage(gif)).meta.extra?.format, 'gif');
  const tif = await readImage(tiff);
  t.ok(sameBytes(imageToRgbBytes(tif), imageToRgbBytes(await readImage(join(IMAGES, 'chelsea_128x96.png')))), 'LZW TIFF is lossless');
  // An animated GIF: red then blue; only the first frame is read.
  const red = await sharp({ create: { width: 4, height: 3, channels: 3, background: '#ff0000' } }).png().toBuffer();
  const blue = await sharp({ create: { width: 4, height: 3, channels: 3, background: '#0000ff' } }).png().toBuffer();
  const animated = await sharp([red, blue], { join: { animated: true } }).gif().toBuffer();
  t.equal((await sharp(animated).metadata()).pages, 2, 'the fixture has two frames');
  const first = await readImage(animated);
  t.same(first.shape, [3, 3, 4]);
  t.ok(maxAbsDiff(imageToRgbBytes(first).subarray(0, 3), [255, 0, 0]) <= 2, 'first frame (red)');
});

t.test('imageFromRgbBytes / imageToRgbBytes: exact inverse on bytes, clamped and rounded on floats', async (t) => {
  await fc.assert(fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), fc.constantFrom(1 as const, 3 as const), fc.infiniteStream(fc.integer({ min: 0, max: 255 })), (w, h, c, s) => {
    const bytes = Uint8Array.from({ length: w * h * c }, () => s.next().value as number);
    const f = imageFromRgbBytes(bytes, w, h, c);
    const back = imageToRgbBytes(f);
    if (f.shape.join() !== [c, h, w].join()) return false;
    for (let i = 0; i < w * h; i++) {
      for (let k = 0; k < 3; k++) if (back[3 * i + k] !== bytes[c * i + (c === 1 ? 0 : k)]) return false;
    }
    return true;
  }));
  const f = makeFrame('image', [3, 1, 3], Float32Array.of(-9, 0.5 + 1e-7, NaN, 2.4 / 255 - 0.5, 0.4 / 255 - 0.5, 1.6 / 255 - 0.5, 0, 0.25, -0.25));
  t.same(Array.from(imageToRgbBytes(f)), [0, 2, 128, 255, 0, 191, 0, 2, 64], 'clamped, NaN → 0, rounded (127.5 → 128: half to even)');
  t.throws(() => imageFromRgbBytes(new Uint8Array(5), 2, 1), { code: 'WALLOC_ERR_FRAME_SHAPE' });
  t.throws(() => imageToRgbBytes(makeFrame('image', [2, 1, 1], new Float32Array(2))), { code: 'WALLOC_ERR_FRAME_SHAPE' });
});

t.test('readImagePages: every page of an animation in one pass, equal to reading each page alone', { skip: noFfmpeg }, async (t) => {
  const { readImagePages } = await import('../../../src/io/image.js');
  const gif = join(tmp, 'anim70.gif');
  await runFfmpeg(['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=24x16:rate=25', '-frames:v', '70', gif]);
  const frames = [];
  for await (const f of readImagePages(gif)) frames.push(f);
  t.equal(frames.length, 70, 'a block of 64 pages and one of 6');
  for (const p of [0, 1, 63, 64, 69]) {
    const one = await readImage(gif, {}, p);
    t.same(frames[p]!.shape, one.shape);
    t.ok(sameBytes(imageToRgbBytes(frames[p]!), imageToRgbBytes(one)), `page ${p}`);
    t.equal(frames[p]!.meta.pts, p);
  }
  // A pixel limit holds per page, not per block of pages.
  let n = 0;
  for await (const f of readImagePages(gif, { maxPixels: 24 * 16 * 2 })) n += f.shape[1] === 16 ? 1 : 0;
  t.equal(n, 70, 'every page under a limit of two pages\' pixels');
  const still = [];
  for await (const f of readImagePages(join(IMAGES, 'chelsea_128x96.png'))) still.push(f);
  t.equal(still.length, 1);
});
