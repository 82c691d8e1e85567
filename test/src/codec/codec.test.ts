import t from 'tap';
import { join } from 'node:path';
import sharp from 'sharp';
import { Codec } from '../../../src/codec/codec.js';
import { makeFrame, type ImageFrame } from '../../../src/frame.js';
import { packageRoot } from '../../../src/paths.js';
import { readWlc, writeWlc } from '../../../src/container/index.js';
import { isWallocError } from '../../../src/errors.js';

async function photo(name: string): Promise<ImageFrame> {
  const { data, info } = await sharp(join(packageRoot(), 'fixtures', 'images', name)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const { width: w, height: h } = info;
  const out = new Float32Array(3 * w * h);
  for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) out[c * w * h + i] = data[i * 3 + c]! / 255 - 0.5;
  return makeFrame('image', [3, h, w], out, { pts: 0 });
}

function psnr8(a: Float32Array, b: Float32Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (Math.round((a[i]! + 0.5) * 255) - Math.round((b[i]! + 0.5) * 255)) ** 2;
  return 10 * Math.log10((255 * 255) / (se / a.length));
}

t.test('linear floor model: encode → .wlc → decode reproduces a real photo of odd size', async (t) => {
  const codec = Codec.load('rgb-16x-linear');
  const img = await photo('coffee_255x171.jpg');
  const packed = await codec.encodeFrame(img);
  t.equal(packed.kind, 'packed');
  const wlc = writeWlc(codec.header({ shape: [...img.shape] }), [packed]);
  const bpp = (8 * wlc.length) / (255 * 171);
  t.ok(bpp < 2.5, `a small photo codes to ${bpp.toFixed(2)} bpp including the header`);
  const { header, frames } = await readWlc(wlc);
  codec.checkHeader(header);
  const back = await codec.decodeFrame(frames[0]!);
  t.same(back.shape, [3, 171, 255], 'cropped back to the original size');
  const p = psnr8(img.data, back.data);
  t.ok(p > 24, `PSNR ${p.toFixed(2)} dB`);
  t.ok(back.data.every((v) => v >= -0.5 && v <= 0.5), 'output clamped to range');
});

t.test('encoding is deterministic (byte-identical packed output)', async (t) => {
  const codec = Codec.load('rgb-16x-linear');
  const img = await photo('chelsea_128x96.png');
  const a = await codec.encodeFrame(img);
  const b = await codec.encodeFrame(img);
  t.same(Buffer.from(a.data as Uint8Array), Buffer.from(b.data as Uint8Array));
});

t.test('a stream from another model is refused with a coded error', async (t) => {
  const codec = Codec.load('rgb-16x-linear');
  try {
    codec.checkHeader({ ...codec.header(), modelSha256: '0'.repeat(64) });
    t.fail('should throw');
  } catch (e) {
    t.ok(isWallocError(e, 'WALLOC_ERR_CONTAINER_MODEL'));
    // Same name, another checksum: the model was retrained since; say so and how to decode.
    t.match((e as Error).message, /^stream was made with model rgb-16x-linear@000000000000, not rgb-16x-linear@[0-9a-f]{12}; the rgb-16x-linear in .*rgb-16x-linear is another version, retrained since the stream was made: decode with the model folder that made it \(--model DIR\)$/);
  }
  t.throws(() => codec.checkHeader({ ...codec.header(), model: 'stereo-5x' }), { code: 'WALLOC_ERR_CONTAINER_MODEL', message: /^stream was made with model stereo-5x@[0-9a-f]{12}, not rgb-16x-linear@[0-9a-f]{12}$/ });
  // Codec fields that contradict the model (an edited header with a fresh CRC) are refused too.
  for (const edit of [{ levels: 30 }, { bits: 9 }, { latentDim: 1000 }, { wavelet: 'nonexistent' }, { modality: 'audio' as const }]) {
    t.throws(() => codec.checkHeader({ ...codec.header(), ...edit }), { code: 'WALLOC_ERR_CONTAINER_HEADER', message: new RegExp(Object.keys(edit)[0]!) });
  }
  codec.checkHeader(codec.header({ shape: [3, 10, 10] }));
});

t.test('frames made by another model are refused by the decoder itself (no header needed)', async (t) => {
  const img = await photo('coffee_255x171.jpg');
  const linear = Codec.load('rgb-16x-linear');
  const trained = Codec.load('rgb-16x');
  const packed = await linear.encodeFrame(img);
  t.match(packed.meta.model, /^rgb-16x-linear/);
  await t.rejects(trained.decodeFrame(packed), { code: 'WALLOC_ERR_CONTAINER_MODEL', message: /rgb-16x-linear.*rgb-16x@/ });
  const { Synthesizer } = await import('../../../src/stages/synthesis.js');
  const { dequantizeFrame } = await import('../../../src/stages/quantize.js');
  const syn = await Synthesizer.create(trained.model);
  t.throws(() => syn.decode(dequantizeFrame(linear.latents(img), { bits: 8 })), { code: 'WALLOC_ERR_CONTAINER_MODEL' });
  syn.dispose();
  // A model id names one version of a model: another checksum is another model.
  const { loadModel } = await import('../../../src/models/model-file.js');
  t.equal(loadModel(linear.model.id).sha256, linear.model.sha256);
  t.throws(() => loadModel('rgb-16x-linear@deadbeef0000'), { code: 'WALLOC_ERR_CONTAINER_MODEL' });
  trained.dispose();
});

t.test('the decoder net: built once for concurrent first calls, freed by dispose, rebuilt after', async (t) => {
  const { getTf } = await import('../../../src/models/backend.js');
  const { tf } = await getTf({});
  const codec = Codec.load('rgb-16x');
  const packed = await codec.encodeFrame(await photo('coffee_255x171.jpg'));
  const before = tf.memory().numTensors;
  const outs = await Promise.all([codec.decodeFrame(packed), codec.decodeFrame(packed), codec.decodeFrame(packed)]);
  t.same(outs[1]!.data, outs[0]!.data);
  const held = tf.memory().numTensors - before;
  t.ok(held > 0, `${held} tensors held by one net`);
  codec.dispose();
  t.equal(tf.memory().numTensors, before, 'dispose frees them all (three nets would leave two behind)');
  const again = await codec.decodeFrame(packed);
  t.same(again.data, outs[0]!.data, 'a decode after dispose builds the net again');
  codec.dispose();
  t.equal(tf.memory().numTensors, before);
  // dispose() while the first decode is building the net, or using it: the decode finishes, and
  // the net is freed once it has.
  const during = codec.decodeFrame(packed);
  codec.dispose();
  t.same((await during).data, outs[0]!.data, 'a decode in flight finishes');
  t.equal(tf.memory().numTensors, before, 'and its net is freed afterwards');
});

t.test('wrong arguments are coded errors when the codec or stage is made, not on the first frame', async (t) => {
  t.throws(() => Codec.load('rgb-16x-linear', { pack: { format: 'gif' as never } }), { code: 'WALLOC_ERR_PACK' });
  t.throws(() => Codec.load('rgb-16x-linear', { pack: { effort: 99 } }), { code: 'WALLOC_ERR_PACK' });
  t.throws(() => Codec.load(5 as never), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  const { pack } = await import('../../../transforms/pack.js');
  const { quantize } = await import('../../../transforms/quantize.js');
  t.throws(() => pack({ format: 'gif' as never }), { code: 'WALLOC_ERR_PACK' });
  t.throws(() => quantize({ bits: 99 }), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  const codec = Codec.load('rgb-16x-linear');
  await t.rejects(codec.encodeFrame(undefined as never), { code: 'WALLOC_ERR_FRAME_KIND', message: /got undefined/ });
  await t.rejects(codec.encodeFrame(Buffer.from('x') as never), { code: 'WALLOC_ERR_FRAME_KIND', message: /bytes \(a Buffer\)/ });
  const { readWlcSync: sync } = await import('../../../src/container/index.js');
  t.throws(() => sync('photo.wlc' as never), { code: 'WALLOC_ERR_INVALID_ARGUMENT', message: /readFileSync/ });
  // Audio at another rate than the model codes is refused, not silently coded at the wrong pitch.
  const audio = Codec.load('stereo-5x');
  const n = 8000;
  await t.rejects(audio.encodeFrame(makeFrame('audio', [2, n], new Float32Array(2 * n), { sampleRate: 8000 })), { code: 'WALLOC_ERR_MODEL_INPUT', message: /44100 Hz .*8000 Hz/ });
  t.equal((await audio.encodeFrame(makeFrame('audio', [2, n], new Float32Array(2 * n), { sampleRate: 44100 }))).kind, 'packed');
});

t.test('a large image decodes in tiles (bounded wasm memory) to what one pass gives', async (t) => {
  const { Synthesizer } = await import('../../../src/stages/synthesis.js');
  const codec = Codec.load('rgb-16x');
  const packed = await codec.encodeFrame(await photo('coffee_255x171.jpg'));
  const whole = await codec.decodeFrame(packed);
  const saved = Synthesizer.tile;
  Synthesizer.tile = 5; // latents are 22×32: tiles of 5×5, with margins, at every edge and corner
  try {
    const tiled = await codec.decodeFrame(packed);
    let worst = 0;
    for (let i = 0; i < whole.data.length; i++) worst = Math.max(worst, Math.abs(whole.data[i]! - tiled.data[i]!));
    t.ok(worst < 1e-5, `largest difference ${worst.toExponential(2)}`);
  } finally {
    Synthesizer.tile = saved;
    codec.dispose();
  }
});

t.test('wrong media for the model is a coded error', async (t) => {
  const codec = Codec.load('rgb-16x-linear');
  await t.rejects(codec.encodeFrame(makeFrame('image', [1, 16, 16], new Float32Array(256))), { code: 'WALLOC_ERR_FRAME_SHAPE' });
  await t.rejects(codec.encodeFrame(makeFrame('audio', [2, 64], new Float32Array(128))), { code: 'WALLOC_ERR_FRAME_KIND' });
});
