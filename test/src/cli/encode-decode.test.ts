/**
 * walloc-encode and walloc-decode as a user runs them: built bins, real files, real pipes, real
 * ffmpeg producing y4m. Uses the bundled linear-floor model so the test does not depend on a
 * trained decoder.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { runBin } from '../../helpers/io.js';
import { packageRoot } from '../../../src/paths.js';
import { findFfmpeg } from '../../../src/io/ffmpeg.js';

// Many real processes (encode, decode, ffmpeg) one after another: more than the default 120 s on a busy machine.
t.setTimeout(300_000);

const fixture = (name: string) => join(packageRoot(), 'fixtures', 'images', name);
const MODEL = ['--model', 'rgb-16x-linear'];

async function psnr(a: string | Buffer, b: string | Buffer): Promise<number> {
  const ra = await sharp(a).removeAlpha().raw().toBuffer();
  const rb = await sharp(b).removeAlpha().raw().toBuffer();
  let se = 0;
  for (let i = 0; i < ra.length; i++) se += (ra[i]! - rb[i]!) ** 2;
  return 10 * Math.log10((255 * 255) / (se / ra.length));
}

t.test('file to file: encode a JPEG photo, decode it to PNG at the original size', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-cli-'));
  const enc = await runBin('walloc-encode', [fixture('coffee_255x171.jpg'), '-o', join(dir, 'c.wlc'), ...MODEL]);
  t.equal(enc.code, 0, enc.stderr);
  t.match(enc.stderr, /1 frame, .* bpp/);
  t.equal(readFileSync(join(dir, 'c.wlc')).subarray(0, 4).toString(), 'WLOC');
  const dec = await runBin('walloc-decode', [join(dir, 'c.wlc'), '-o', join(dir, 'c.png')]);
  t.equal(dec.code, 0, dec.stderr);
  const meta = await sharp(join(dir, 'c.png')).metadata();
  t.same([meta.width, meta.height], [255, 171]);
  const p = await psnr(fixture('coffee_255x171.jpg'), join(dir, 'c.png'));
  t.ok(p > 24, `PSNR ${p.toFixed(2)} dB`);
  t.same(readdirSync(dir).sort(), ['c.png', 'c.wlc'], 'no temporary files left behind');
});

t.test('stdin to stdout: PNG through two pipes', async (t) => {
  const png = readFileSync(fixture('chelsea_128x96.png'));
  const enc = await runBin('walloc-encode', ['-', ...MODEL], { input: png });
  t.equal(enc.code, 0, enc.stderr);
  const dec = await runBin('walloc-decode', ['-'], { input: enc.stdout });
  t.equal(dec.code, 0, dec.stderr);
  t.equal(dec.stdout.subarray(1, 4).toString(), 'PNG');
  t.ok((await psnr(png, dec.stdout)) > 24);
});

t.test('encoding twice gives byte-identical streams', async (t) => {
  const a = await runBin('walloc-encode', [fixture('nagasaki_201x133.jpg'), ...MODEL]);
  const b = await runBin('walloc-encode', [fixture('nagasaki_201x133.jpg'), ...MODEL]);
  t.equal(a.code, 0);
  t.ok(a.stdout.equals(b.stdout));
});

const ff = findFfmpeg();
t.test('real ffmpeg y4m pipe in, every frame a record, y4m and numbered PNGs out', { skip: ff ? false : 'no ffmpeg' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-y4m-'));
  const y4m = await new Promise<Buffer>((resolve, reject) => {
    const p = spawn(ff!.path, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=96x64:rate=5', '-frames:v', '3', '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', '-']);
    const out: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => out.push(c));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`ffmpeg ${code}`))));
  });
  const enc = await runBin('walloc-encode', ['-', '-o', join(dir, 'v.wlc'), ...MODEL], { input: y4m });
  t.equal(enc.code, 0, enc.stderr);
  t.match(enc.stderr, /3 frames/);
  const dec = await runBin('walloc-decode', [join(dir, 'v.wlc'), '-o', join(dir, 'v.y4m')]);
  t.equal(dec.code, 0, dec.stderr);
  const back = readFileSync(join(dir, 'v.y4m'));
  t.match(back.subarray(0, 40).toString('latin1'), /^YUV4MPEG2 W96 H64 F5:1/);
  t.equal(back.toString('latin1').split('FRAME').length - 1, 3);
  const pngs = await runBin('walloc-decode', [join(dir, 'v.wlc'), '-o', join(dir, 'f-%02d.png')]);
  t.equal(pngs.code, 0, pngs.stderr);
  t.ok(existsSync(join(dir, 'f-01.png')) && existsSync(join(dir, 'f-03.png')) && !existsSync(join(dir, 'f-04.png')));
});

t.test('bad input: coded errors, exit 1, no output file left behind', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-bad-'));
  const cases: Array<[string, RegExp]> = [
    [fixture('truncated.png'), /WALLOC_ERR_UNSUPPORTED_INPUT/],
    [fixture('not-an-image.png'), /WALLOC_ERR_UNSUPPORTED_INPUT/],
    [join(dir, 'missing.png'), /WALLOC_ERR_FILE_NOT_FOUND/],
  ];
  for (const [input, code] of cases) {
    const r = await runBin('walloc-encode', [input, '-o', join(dir, 'out.wlc'), ...MODEL]);
    t.equal(r.code, 1, input);
    t.match(r.stderr, code);
    t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  // A header that claims 100000×100000 pixels is refused before anything is allocated.
  const huge = Buffer.from(readFileSync(fixture('chelsea_128x96.png')));
  huge.writeUInt32BE(100000, 16);
  huge.writeUInt32BE(100000, 20);
  writeFileSync(join(dir, 'huge.png'), huge);
  const r = await runBin('walloc-encode', [join(dir, 'huge.png'), '-o', join(dir, 'out.wlc'), ...MODEL]);
  t.equal(r.code, 1);
  t.match(r.stderr, /WALLOC_ERR_(LIMIT_EXCEEDED|UNSUPPORTED_INPUT)/);
  t.same(readdirSync(dir).sort(), ['huge.png'], 'nothing written');
});

t.test('a .wlc made with another model is refused by --model', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-model-'));
  const enc = await runBin('walloc-encode', [fixture('chelsea_128x96.png'), '-o', join(dir, 'c.wlc'), ...MODEL]);
  t.equal(enc.code, 0);
  // A copy of the model with different weights has a different checksum.
  const src = join(packageRoot(), 'fixtures', 'models', 'rgb-16x-linear');
  const other = join(dir, 'other');
  const { loadModel, saveModel } = await import('../../../src/models/model-file.js');
  const m = loadModel(src);
  const w = new Map([...m.weights].map(([k, v]) => [k, { shape: m.config.tensors.find((e) => e.name === k)!.shape, data: v.map((x) => x * 1.01) }]));
  const { tensors: _t, weightsSha256: _s, format: _f, version: _v, ...cfg } = m.config;
  saveModel(other, cfg, w);
  const dec = await runBin('walloc-decode', [join(dir, 'c.wlc'), '-o', join(dir, 'c.png'), '--model', other]);
  t.equal(dec.code, 1);
  t.match(dec.stderr, /WALLOC_ERR_CONTAINER_MODEL/);
  t.notOk(existsSync(join(dir, 'c.png')));
});

t.test('binary is not written to a terminal; usage errors exit 2', async (t) => {
  const r = await runBin('walloc-encode', ['--effort', '9', fixture('chelsea_128x96.png')]);
  t.equal(r.code, 2);
  t.match(r.stderr, /--effort must be an integer from 0 to 6/);
  const d = await runBin('walloc-decode', [fixture('chelsea_128x96.png')]);
  t.equal(d.code, 1);
  t.match(d.stderr, /not a \.wlc stream/);
});

t.test('walloc-decode: a damaged header is one coded line, never a stack trace; an output folder that does not exist is refused up front', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-cli-'));
  const wlc = join(dir, 'c.wlc');
  t.equal((await runBin('walloc-encode', [fixture('coffee_255x171.jpg'), '-o', wlc, ...MODEL])).code, 0);
  const bytes = readFileSync(wlc);
  const damaged = Buffer.from(bytes);
  damaged[20] = damaged[20]! ^ 0xff;
  writeFileSync(join(dir, 'hdr.wlc'), damaged);
  for (const args of [[join(dir, 'hdr.wlc'), '-o', join(dir, 'h.png')], ['-', '--model', 'no-such-model', '-o', join(dir, 'h.png')]]) {
    const r = await runBin('walloc-decode', args, { input: args[0] === '-' ? damaged : undefined });
    t.equal(r.code, 1, args.join(' '));
    t.match(r.stderr, /^walloc-decode: .* \[WALLOC_ERR_(CONTAINER_HEADER|MODEL_NOT_FOUND)\]\n$/, 'one line');
    t.notMatch(r.stderr, /node:events|at /, 'no stack trace');
  }
  for (const out of ['nodir/x.png', 'nodir/x-%02d.png', 'nodir/x.y4m', 'nodir/x.mkv']) {
    const r = await runBin('walloc-decode', [wlc, '-o', join(dir, out)]);
    t.equal(r.code, 1, out);
    t.match(r.stderr, /cannot write \(the folder .*nodir does not exist\) \[WALLOC_ERR_FILE_WRITE\]/);
  }
  const enc = await runBin('walloc-encode', [fixture('coffee_255x171.jpg'), '-o', join(dir, 'nodir', 'x.wlc'), ...MODEL]);
  t.match(enc.stderr, /\[WALLOC_ERR_FILE_WRITE\]/);
  t.same(readdirSync(dir).sort(), ['c.wlc', 'hdr.wlc'], 'nothing written, no folder made');
});

t.test('walloc-decode --skip-corrupt when no record survives: WALLOC_ERR_CONTAINER_EMPTY and no output, not an empty file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-cli-'));
  const enc = await runBin('walloc-encode', [fixture('coffee_255x171.jpg'), ...MODEL]);
  const b = Buffer.from(enc.stdout);
  const record = 13 + b.readUInt32LE(5);
  b[record + 20] = b[record + 20]! ^ 0xff;
  writeFileSync(join(dir, 'flip.wlc'), b);
  for (const out of ['x.png', 'x.y4m']) {
    const r = await runBin('walloc-decode', [join(dir, 'flip.wlc'), '--skip-corrupt', '-o', join(dir, out)]);
    t.equal(r.code, 1, out);
    t.match(r.stderr, /warning: record 0: .*\[WALLOC_ERR_CONTAINER_CRC\]/);
    t.match(r.stderr, /flip\.wlc: no frame to decode \(every record was damaged and skipped\); nothing was written \[WALLOC_ERR_CONTAINER_EMPTY\]/);
  }
  t.same(readdirSync(dir), ['flip.wlc']);
});

t.test('walloc-decode refuses an output name that cannot hold the stream\'s media, before decoding', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-cli-'));
  const image = await runBin('walloc-encode', [fixture('coffee_255x171.jpg'), ...MODEL]);
  const audio = await runBin('walloc-encode', [join(packageRoot(), 'fixtures', 'audio', 'music_stereo_44k_1s.wav'), '--model', 'stereo-5x']);
  t.equal(audio.code, 0, audio.stderr);
  for (const [stream, out, holds] of [[image.stdout, 'x.wav', 'images'], [image.stdout, 'x.txt', 'images'], [image.stdout, 'x.nii.gz', 'images'], [audio.stdout, 'y.png', 'audio'], [audio.stdout, 'y-%02d.png', 'audio'], [audio.stdout, 'y.y4m', 'audio']] as const) {
    const r = await runBin('walloc-decode', ['-', '-o', join(dir, out)], { input: stream });
    t.equal(r.code, 2, out);
    t.match(r.stderr, new RegExp(`this stream holds ${holds}; write .*\\[WALLOC_ERR_INVALID_ARGUMENT\\]`));
  }
  t.same(readdirSync(dir), [], 'nothing written');
});

t.test('walloc-decode of a stream with no frame: WALLOC_ERR_CONTAINER_EMPTY for images, video through ffmpeg and audio; audio still writes .raw', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-cli-'));
  const headerOnly = (b: Buffer) => b.subarray(0, 13 + b.readUInt32LE(5));
  const image = await runBin('walloc-encode', [fixture('coffee_255x171.jpg'), ...MODEL]);
  const audio = await runBin('walloc-encode', [join(packageRoot(), 'fixtures', 'audio', 'music_stereo_44k_1s.wav'), '--model', 'stereo-5x']);
  for (const [stream, out] of [[headerOnly(image.stdout), 'e.png'], [headerOnly(image.stdout), 'e.mp4'], [headerOnly(audio.stdout), 'e.wav']] as const) {
    const r = await runBin('walloc-decode', ['-', '-o', join(dir, out)], { input: stream });
    t.equal(r.code, 1, out);
    t.match(r.stderr, /no frame to decode \(.*\); nothing was written \[WALLOC_ERR_CONTAINER_EMPTY\]/, out);
  }
  t.same(readdirSync(dir), [], 'nothing written');
  const raw = await runBin('walloc-decode', ['-', '-o', join(dir, 'song.raw'), '--format', 'f32le'], { input: audio.stdout });
  t.equal(raw.code, 0, raw.stderr);
  t.equal(readFileSync(join(dir, 'song.raw')).length, 2 * 4 * 44100, '1 s of stereo float32');
});

t.test('a file name with a lone % is a file, not a frame pattern', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-cli-'));
  writeFileSync(join(dir, '50%.jpg'), readFileSync(fixture('coffee_255x171.jpg')));
  const r = await runBin('walloc-encode', [join(dir, '50%.jpg'), '-o', join(dir, '50%.wlc'), ...MODEL]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /1 frame/);
});

t.test('sizes walloc-encode accepts under a limit decode under the same limit (limits are on the image, not its padding)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-cli-'));
  const enc = await runBin('walloc-encode', [fixture('coffee_255x171.jpg'), '--max-side', '255', '--max-pixels', '43605', '-o', join(dir, 'c.wlc'), ...MODEL]);
  t.equal(enc.code, 0, enc.stderr);
  const dec = await runBin('walloc-decode', [join(dir, 'c.wlc'), '--max-side', '255', '--max-pixels', '43605', '-o', join(dir, 'c.png')]);
  t.equal(dec.code, 0, dec.stderr);
  const tight = await runBin('walloc-decode', [join(dir, 'c.wlc'), '--max-pixels', '43604', '-o', join(dir, 'd.png')]);
  t.match(tight.stderr, /pixels per frame \(255×171\) of 43605 exceeds the limit of 43604 .*\[WALLOC_ERR_LIMIT_EXCEEDED\]/);
});

t.test('an animated GIF or WebP is encoded frame by frame, not cut to its first frame', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-cli-'));
  const [w, h, n] = [40, 32, 3];
  const rgba = Buffer.alloc(w * h * n * 4);
  for (let p = 0; p < n; p++) for (let i = 0; i < w * h; i++) rgba.set([p * 100, 50, 200 - p * 60, 255], (p * w * h + i) * 4);
  for (const ext of ['gif', 'webp'] as const) {
    const file = join(dir, `anim.${ext}`);
    await sharp(rgba, { raw: { width: w, height: h * n, channels: 4, pageHeight: h } })[ext]({ loop: 0 }).toFile(file);
    const enc = await runBin('walloc-encode', [file, '-o', join(dir, `${ext}.wlc`), ...MODEL]);
    t.match(enc.stderr, /3 frames/, ext);
    const dec = await runBin('walloc-decode', [join(dir, `${ext}.wlc`), '-o', join(dir, `${ext}-%d.png`)]);
    t.equal(dec.code, 0, dec.stderr);
    const reds = await Promise.all([1, 2, 3].map(async (k) => (await sharp(join(dir, `${ext}-${k}.png`)).stats()).channels[0]!.mean));
    t.ok(reds[0]! < reds[1]! && reds[1]! < reds[2]!, `${ext}: each frame is its own page (red ${reds.map((r) => r.toFixed(0)).join(' < ')})`);
  }
});

t.test('a folder or pattern of colour PNGs is a sequence of images (one record each, sizes kept); grey ones stay volume slices', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-seq-'));
  const frames = join(dir, 'frames');
  mkdirSync(frames);
  // Two photos of different sizes, as walloc-decode writes a stream's frames.
  for (const [i, name] of ['astronaut_97x131.png', 'chelsea_128x96.png'].entries()) copyFileSync(fixture(name), join(frames, `f-${i + 1}.png`));
  for (const input of [frames, join(frames, 'f-%d.png')]) {
    const out = join(dir, 'seq.wlc');
    const r = await runBin('walloc-encode', [input, '-o', out, ...MODEL]);
    t.equal(r.code, 0, r.stderr);
    t.match(r.stderr, /2 frames/, input);
    const dec = await runBin('walloc-decode', [out, '-o', join(dir, 'back-%d.png')]);
    t.equal(dec.code, 0, dec.stderr);
    const sizes = await Promise.all([1, 2].map(async (k) => { const m = await sharp(join(dir, `back-${k}.png`)).metadata(); return `${m.width}x${m.height}:${m.channels}`; }));
    t.same(sizes, ['97x131:3', '128x96:3'], 'each frame at its own size, in colour');
    t.ok(await psnr(join(dir, 'back-2.png'), fixture('chelsea_128x96.png')) > 24, 'the photo, not a grey slice of it');
  }
  // --stack says "slices": the colour frames are read as the grey slices of one volume.
  const stack = await runBin('walloc-encode', [frames, '--stack', '-o', join(dir, 'v.wlc')]);
  t.equal(stack.code, 1, 'slices of two sizes are no volume');
  t.match(stack.stderr, /\[WALLOC_ERR_VOLUME_DIMS\]/);
  // Grey PNGs are slices without --stack, as before, even stored as RGB.
  const grey = join(dir, 'grey');
  mkdirSync(grey);
  for (let i = 0; i < 4; i++) await sharp(fixture('chelsea_128x96.png')).greyscale().toFile(join(grey, `s${i}.png`));
  const vol = await runBin('walloc-encode', [grey, '-o', join(dir, 'g.wlc')]);
  t.equal(vol.code, 0, vol.stderr);
  t.match(vol.stderr, /Mvoxels .* volume-mri/);
});

t.test('a stream made with a model folder, decoded from elsewhere: the error says to pass the folder', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-model-folder-'));
  const models = join(dir, 'work');
  mkdirSync(join(models, 'my-lin'), { recursive: true });
  for (const f of ['model.json', 'weights.bin']) copyFileSync(join(packageRoot(), 'fixtures', 'models', 'rgb-16x-linear', f), join(models, 'my-lin', f));
  const json = JSON.parse(readFileSync(join(models, 'my-lin', 'model.json'), 'utf8')) as { name: string };
  json.name = 'my-lin';
  writeFileSync(join(models, 'my-lin', 'model.json'), JSON.stringify(json));
  const enc = await runBin('walloc-encode', [fixture('chelsea_128x96.png'), '-m', 'my-lin', '-o', join(dir, 'c.wlc')], { cwd: models });
  t.equal(enc.code, 0, enc.stderr);
  const elsewhere = await runBin('walloc-decode', [join(dir, 'c.wlc'), '-o', join(dir, 'c.png')], { cwd: dir });
  t.equal(elsewhere.code, 1);
  t.match(elsewhere.stderr, /model "my-lin" not found; bundled models: .*; .*c\.wlc was made with a model folder of that name: pass it with --model DIR \[WALLOC_ERR_MODEL_NOT_FOUND\]/);
  const given = await runBin('walloc-decode', [join(dir, 'c.wlc'), '-o', join(dir, 'c.png'), '--model', join(models, 'my-lin')], { cwd: dir });
  t.equal(given.code, 0, given.stderr);
});

t.test('the grey codec from walloc-encode: colour or grey images are read as luma, and decode to a grey PNG', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-grey-'));
  const grey = join(dir, 'g.png');
  await sharp(fixture('chelsea_128x96.png')).resize(56, 56).greyscale().png().toFile(grey);
  // The colour image first; the grey one's stream is kept for the decode.
  for (const input of [fixture('chelsea_128x96.png'), grey]) {
    const enc = await runBin('walloc-encode', [input, '-m', 'fmnist-gray-j2', '-o', join(dir, 'g.wlc')]);
    t.equal(enc.code, 0, enc.stderr);
  }
  const dec = await runBin('walloc-decode', [join(dir, 'g.wlc'), '-o', join(dir, 'back.png')]);
  t.equal(dec.code, 0, dec.stderr);
  const meta = await sharp(join(dir, 'back.png')).metadata();
  t.match(meta, { channels: 1, width: 56, height: 56 }, 'one channel in the file');
  const { readWlcSync } = await import('../../../src/container/index.js');
  t.same(readWlcSync(readFileSync(join(dir, 'g.wlc'))).header.shape, [1, 56, 56], 'the header records one channel');
  const a = await sharp(grey).raw().toBuffer();
  const b = await sharp(join(dir, 'back.png')).raw().toBuffer();
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i]! - b[i]!) ** 2;
  const psnr = 10 * Math.log10((255 * 255) / (se / a.length));
  t.ok(psnr > 20, `PSNR ${psnr.toFixed(2)} dB`);
});
