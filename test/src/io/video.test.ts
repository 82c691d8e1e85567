import t from 'tap';
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ImageFrame } from '../../../src/frame.js';
import { imageToRgbBytes, readImage } from '../../../src/io/image.js';
import { ffmpegErrorLine } from '../../../src/io/ffmpeg.js';
import { ffmpegFrames, ffmpegSink } from '../../../src/io/video.js';
import { readY4m } from '../../../src/io/y4m.js';
import { IMAGES, VIDEO, noFfmpeg, processExists, psnr8, runFfmpeg } from './util.js';

const tmp = mkdtempSync(join(tmpdir(), 'walloc-video-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

const collect = async (s: AsyncIterable<ImageFrame>) => {
  const out: ImageFrame[] = [];
  for await (const f of s) out.push(f);
  return out;
};
const rgbOf = (frames: ImageFrame[]) => Buffer.concat(frames.map(imageToRgbBytes));
const lavfi = (spec: string, frames: number) => ({ inputArgs: ['-f', 'lavfi'], outputArgs: ['-frames:v', String(frames)], source: spec });

t.test('ffmpegErrorLine picks the line that explains the failure', async (t) => {
  t.equal(ffmpegErrorLine('x.mp4: No such file or directory\n'), 'x.mp4: No such file or directory');
  t.equal(ffmpegErrorLine('[mov,mp4 @ 0x55d0c] moov atom not found\nx.mp4: Invalid data found when processing input\nConversion failed!\n'),
    'x.mp4: Invalid data found when processing input');
  t.equal(ffmpegErrorLine('[yuv4mpegpipe @ 0x43875340] ERROR: yuv4mpeg can only handle yuv444p\nCould not write header for output file #0\nError initializing output stream 0:0 -- \n'),
    'ERROR: yuv4mpeg can only handle yuv444p');
  t.equal(ffmpegErrorLine('[png @ 0x3dc5e840] Invalid PNG signature 0x5468.\nError while decoding stream #0:0: Invalid data found when processing input\n' +
    'Cannot determine format of input stream 0:0 after EOF\nError marking filters as finished'), 'Invalid PNG signature 0x5468.');
  t.equal(ffmpegErrorLine('Conversion failed!\n'), 'Conversion failed!', 'only generic lines: keep the last');
  t.equal(ffmpegErrorLine(''), '');
});

t.test('an mp4 decodes like ffmpeg\'s own rgb24 decode of it', { skip: noFfmpeg }, async (t) => {
  const frames = await collect(ffmpegFrames(join(VIDEO, 'chelsea_pan_96x64.mp4')));
  t.equal(frames.length, 3);
  t.same(frames.map((f) => f.meta.pts), [0, 1, 2]);
  t.same(frames[0]!.shape, [3, 64, 96]);
  t.equal(frames[0]!.meta.extra?.fps, 5);
  t.equal((frames[0]!.meta.extra?.y4m as { colorspace: string }).colorspace, '444', 'asked ffmpeg for 4:4:4');
  const ref = readFileSync(join(VIDEO, 'chelsea_pan_96x64.rgb24'));
  const p = psnr8(rgbOf(frames), ref);
  t.ok(p > 35, `PSNR ${p.toFixed(1)} dB against the committed rgb24 reference`);
  // The pan really moves: frame 1 is frame 0 shifted by 16 pixels.
  t.ok(psnr8(imageToRgbBytes(frames[0]!), imageToRgbBytes(frames[1]!)) < 25, 'frames differ');
  const f420 = await collect(ffmpegFrames(join(VIDEO, 'chelsea_pan_96x64.mp4'), {}, { pixFmt: 'yuv420p' }));
  t.ok(psnr8(rgbOf(f420), ref) > 35, 'yuv420p over the pipe works too');
  const fromY4m = readY4m(readFileSync(join(VIDEO, 'chelsea_pan_96x64.y4m')));
  t.ok(psnr8(rgbOf(fromY4m), rgbOf(frames)) > 35, 'the committed y4m and the mp4 agree');
});

t.test('still images, lavfi sources and byte streams', { skip: noFfmpeg }, async (t) => {
  const [png] = await collect(ffmpegFrames(join(IMAGES, 'astronaut_97x131.png')));
  const viaSharp = await readImage(join(IMAGES, 'astronaut_97x131.png'));
  t.same(png!.shape, [3, 131, 97], 'odd sizes survive');
  const p = psnr8(imageToRgbBytes(png!), imageToRgbBytes(viaSharp));
  t.ok(p > 40, `a PNG through ffmpeg (RGB → yuv444p → RGB) is ${p.toFixed(1)} dB from sharp's decode`);
  const test = await collect(ffmpegFrames('testsrc=size=64x48:rate=5', {}, lavfi('testsrc', 3)));
  t.equal(test.length, 3);
  t.same(test[0]!.shape, [3, 48, 64]);
  const piped = await collect(ffmpegFrames(createReadStream(join(VIDEO, 'chelsea_pan_96x64.mp4'))));
  t.equal(piped.length, 3, 'an mp4 on a pipe (stdin of ffmpeg)');
  t.ok(psnr8(rgbOf(piped), readFileSync(join(VIDEO, 'chelsea_pan_96x64.rgb24'))) > 35);
  const none = await collect(ffmpegFrames('testsrc=size=64x48:rate=5', {}, lavfi('testsrc', 0)));
  t.equal(none.length, 0, 'zero frames is an empty stream, not an error');
});

t.test('failures are coded: missing file, not media, ffmpeg errors with their reason', { skip: noFfmpeg }, async (t) => {
  t.throws(() => ffmpegFrames(join(tmp, 'missing.mp4')), { code: 'WALLOC_ERR_FILE_NOT_FOUND', message: /missing\.mp4: no such file/ });
  await t.rejects(collect(ffmpegFrames(join(IMAGES, 'not-an-image.png'))), {
    code: 'WALLOC_ERR_FFMPEG_FAILED',
    // The demuxer is picked by the .png extension, so the reason is the PNG decoder's.
    message: /^ffmpeg failed: Invalid PNG signature 0x[0-9A-F]+\.? \(exit status 1\)$/i,
  });
  await t.rejects(collect(ffmpegFrames('nosuchfilter=x', {}, lavfi('x', 1))), { code: 'WALLOC_ERR_FFMPEG_FAILED', message: /nosuchfilter/ });
  await t.rejects(collect(ffmpegFrames(Readable.from([Buffer.from('garbage bytes, not media')]))), { code: 'WALLOC_ERR_FFMPEG_FAILED', message: /Invalid data/ });
});

t.test('a frame over the limits stops ffmpeg and reports the limit', { skip: noFfmpeg }, async (t) => {
  const s = ffmpegFrames('testsrc=size=640x480:rate=25', { maxPixels: 100_000 }, lavfi('testsrc', 10_000));
  await t.rejects(collect(s), { code: 'WALLOC_ERR_LIMIT_EXCEEDED', message: /pixels per frame \(640×480\).*--max-pixels/, details: { source: 'testsrc' } });
  const exit = await s.exited;
  t.equal(exit.signal, 'SIGKILL', 'ffmpeg was killed, not left blocking on a full pipe');
  t.notOk(processExists(s.pid!), 'and reaped');
});

t.test('a consumer that stops early kills ffmpeg; no process is left behind', { skip: noFfmpeg }, async (t) => {
  // An endless source: only killing it ends it.
  const s = ffmpegFrames('testsrc=size=320x240:rate=25', {}, { inputArgs: ['-f', 'lavfi'] });
  let n = 0;
  for await (const f of s) {
    t.same(f.shape, [3, 240, 320]);
    if (++n === 3) break;
  }
  t.ok(s.destroyed);
  const exit = await s.exited;
  t.equal(exit.signal, 'SIGKILL');
  t.notOk(processExists(s.pid!), `ffmpeg ${s.pid} is gone (no zombie)`);
  // destroy() directly, before any frame was read.
  const d = ffmpegFrames('testsrc=size=320x240:rate=25', {}, { inputArgs: ['-f', 'lavfi'] });
  d.destroy();
  await d.exited;
  t.notOk(processExists(d.pid!));
  // A slow consumer throttles ffmpeg instead of buffering the whole video.
  const slow = ffmpegFrames('testsrc=size=320x240:rate=25', {}, { inputArgs: ['-f', 'lavfi'] });
  await new Promise((r) => setTimeout(r, 300));
  t.ok(slow.readableLength <= 2, `only ${slow.readableLength} frames buffered while nobody reads`);
  slow.destroy();
  await slow.exited;
});

t.test('a source read for one frame, or never read, does not keep the program running', { skip: noFfmpeg }, async (t) => {
  const { spawn } = await import('node:child_process');
  const { pathToFileURL } = await import('node:url');
  const { packageRoot } = await import('../../../src/paths.js');
  const mod = pathToFileURL(join(packageRoot(), 'dist', 'src', 'io', 'video.js')).href;
  for (const [what, body] of [
    ['one frame', "const s = ffmpegFrames('testsrc=s=320x240:r=25:d=20', {}, { inputArgs: ['-f', 'lavfi'] }); const f = (await s[Symbol.asyncIterator]().next()).value; console.log(f.shape.join('x'));"],
    ['never read', "ffmpegFrames('testsrc=s=320x240:r=25:d=20', {}, { inputArgs: ['-f', 'lavfi'] }); console.log('made');"],
  ] as const) {
    const p = spawn(process.execPath, ['--input-type=module', '-e', `import { ffmpegFrames } from '${mod}'; ${body}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => { out += c; });
    p.stderr.on('data', (c: Buffer) => { out += c; });
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    const code = await new Promise((r) => p.on('close', r));
    clearTimeout(timer);
    t.equal(code, 0, `${what}: exits by itself (was a hang): ${out}`);
  }
});

t.test('ffmpegSink writes frames to any format through ffmpeg', { skip: noFfmpeg }, async (t) => {
  const frames = readY4m(readFileSync(join(VIDEO, 'chelsea_pan_96x64.y4m')));
  const mkv = join(tmp, 'out.mkv');
  await pipeline(Readable.from(frames), ffmpegSink(['-c:v', 'ffv1', '-y', mkv]));
  const back = await collect(ffmpegFrames(mkv));
  t.equal(back.length, 3);
  t.ok(psnr8(rgbOf(back), rgbOf(frames)) > 38, 'lossless ffv1 of 4:2:0 y4m: only the chroma round trip is lost');

  // Output on a pipe: PNG images from ffmpeg's stdout, written in 4:4:4.
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await pipeline(Readable.from(frames.slice(0, 1)), ffmpegSink(['-f', 'image2pipe', '-c:v', 'png', '-'], { output: out, y4m: { chroma: '444' } }));
  const png = Buffer.concat(chunks);
  t.same(png.subarray(1, 4).toString(), 'PNG');
  t.ok(psnr8(imageToRgbBytes(await readImage(png)), imageToRgbBytes(frames[0]!)) > 45, '4:4:4 through ffmpeg to PNG');

  // ffmpeg stops reading after one frame: the rest are dropped, as on EPIPE, not an error.
  const many = Array.from({ length: 40 }, () => frames[0]!);
  const one = join(tmp, 'one.png');
  await pipeline(Readable.from(many), ffmpegSink(['-frames:v', '1', '-y', one]));
  t.same((await readImage(one)).shape, [3, 64, 96]);

  await t.rejects(pipeline(Readable.from(frames), ffmpegSink(['-c:v', 'nosuchcodec', '-y', join(tmp, 'x.mkv')])), {
    code: 'WALLOC_ERR_FFMPEG_FAILED', message: /nosuchcodec/,
  });
  const sink = ffmpegSink(['-f', 'null', '-']);
  sink.destroy();
  await sink.exited;
  t.notOk(processExists(sink.pid!), 'a destroyed sink leaves no ffmpeg behind');
});

t.test('ffmpeg output compared against ffmpeg\'s own rgb24 for a real photo', { skip: noFfmpeg }, async (t) => {
  const file = join(IMAGES, 'nagasaki_201x133.jpg');
  const [f] = await collect(ffmpegFrames(file));
  const ref = await runFfmpeg(['-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
  const p = psnr8(imageToRgbBytes(f!), ref);
  t.ok(p > 35, `JPEG (full-range yuvj420p source) → yuv444p → RGB: ${p.toFixed(1)} dB`);
});

t.test('reading many frames raises no process warning (a listener per frame once piled up on closed pipes)', { skip: noFfmpeg }, async (t) => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  try {
    const clip = join(tmp, 'many.mp4');
    await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc=size=32x24:rate=10:d=3', '-c:v', 'mpeg4', '-y', clip]);
    // A slow reader, as an encoder is: the source pauses and resumes ffmpeg's pipes per frame.
    let n = 0;
    for await (const f of ffmpegFrames(clip)) {
      n += f ? 1 : 0;
      await new Promise((r) => setTimeout(r, 5));
    }
    t.equal(n, 30);
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', onWarning);
  }
  t.same(warnings, []);
});
