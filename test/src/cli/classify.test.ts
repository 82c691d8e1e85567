/**
 * `classify` as a user runs it: the built bins, real .wlc streams of real Fashion-MNIST test images
 * made by the bundled grey codec, bad input (garbage, a wrong codec, a truncated stream), and the
 * whole pipe `ffmpeg … -f yuv4mpegpipe - | walloc-encode | classify` with real ffmpeg on a real
 * H.264 clip of colour-rendered garments.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { memoryIo, runBin } from '../../helpers/io.js';
import { packageRoot } from '../../../src/paths.js';
import { findFfmpeg } from '../../../src/io/ffmpeg.js';
import { defaultModel } from '../../../src/models/registry.js';
import { Codec } from '../../../src/codec/codec.js';
import { writeWlc } from '../../../src/container/index.js';
import { readImage } from '../../../src/io/image.js';
import { colorFrame, FASHION_LABELS, greyFrame, hasFashionMnist, loadFashionMnist } from '../../../src/classify/fashion-mnist.js';
import { listBundledClassifiers } from '../../../src/classify/model.js';
import { rng } from '../../../src/math/random.js';
import type { Frame } from '../../../src/frame.js';

const models = join(packageRoot(), 'fixtures', 'models');
const HAVE_GREY = existsSync(join(models, 'fmnist-gray-j2', 'model.json')) && existsSync(join(models, 'fmnist-latent-resnet', 'model.json'));
const skipGrey = !hasFashionMnist() ? 'Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)' : !HAVE_GREY ? 'fmnist-gray-j2 / fmnist-latent-resnet are not bundled' : false;
const N = 60;

interface Line { pts: number; label: string | null; score: number; top: Array<[string, number]> }
const parseLines = (b: Buffer): Line[] => b.toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);

async function fmnistWlc(): Promise<{ wlc: Buffer; labels: number[]; frames: Frame[] }> {
  const codec = Codec.load('fmnist-gray-j2');
  const test = loadFashionMnist('test', { limit: N });
  const frames: Frame[] = [];
  for (let i = 0; i < N; i++) {
    const f = await codec.encodeFrame(greyFrame(test, i));
    f.meta.pts = i;
    frames.push(f);
  }
  return { wlc: writeWlc(codec.header({ shape: [1, 28, 28], frames: N }), frames), labels: [...test.labels], frames };
}

t.test('a .wlc of Fashion-MNIST test images: one JSON line per frame, accurate, picked by the header', { skip: skipGrey }, async (t) => {
  const { wlc, labels } = await fmnistWlc();
  const dir = mkdtempSync(join(tmpdir(), 'walloc-classify-'));
  writeFileSync(join(dir, 'g.wlc'), wlc);
  const r = await runBin('classify', [join(dir, 'g.wlc')]);
  t.equal(r.code, 0, r.stderr);
  const lines = parseLines(r.stdout);
  t.equal(lines.length, N);
  t.same(lines.map((l) => l.pts), labels.map((_, i) => i));
  for (const l of lines) {
    t.ok((FASHION_LABELS as readonly string[]).includes(l.label!), `label ${l.label}`);
    t.equal(l.top.length, 3);
    t.equal(l.top[0]![0], l.label);
    t.ok(l.score > 0 && l.score <= 1);
  }
  const acc = lines.filter((l, i) => l.label === FASHION_LABELS[labels[i]!]).length / N;
  t.ok(acc >= 0.75, `accuracy on ${N} held-out images through the CLI: ${acc}`);
  // From stdin too, with --top and --threshold.
  const s = await runBin('classify', ['--top', '5', '--threshold', '0.999999'], { input: wlc });
  t.equal(s.code, 0, s.stderr);
  const sl = parseLines(s.stdout);
  t.equal(sl.length, N);
  t.ok(sl.some((l) => l.label === null), 'a threshold near 1 leaves some frames without a label');
  t.ok(sl.every((l) => l.top.length >= 1 && l.top.length <= 5));
});

t.test('bad input gives coded errors; a truncated stream still prints its complete records', { skip: skipGrey }, async (t) => {
  const { wlc } = await fmnistWlc();
  const garbage = await runBin('classify', [], { input: Buffer.from('this is not a walloc stream at all\n'.repeat(20)) });
  t.not(garbage.code, 0);
  t.match(garbage.stderr, /WALLOC_ERR_UNSUPPORTED_INPUT/);
  t.equal(garbage.stdout.length, 0);

  const badMagic = await runBin('classify', [], { input: Buffer.concat([Buffer.from('WLOX'), wlc.subarray(4)]) });
  t.not(badMagic.code, 0);
  t.match(badMagic.stderr, /WALLOC_ERR_/);

  // Cut in the middle of the stream: every complete record before the cut is printed, then the error.
  const cut = wlc.subarray(0, Math.floor(wlc.length * 0.55));
  const tr = await runBin('classify', [], { input: cut });
  t.not(tr.code, 0);
  t.match(tr.stderr, /WALLOC_ERR_CONTAINER_TRUNCATED/);
  const lines = parseLines(tr.stdout);
  t.ok(lines.length >= Math.floor(N * 0.5) && lines.length < N, `${lines.length} lines before the cut`);
  t.same(lines.map((l) => l.pts), lines.map((_, i) => i), 'in order, none missing');

  // A stream from another codec: refused, naming the codec.
  const rgb = Codec.load('rgb-16x-linear');
  const img = await readImage(join(packageRoot(), 'fixtures', 'images', 'coffee_255x171.jpg'));
  const other = writeWlc(rgb.header({ frames: 1 }), [await rgb.encodeFrame(img)]);
  const wrong = await runBin('classify', ['--model', 'fmnist-latent-resnet'], { input: other });
  t.not(wrong.code, 0);
  t.match(wrong.stderr, /WALLOC_ERR_CLASSIFIER_CODEC/);
  t.match(wrong.stderr, /rgb-16x-linear/);
  t.equal(wrong.stdout.length, 0);

  // --hop is for audio windows: on an image stream it is said, not ignored.
  const hop = await runBin('classify', ['--hop', '100'], { input: wlc });
  t.equal(hop.code, 2);
  t.match(hop.stderr, /--hop is for audio streams; this stream holds image frames \(one line each\) \[WALLOC_ERR_INVALID_ARGUMENT\]/);

  const missing = await runBin('classify', ['--model', 'no-such-classifier'], { input: wlc });
  t.match(missing.stderr, /WALLOC_ERR_MODEL_NOT_FOUND/);
  const badTop = await runBin('classify', ['--top', '0'], { input: wlc });
  t.equal(badTop.code, 2);
  t.match(badTop.stderr, /WALLOC_ERR_INVALID_ARGUMENT/);
});

const ffmpeg = findFfmpeg();
// The bare pipe uses walloc-encode's default RGB codec when a classifier for it is bundled.
const defaultCodec = defaultModel('image');
const pipeCodec = listBundledClassifiers().some((c) => c.config.codec?.name === defaultCodec) ? defaultCodec : 'rgb-16x-linear';
const rgbClassifier = listBundledClassifiers().find((c) => c.config.codec?.name === pipeCodec);
const skipPipe = !ffmpeg ? 'ffmpeg not found' : !hasFashionMnist() ? 'Fashion-MNIST is not installed' : !rgbClassifier ? 'no bundled classifier for rgb-16x-linear' : false;

t.test(`ffmpeg -i clip.mp4 -f yuv4mpegpipe - | walloc-encode | classify (${pipeCodec}): one line per frame`, { skip: skipPipe }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-classify-pipe-'));
  const test = loadFashionMnist('test', { limit: 32 });
  const next = rng(99);
  for (let i = 0; i < test.n; i++) {
    const f = colorFrame(test, i, [], next);
    const rgb = Buffer.alloc(64 * 64 * 3);
    for (let p = 0; p < 64 * 64; p++) for (let c = 0; c < 3; c++) rgb[p * 3 + c] = Math.round((f.data[c * 4096 + p]! + 0.5) * 255);
    await sharp(rgb, { raw: { width: 64, height: 64, channels: 3 } }).png().toFile(join(dir, `f${String(i).padStart(3, '0')}.png`));
  }
  const run = (args: string[]) => new Promise<{ code: number | null; err: string }>((resolve) => {
    const p = spawn(ffmpeg!.path, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('close', (code) => resolve({ code, err }));
  });
  const mk = await run(['-y', '-loglevel', 'error', '-framerate', '4', '-i', join(dir, 'f%03d.png'), '-c:v', 'libx264', '-crf', '12', '-pix_fmt', 'yuv444p', join(dir, 'clip.mp4')]);
  t.equal(mk.code, 0, mk.err);
  const bin = (name: string) => JSON.stringify(join(packageRoot(), 'dist', 'src', 'cli', 'bin', `${name}.js`));
  const q = (s: string) => JSON.stringify(s);
  const cmd = `${q(ffmpeg!.path)} -loglevel error -i ${q(join(dir, 'clip.mp4'))} -f yuv4mpegpipe - | ${q(process.execPath)} ${bin('walloc-encode')}${pipeCodec === defaultCodec ? '' : ' --model rgb-16x-linear'} | ${q(process.execPath)} ${bin('classify')} --top 2`;
  const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const p = spawn('bash', ['-o', 'pipefail', '-c', cmd]);
    let so = '';
    let se = '';
    p.stdout.on('data', (c: Buffer) => (so += c.toString()));
    p.stderr.on('data', (c: Buffer) => (se += c.toString()));
    p.on('close', (code) => resolve({ code, stdout: so, stderr: se }));
  });
  t.equal(out.code, 0, out.stderr);
  const lines = parseLines(Buffer.from(out.stdout));
  t.equal(lines.length, test.n, 'one JSON line per video frame');
  t.same(lines.map((l) => l.pts), lines.map((_, i) => i));
  for (const l of lines) t.equal(l.top.length, 2);
  const acc = lines.filter((l, i) => l.label === FASHION_LABELS[test.labels[i]!]).length / test.n;
  t.ok(acc >= 0.4, `accuracy through H.264 and y4m (chance 0.1; 66.9% on held-out photo backgrounds): ${acc}`);
});

t.test('classify: a token classifier on a latent stream is WALLOC_ERR_CLASSIFIER_CODEC; a negative value after a space says how to write it', async (t) => {
  const { runCommand } = await import('../../../src/cli/run.js');
  const { classifyCommand } = await import('../../../src/cli/classify.js');
  const dir = mkdtempSync(join(tmpdir(), 'walloc-cls-tok-'));
  const enc = await runBin('walloc-encode', [join(packageRoot(), 'fixtures', 'images', 'coffee_255x171.jpg'), '-o', join(dir, 'c.wlc'), '--model', 'rgb-16x-linear']);
  t.equal(enc.code, 0, enc.stderr);
  let io = memoryIo();
  t.equal(await runCommand(classifyCommand, [join(dir, 'c.wlc'), '-m', 'tokens-fmnist-k128'], io), 1);
  t.match(io.err(), /classifier "tokens-fmnist-k128" was trained on codec VQ-VAE tokens, but the stream uses rgb-16x-linear@\w+ latents \[WALLOC_ERR_CLASSIFIER_CODEC\]/);
  io = memoryIo();
  t.equal(await runCommand(classifyCommand, [join(dir, 'c.wlc'), '--top', '-1'], io), 2);
  t.match(io.err(), /--top needs a value; a value starting with a dash is written --top=-1 \[WALLOC_ERR_INVALID_ARGUMENT\]/);
});

t.test('classify on a stream with a header and no frame says there is nothing to classify', async (t) => {
  const codec = Codec.load(defaultModel('image'));
  const empty = writeWlc(codec.header({ frames: 0 }), []);
  const r = await runBin('classify', ['-'], { input: empty });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout.length, 0);
  t.match(r.stderr, /holds no frames: no line to print/);
});
