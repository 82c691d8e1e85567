import t from 'tap';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isWallocError } from '../../../src/errors.js';
import { makeFrame, type ImageFrame } from '../../../src/frame.js';
import { imageToRgbBytes, readImage } from '../../../src/io/image.js';
import {
  Y4mDecoder, Y4mEncoder, Y4mParser, Y4mWriter, formatY4mHeader, parseY4mHeader, readY4m, writeY4m, y4mPlanes,
  type Y4mColorspace,
} from '../../../src/io/y4m.js';
import { IMAGES, VIDEO, maxAbsDiff, noFfmpeg, psnr8, runFfmpeg, sameBytes } from './util.js';

const rgbOf = (frames: ImageFrame[]) => Buffer.concat(frames.map(imageToRgbBytes));

/** A y4m stream built by hand: header plus frames of the given bytes. */
function y4mBytes(header: string, frames: Uint8Array[]): Buffer {
  return Buffer.concat([Buffer.from(header + '\n'), ...frames.flatMap((f) => [Buffer.from('FRAME\n'), f])]);
}

t.test('header: the tags ffmpeg writes, defaults, and formatting back', async (t) => {
  const h = parseY4mHeader('YUV4MPEG2 W64 H48 F30000:1001 It A4:3 C420mpeg2 XYSCSS=420MPEG2 XCOLORRANGE=FULL\n');
  t.same(h, { width: 64, height: 48, fps: [30000, 1001], interlace: 't', aspect: [4, 3], colorspace: '420mpeg2', range: 'full', x: ['YSCSS=420MPEG2', 'COLORRANGE=FULL'] });
  t.same(parseY4mHeader(formatY4mHeader(h)), h, 'format then parse is the identity');
  const d = parseY4mHeader('YUV4MPEG2 W3 H5');
  t.same([d.fps, d.interlace, d.aspect, d.colorspace, d.range], [[25, 1], '?', [0, 0], '420jpeg', 'limited'], 'defaults as ffmpeg assumes them');
  t.equal(parseY4mHeader('YUV4MPEG2 W3 H5 Cmono').range, 'full', 'ffmpeg\'s gray is full range');
  t.equal(parseY4mHeader('YUV4MPEG2 W3 H5 Cmono XCOLORRANGE=LIMITED').range, 'limited');
  t.equal(parseY4mHeader('YUV4MPEG2 W3 H5 Zfuture F0:0').fps[0], 25, 'unknown tags ignored, unknown rate is 25');
  t.same(y4mPlanes({ width: 5, height: 3, colorspace: '420jpeg' }), { chromaWidth: 3, chromaHeight: 2, frameBytes: 15 + 12 });
  t.equal(y4mPlanes({ width: 5, height: 3, colorspace: '422' }).frameBytes, 15 + 2 * 9);
  t.equal(y4mPlanes({ width: 5, height: 3, colorspace: '411' }).frameBytes, 15 + 2 * 6);
  t.equal(y4mPlanes({ width: 5, height: 3, colorspace: '444alpha' }).frameBytes, 60);
  t.equal(y4mPlanes({ width: 5, height: 3, colorspace: 'mono' }).frameBytes, 15);
});

t.test('header errors are coded and say what to do', async (t) => {
  const code = (line: string, limits = {}) => {
    try {
      parseY4mHeader(line, limits);
    } catch (e) {
      return isWallocError(e) ? `${e.code}: ${e.message}` : `uncoded ${String(e)}`;
    }
    return 'no error';
  };
  t.match(code('P6 64 48 255'), /UNSUPPORTED_INPUT.*not a YUV4MPEG2 stream/);
  t.match(code('YUV4MPEG2 W64 F5:1'), /UNSUPPORTED_INPUT.*lacks the W .* or H/);
  t.match(code('YUV4MPEG2 W64 H48 C420p10 XYSCSS=420P10'), /UNSUPPORTED_INPUT.*C420p10.*more than 8 bits.*-pix_fmt/);
  t.match(code('YUV4MPEG2 W64 H48 Fx'), /UNSUPPORTED_INPUT.*not a ratio/);
  t.match(code('YUV4MPEG2 W0 H0'), /UNSUPPORTED_INPUT.*0×0/);
  t.match(code('YUV4MPEG2 W-4 H4'), /UNSUPPORTED_INPUT/);
  t.match(code('YUV4MPEG2 W100000 H100000'), /LIMIT_EXCEEDED.*--max-side/);
  t.match(code('YUV4MPEG2 W4000 H3000', { maxPixels: 1e6 }), /LIMIT_EXCEEDED.*--max-pixels/);
});

t.test('a 100000×100000 header is refused before any frame buffer exists', async (t) => {
  const dec = new Y4mDecoder({ source: 'huge.y4m' });
  const before = process.memoryUsage().arrayBuffers;
  t.throws(() => dec.write(Buffer.from('YUV4MPEG2 W60000 H60000 C444\nFRAME\n')), { code: 'WALLOC_ERR_LIMIT_EXCEEDED' });
  t.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024, 'no 10 GB allocation happened');
});

t.test('the committed ffmpeg y4m (C420mpeg2) matches ffmpeg\'s own rgb24 decode of the clip', async (t) => {
  const frames = readY4m(readFileSync(join(VIDEO, 'chelsea_pan_96x64.y4m')), { source: 'fixture' });
  t.equal(frames.length, 3);
  const ref = readFileSync(join(VIDEO, 'chelsea_pan_96x64.rgb24'));
  const per = 96 * 64 * 3;
  for (const [i, f] of frames.entries()) {
    t.same(f.shape, [3, 64, 96]);
    t.equal(f.meta.pts, i);
    t.same(f.meta.extra?.fps, 5);
    t.equal((f.meta.extra?.y4m as { colorspace: string }).colorspace, '420mpeg2');
    const p = psnr8(imageToRgbBytes(f), ref.subarray(i * per, (i + 1) * per));
    t.ok(p > 35, `frame ${i}: PSNR ${p.toFixed(1)} dB against ffmpeg rgb24`);
  }
  const near = readY4m(readFileSync(join(VIDEO, 'chelsea_pan_96x64.y4m')), { upsampling: 'nearest' });
  t.ok(psnr8(rgbOf(near), ref) > 30, 'nearest chroma upsampling is close too');
});

t.test('the parser takes any chunking and gives the same frames', async (t) => {
  const bytes = readFileSync(join(VIDEO, 'chelsea_pan_96x64.y4m'));
  const whole = readY4m(bytes).map((f) => f.data);
  await fc.assert(fc.asyncProperty(fc.array(fc.integer({ min: 1, max: bytes.length }), { minLength: 1, maxLength: 12 }), async (cuts) => {
    const points = [...new Set(cuts)].sort((a, b) => a - b);
    const chunks: Buffer[] = [];
    let at = 0;
    for (const p of [...points, bytes.length]) {
      if (p > at) chunks.push(bytes.subarray(at, p));
      at = Math.max(at, p);
    }
    const out: Float32Array[] = [];
    await pipeline(Readable.from(chunks), new Y4mParser(), new Writable({
      objectMode: true,
      write(f: ImageFrame, _e, cb) { out.push(f.data); cb(); },
    }));
    return out.length === whole.length && out.every((d, i) => sameBytes(d, whole[i]!));
  }), { numRuns: 40 });
  // One byte at a time, the worst case for the line reader.
  const dec = new Y4mDecoder();
  const frames = [];
  for (let i = 0; i < bytes.length; i++) frames.push(...dec.write(bytes.subarray(i, i + 1)));
  dec.end();
  t.equal(frames.length, 3);
  t.ok(sameBytes(frames[2]!.data, whole[2]!), 'byte-at-a-time gives the same frame');
});

t.test('stream errors: truncated frame names its index; a clean end between frames is fine', async (t) => {
  const one = new Uint8Array(y4mPlanes({ width: 4, height: 2, colorspace: '444' }).frameBytes).fill(128);
  const good = y4mBytes('YUV4MPEG2 W4 H2 C444', [one, one]);
  t.equal(readY4m(good).length, 2);
  t.equal(readY4m(Buffer.from('YUV4MPEG2 W4 H2 C444\n')).length, 0, 'a header and no frames is an empty video');
  t.throws(() => readY4m(good.subarray(0, good.length - 5), { source: 'cut.y4m' }), {
    code: 'WALLOC_ERR_UNSUPPORTED_INPUT',
    details: { frame: 1, path: 'cut.y4m' },
    message: /cut\.y4m.*truncated.*inside frame 1 \(19 of 24 bytes\)/,
  });
  t.throws(() => readY4m(good.subarray(0, good.length - 26)), { details: { frame: 1 }, message: /inside frame 1/ }, 'ends inside a FRAME line');
  t.throws(() => readY4m(Buffer.from('YUV4MPEG2 W4 H2')), { message: /ends inside its header/ });
  t.throws(() => readY4m(Buffer.alloc(0)), { code: 'WALLOC_ERR_UNSUPPORTED_INPUT', message: /empty/ });
  t.same(readY4m(Buffer.alloc(0), { allowEmpty: true }), []);
  const badMarker = Buffer.concat([good.subarray(0, good.length - 30), Buffer.from('FRAMX\n'), one]);
  t.throws(() => readY4m(badMarker), { code: 'WALLOC_ERR_UNSUPPORTED_INPUT', details: { frame: 1 }, message: /frame 1: expected a FRAME marker, found "FRAMX/ });
  t.throws(() => readY4m(Buffer.concat([good, Buffer.from('junk')])), { message: /frame 2: expected a FRAME marker/ }, 'trailing junk is a bad marker');
  t.throws(() => new Y4mDecoder().write(Buffer.from('\x89PNG\r\n\x1a\n')), { message: /not a YUV4MPEG2 stream \(it starts with/ }, 'garbage fails at once, not after 4 KB');
  t.throws(() => readY4m(Buffer.from('YUV4MPEG2 ' + 'X'.repeat(5000))), { message: /header line longer than 4096/ });
  t.throws(() => readY4m(Buffer.concat([Buffer.from('YUV4MPEG2 W4 H2 C444\nFRAME '), Buffer.alloc(2000, 65)])), { message: /FRAME line longer/ });
  // FRAME parameters (ffmpeg never writes them, the spec allows them) are skipped.
  t.equal(readY4m(Buffer.concat([Buffer.from('YUV4MPEG2 W4 H2 C444\nFRAME Ixyz\n'), one])).length, 1);
  // A stream error surfaces through pipeline() as the coded error.
  await t.rejects(pipeline(Readable.from([good.subarray(0, 40)]), new Y4mParser({ source: 'pipe' }), new Writable({ objectMode: true, write: (_f, _e, cb) => cb() })),
    { code: 'WALLOC_ERR_UNSUPPORTED_INPUT', details: { frame: 0 } });
});

t.test('colour conversion: BT.601 limited by default, full range on XCOLORRANGE=FULL or on request', async (t) => {
  // Pure colours in limited range: (Y, Cb, Cr) codes from the BT.601 matrix.
  const cases: Array<[string, [number, number, number], [number, number, number]]> = [
    ['black', [16, 128, 128], [0, 0, 0]],
    ['white', [235, 128, 128], [255, 255, 255]],
    ['red', [81, 90, 240], [255, 0, 0]],
    ['green', [145, 54, 34], [0, 255, 0]],
    ['blue', [41, 240, 110], [0, 0, 255]],
  ];
  for (const [name, yuv, rgb] of cases) {
    const [f] = readY4m(y4mBytes('YUV4MPEG2 W1 H1 C444', [Uint8Array.from(yuv)]));
    t.ok(maxAbsDiff(imageToRgbBytes(f!), rgb) <= 2, `${name}: ${Array.from(imageToRgbBytes(f!))} ≈ ${rgb}`);
  }
  const [full] = readY4m(y4mBytes('YUV4MPEG2 W1 H1 C444 XCOLORRANGE=FULL', [Uint8Array.of(0, 128, 128)]));
  t.same(Array.from(full!.data), [-0.5, -0.5, -0.5], 'full-range 0 is black');
  const [lim] = readY4m(y4mBytes('YUV4MPEG2 W1 H1 C444', [Uint8Array.of(0, 128, 128)]));
  t.same(Array.from(lim!.data), [-0.5, -0.5, -0.5], 'limited range below 16 clamps to black');
  const [forced] = readY4m(y4mBytes('YUV4MPEG2 W1 H1 C444', [Uint8Array.of(128, 128, 128)]), { range: 'full' });
  t.same(Array.from(imageToRgbBytes(forced!)), [128, 128, 128]);
  const [mono] = readY4m(y4mBytes('YUV4MPEG2 W2 H1 Cmono', [Uint8Array.of(0, 255)]));
  t.same(Array.from(mono!.data), [-0.5, 0.5, -0.5, 0.5, -0.5, 0.5], 'mono expands to three equal channels');
  const [alpha] = readY4m(y4mBytes('YUV4MPEG2 W1 H1 C444alpha', [Uint8Array.of(235, 128, 128, 0)]));
  t.same(Array.from(alpha!.data), [0.5, 0.5, 0.5], 'the alpha plane is skipped');
  for (const v of alpha!.data) t.ok(v >= -0.5 && v <= 0.5);
});

t.test('RGB → y4m → RGB round trips on a photo', async (t) => {
  for (const file of ['chelsea_128x96.png', 'astronaut_97x131.png']) {
    const img = await readImage(join(IMAGES, file));
    const ref = imageToRgbBytes(img);
    const [c444] = readY4m(writeY4m([img], { chroma: '444' }));
    t.ok(maxAbsDiff(imageToRgbBytes(c444!), ref) <= 3, `${file} 4:4:4 within 3 levels (8-bit YUV quantization)`);
    const p444 = psnr8(imageToRgbBytes(c444!), ref);
    const [c420] = readY4m(writeY4m([img]));
    const p420 = psnr8(imageToRgbBytes(c420!), ref);
    t.ok(p444 > 45, `${file} 4:4:4 PSNR ${p444.toFixed(1)} dB`);
    t.ok(p420 > 30, `${file} 4:2:0 PSNR ${p420.toFixed(1)} dB (chroma is halved)`);
    const [full] = readY4m(writeY4m([img], { chroma: '444', range: 'full' }));
    t.ok(maxAbsDiff(imageToRgbBytes(full!), ref) <= 2, 'full range 4:4:4 is tighter still');
  }
  // Flat colours survive 4:2:0 exactly: chroma subsampling loses nothing where chroma is constant.
  await fc.assert(fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.constantFrom(0, 64, 128, 200, 255), fc.constantFrom(0, 100, 255), (w, h, r, b) => {
    const plane = w * h;
    const data = new Float32Array(3 * plane);
    data.fill(r / 255 - 0.5, 0, plane).fill(0.1, plane, 2 * plane).fill(b / 255 - 0.5, 2 * plane);
    const [back] = readY4m(writeY4m([makeFrame('image', [3, h, w], data)]));
    return back!.shape[1] === h && back!.shape[2] === w && maxAbsDiff(imageToRgbBytes(back!), imageToRgbBytes(makeFrame('image', [3, h, w], data))) <= 3;
  }), { numRuns: 60 });
});

t.test('the writer: header from the first frame, meta carried back, one size per stream', async (t) => {
  const [src] = readY4m(readFileSync(join(VIDEO, 'chelsea_pan_96x64.y4m')));
  const out = writeY4m([src!, src!]);
  t.equal(out.subarray(0, out.indexOf(10)).toString(), 'YUV4MPEG2 W96 H64 F5:1 Ip A1:1 C420jpeg XYSCSS=420JPEG XCOLORRANGE=LIMITED', 'rate, interlacing and aspect come from meta.extra.y4m');
  t.equal(out.length, out.indexOf(10) + 1 + 2 * (6 + 96 * 64 * 1.5));
  const grey = makeFrame('image', [1, 2, 3], new Float32Array(6).fill(0.5));
  const g = writeY4m([grey], { fps: [30000, 1001] });
  t.match(g.toString('latin1'), /^YUV4MPEG2 W3 H2 F30000:1001 Ip A1:1 Cmono XCOLORRANGE=FULL\nFRAME\n\xff{6}$/, 'grey is written full range, as ffmpeg reads gray');
  t.throws(() => writeY4m([src!, makeFrame('image', [3, 2, 2], new Float32Array(12))]), { code: 'WALLOC_ERR_FRAME_SHAPE', message: /one size/ });
  t.throws(() => writeY4m([makeFrame('audio', [2, 4], new Float32Array(8)) as unknown as ImageFrame]), { code: 'WALLOC_ERR_FRAME_SHAPE' });
  t.throws(() => writeY4m([src!], { fps: [0, 1] }), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  const chunks: Buffer[] = [];
  await pipeline(Readable.from([src!, src!, src!]), new Y4mWriter({ chroma: '444' }), new Writable({ write(c: Buffer, _e, cb) { chunks.push(c); cb(); } }));
  t.equal(readY4m(Buffer.concat(chunks)).length, 3, 'the Transform writes a stream the parser reads');
  // Values outside [-0.5, 0.5] are clamped, not wrapped.
  const wild = makeFrame('image', [3, 1, 2], Float32Array.of(-3, 3, NaN, 0, 9, -9));
  const [back] = readY4m(writeY4m([wild], { chroma: '444', range: 'full' }));
  // Planar [R R G G B B]: pixel 0 = (−3, NaN, 9) → (0, 0, 1); pixel 1 = (3, 0, −9) → (1, 0.5, 0).
  t.ok(maxAbsDiff(imageToRgbBytes(back!), [0, 0, 255, 255, 128, 0]) <= 2, `wild values clamp: ${Array.from(imageToRgbBytes(back!))}`);
  for (const v of back!.data) t.ok(v >= -0.5 && v <= 0.5);
});

const toRgb24 = ['-f', 'yuv4mpegpipe', '-i', '-', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'];

t.test('real ffmpeg: a generated testsrc clip', { skip: noFfmpeg }, async (t) => {
  const src = ['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=5', '-frames:v', '3'];
  const ref = await runFfmpeg([...src, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
  const y4m = await runFfmpeg([...src, '-pix_fmt', 'yuv444p', '-f', 'yuv4mpegpipe', '-']);
  const frames = readY4m(y4m);
  t.equal(frames.length, 3);
  t.same(frames[0]!.meta.extra?.y4m, { width: 64, height: 48, fps: [5, 1], interlace: 'p', aspect: [1, 1], colorspace: '444', range: 'limited', x: ['YSCSS=444'] });
  t.same(frames.map((f) => f.meta.pts), [0, 1, 2]);
  const p = psnr8(rgbOf(frames), ref);
  t.ok(p > 40, `4:4:4: PSNR ${p.toFixed(1)} dB against ffmpeg's rgb24 of the same source`);
  t.ok(psnr8(rgbOf(frames), await runFfmpeg(toRgb24, y4m)) > 60, 'and nearly identical to its rgb24 of the same y4m');
});

t.test('real ffmpeg: every 8-bit pix_fmt it writes as y4m decodes like its own rgb24', { skip: noFfmpeg }, async (t) => {
  // A photo with odd sizes (255×171): testsrc's one-pixel colour edges make every 4:2:0 method
  // disagree by design, which would measure the test pattern rather than the conversion.
  const src = ['-i', join(IMAGES, 'coffee_255x171.jpg')];
  const ref = await runFfmpeg([...src, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
  const expected: Record<string, [Y4mColorspace, number]> = {
    yuv420p: ['420jpeg', 35], yuvj420p: ['420jpeg', 35], yuv422p: ['422', 35], yuv444p: ['444', 45], yuv411p: ['411', 30], gray: ['mono', 45],
  };
  for (const [pixFmt, [cs, minDb]] of Object.entries(expected)) {
    const y4m = await runFfmpeg([...src, '-pix_fmt', pixFmt, '-f', 'yuv4mpegpipe', '-']);
    const frames = readY4m(y4m, { source: pixFmt });
    t.equal(frames.length, 1, `${pixFmt}: 1 frame`);
    t.equal((frames[0]!.meta.extra?.y4m as { colorspace: string }).colorspace, cs);
    // What ffmpeg itself makes of the same YUV, so only our conversion is being measured.
    const theirs = await runFfmpeg(toRgb24, y4m);
    const p = psnr8(rgbOf(frames), theirs);
    t.ok(p > minDb, `${pixFmt}: PSNR ${p.toFixed(1)} dB against ffmpeg's rgb24 of the same y4m (${psnr8(rgbOf(frames), ref).toFixed(1)} dB against the source)`);
  }
});

t.test('real ffmpeg reads what the writer writes', { skip: noFfmpeg }, async (t) => {
  const img = await readImage(join(IMAGES, 'coffee_255x171.jpg'));
  const ref = imageToRgbBytes(img);
  for (const chroma of ['420', '444'] as const) {
    const y4m = writeY4m([img, img], { chroma });
    const rgb = await runFfmpeg(['-f', 'yuv4mpegpipe', '-i', '-', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], y4m);
    t.equal(rgb.length, 2 * ref.length, `${chroma}: ffmpeg decodes 2 frames of 255×171`);
    const p = psnr8(rgb.subarray(0, ref.length), ref);
    t.ok(p > (chroma === '444' ? 40 : 30), `${chroma}: PSNR ${p.toFixed(1)} dB after ffmpeg's own conversion`);
  }
});

t.test('a frame of another size is named by its place in the stream, not its pts (an archive\'s entries all have pts 0)', async (t) => {
  const enc = new Y4mEncoder();
  const frame = (w: number, h: number) => makeFrame('image', [3, h, w], new Float32Array(3 * w * h), { pts: 0 }) as ImageFrame;
  enc.encode(frame(8, 6));
  enc.encode(frame(8, 6));
  t.throws(() => enc.encode(frame(10, 6)), { code: 'WALLOC_ERR_FRAME_SHAPE', message: /frame 3 is 10×6, the first 8×6; frames of several sizes go to numbered images/ });
});
