/**
 * Issue 11, item 4: determinism and portability on real fixtures.
 * - Encoding the same input twice gives byte-identical .wlc (photos in-process, a y4m clip through
 *   walloc-encode).
 * - A golden test pins the sha256 of the .wlc made from two fixture photos with rgb-16x-linear
 *   (and, separately, of its int8 latents), so that an accidental change of the format, the
 *   encoder maths or the WebP bytes fails CI. If it fails: latents changed → the codec changed;
 *   latents equal but .wlc changed → the container or the WebP encoder (sharp/libwebp) changed.
 * - Decoding is byte-identical on the wasm and cpu backends for the linear model (it runs no
 *   TensorFlow.js at all); for a learned (resnet) decoder the difference is measured and reported.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Codec } from '../../src/codec/codec.js';
import { readWlcSync, writeWlc } from '../../src/container/index.js';
import type { Frame, MediaFrame } from '../../src/frame.js';
import { readImage } from '../../src/io/image.js';
import { packageRoot } from '../../src/paths.js';
import { trainCodec, CODEC_TRAIN_DEFAULTS } from '../../src/train/codec-trainer.js';
import { unpackFrame } from '../../transforms/pack.js';
import { runBin } from '../helpers/io.js';

const fixture = (...p: string[]) => join(packageRoot(), 'fixtures', ...p);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const PHOTOS = ['chelsea_128x96.png', 'astronaut_97x131.png', 'coffee_255x171.jpg', 'nagasaki_201x133.jpg'];

/** The pinned bitstream (see the file comment before updating it). */
const GOLDEN = {
  photos: ['chelsea_128x96.png', 'astronaut_97x131.png'],
  wlcSha256: '6a3155924852e9351d942aa6144be9922a7abde68ea62f39ffbd84e6d9b817ef',
  latentsSha256: '52203de3badc2caaba7efaa216df9a6585d3100360448d7e3cb4b120b1200e6a',
};

async function encodePhotos(codec: Codec, names: string[]): Promise<Buffer> {
  const frames: Frame[] = [];
  for (const [i, name] of names.entries()) {
    const img = await readImage(fixture('images', name));
    frames.push(await codec.encodeFrame({ ...img, meta: { pts: i } }));
  }
  return writeWlc(codec.header({ frames: frames.length }), frames);
}

const codec = Codec.load('rgb-16x-linear');

t.test('encoding the same photo twice gives byte-identical .wlc', async (t) => {
  for (const name of PHOTOS) {
    const a = await encodePhotos(codec, [name]);
    const b = await encodePhotos(Codec.load('rgb-16x-linear'), [name]);
    t.ok(a.equals(b), `${name}: ${a.length} bytes, identical`);
  }
});

t.test('encoding the y4m clip twice with walloc-encode gives byte-identical .wlc', async (t) => {
  const clip = fixture('video', 'chelsea_pan_96x64.y4m');
  const a = await runBin('walloc-encode', [clip, '--model', 'rgb-16x-linear']);
  const b = await runBin('walloc-encode', [clip, '--model', 'rgb-16x-linear']);
  const c = await runBin('walloc-encode', ['-', '--model', 'rgb-16x-linear'], { input: readFileSync(clip) });
  for (const r of [a, b, c]) t.equal(r.code, 0, r.stderr);
  t.ok(readWlcSync(a.stdout).frames.length > 1, 'several frames');
  t.ok(a.stdout.equals(b.stdout), 'the same file twice: identical bytes');
  // The header names the source ("source": file name or "stdin"); every record after it is the same.
  const records = (w: Buffer) => w.subarray(13 + w.readUInt32LE(5));
  t.ok(records(a.stdout).equals(records(c.stdout)), 'file and pipe: identical records');
});

t.test('golden bitstream: two fixture photos with rgb-16x-linear', async (t) => {
  const wlc = await encodePhotos(codec, GOLDEN.photos);
  const latents = [];
  for (const f of readWlcSync(wlc).frames) latents.push(Buffer.from((await unpackFrame(f)).data.buffer));
  t.equal(sha(Buffer.concat(latents)), GOLDEN.latentsSha256, 'int8 latents (the codec maths)');
  t.equal(sha(wlc), GOLDEN.wlcSha256, `.wlc bytes (${wlc.length}: container + WebP)`);
});

function maxDiff(a: MediaFrame, b: MediaFrame): { float: number; bytes: number } {
  let float = 0;
  let bytes = 0;
  const q = (v: number) => Math.round((v + 0.5) * 255);
  for (let i = 0; i < a.data.length; i++) {
    float = Math.max(float, Math.abs(a.data[i]! - b.data[i]!));
    bytes = Math.max(bytes, Math.abs(q(a.data[i]!) - q(b.data[i]!)));
  }
  return { float, bytes };
}

async function decodeOn(modelDir: string, backend: string, wlc: Buffer): Promise<MediaFrame[]> {
  const c = Codec.load(modelDir, { backend });
  try {
    const out: MediaFrame[] = [];
    for (const f of readWlcSync(wlc).frames) out.push(await c.decodeFrame(f));
    return out;
  } finally {
    c.dispose();
  }
}

t.test('linear model: wasm and cpu decodes are byte-identical', async (t) => {
  const wlc = await encodePhotos(codec, GOLDEN.photos);
  const dir = codec.model.dir!;
  const a = await decodeOn(dir, 'wasm', wlc);
  const b = await decodeOn(dir, 'cpu', wlc);
  for (let i = 0; i < a.length; i++) t.ok(Buffer.from(a[i]!.data.buffer).equals(Buffer.from(b[i]!.data.buffer)), `frame ${i}: identical float32 output`);
});

t.test('learned (resnet) decoder: wasm vs cpu difference is measured', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'walloc-tiny-'));
  const model = await trainCodec({
    ...CODEC_TRAIN_DEFAULTS, data: fixture('images'), out, name: 'tiny-resnet', crop: 32, batch: 2, pcaCrops: 32,
    width: 8, blocks: 1, steps: 2, log: () => {},
  });
  t.equal(model.config.decoder.type, 'resnet');
  const tiny = Codec.fromModel(model);
  const wlc = await encodePhotos(tiny, GOLDEN.photos);
  const dir = model.dir ?? out;
  const a = await decodeOn(dir, 'wasm', wlc);
  const b = await decodeOn(dir, 'cpu', wlc);
  let worst = { float: 0, bytes: 0 };
  let identical = true;
  for (let i = 0; i < a.length; i++) {
    const d = maxDiff(a[i]!, b[i]!);
    worst = { float: Math.max(worst.float, d.float), bytes: Math.max(worst.bytes, d.bytes) };
    identical &&= Buffer.from(a[i]!.data.buffer).equals(Buffer.from(b[i]!.data.buffer));
  }
  t.comment(`resnet decoder wasm vs cpu: ${identical ? 'bit-identical' : 'not bit-identical'}; max |Δ| ${worst.float.toExponential(2)} in float, ${worst.bytes} in 8-bit output`);
  t.ok(worst.float < 1e-3, 'float32 differences stay at rounding level');
  t.ok(worst.bytes <= 1, 'at most one 8-bit level apart');
});
