import t from 'tap';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readWlc, writeWlc } from '../../src/container/index.js';
import { makeFrame, type Frame } from '../../src/frame.js';
import { greyFrame } from '../../src/classify/fashion-mnist.js';
import { loadVqDataset } from '../../src/vq/datasets.js';
import { VqCodec } from '../../src/vq/vq-codec.js';
import { packTokensFrame, unpackTokensFrame, unvq, vq, vqHeader, vqpack, vqunpack, VectorQuantizer, vqEncodeFrame } from '../../transforms/vq.js';
import { collector } from '../filters/helpers.js';
import { smallVqModel } from '../src/vq/helpers.js';

t.test('vq → vqpack → .wlc → vqunpack gives the exact tokens, and unvq decodes them', async (t) => {
  const model = await smallVqModel(16, 3);
  const codec = await VqCodec.load(model);
  const set = loadVqDataset('mnist', 'test', { limit: 12 });
  const images = Array.from({ length: set.n }, (_, i) => greyFrame(set, i));
  const tokens = collector();
  await pipeline(Readable.from(images), vq(codec), tokens);
  t.equal(tokens.frames.length, 12);
  const first = tokens.frames[0]!;
  t.equal(first.kind, 'tokens');
  t.same([...first.shape], [7, 7]);
  t.ok(first.data instanceof Uint16Array);
  t.ok(new Set(tokens.frames.flatMap((f) => [...f.data])).size > 1, 'tokens depend on the image');
  // The batched codec path and the per-frame stage agree token for token.
  t.same([...codec.encode(Float32Array.from(images[3]!.data, (v) => v + 0.5), 1)], [...tokens.frames[3]!.data]);

  const packed = collector();
  await pipeline(Readable.from(tokens.frames), vqpack(), packed);
  t.ok(packed.frames.every((f) => f.kind === 'packed' && f.data.length <= 1 + Math.ceil((49 * 4) / 8)), 'K = 16: at most 4 bits per token (+1 coder byte)');
  const bytes = writeWlc(vqHeader(model), packed.frames);
  const { header, frames } = await readWlc(bytes);
  t.equal(header.tokensSha256, model.config.tokensSha256);
  t.equal(header.codebook, 16);
  const back = collector();
  await pipeline(Readable.from(frames), vqunpack(), back);
  for (let i = 0; i < 12; i++) {
    t.same([...back.frames[i]!.data], [...tokens.frames[i]!.data], `frame ${i}: tokens bit-exact`);
    t.same([...back.frames[i]!.shape], [7, 7]);
  }
  const decoded = collector();
  await pipeline(Readable.from(back.frames), unvq(codec), decoded);
  const img = decoded.frames[0]!;
  t.equal(img.kind, 'image');
  t.same([...img.shape], [1, 28, 28]);
  t.ok([...img.data].every((v) => v >= -0.5 && v <= 0.5), 'decoded pixels in [-0.5, 0.5]');
  // Decoding the tokens through the tfjs graph (one-hot embedding) gives the same image as the TS lookup.
  const tf = codec.tf;
  const viaTf = codec.decodeTensor(tf.tensor1d(Int32Array.from(back.frames[0]!.data), 'int32'), 1);
  const ref = viaTf.dataSync();
  viaTf.dispose();
  let maxErr = 0;
  for (let i = 0; i < 784; i++) maxErr = Math.max(maxErr, Math.abs(ref[i]! - 0.5 - img.data[i]!));
  t.ok(maxErr < 1e-5, `TS lookup = tfjs embedding (max err ${maxErr})`);
  codec.dispose();
});

t.test('bad token streams and frames give coded errors', async (t) => {
  const model = await smallVqModel(16, 0);
  const q = VectorQuantizer.fromModel(model);
  const good = makeFrame('tokens', [7, 7], Uint16Array.from({ length: 49 }, (_, i) => i % 16), q.tokensMeta({}));
  const packed = packTokensFrame(good);
  t.same([...unpackTokensFrame(packed).data], [...good.data]);
  // index ≥ K
  t.throws(() => q.dequantize(makeFrame('tokens', [7, 7], Uint16Array.from({ length: 49 }, (_, i) => (i === 5 ? 16 : 0)), q.tokensMeta({}))), { code: 'WALLOC_ERR_VQ_TOKEN', message: /token 16 at index 5/ });
  t.throws(() => packTokensFrame(makeFrame('tokens', [1], Uint16Array.of(40), q.tokensMeta({}))), { code: 'WALLOC_ERR_VQ_TOKEN' });
  // truncated body, through a whole container round trip
  const cut = makeFrame('packed', [packed.data.length - 1], packed.data.subarray(0, packed.data.length - 1), packed.meta) as Frame;
  const { frames } = await readWlc(writeWlc(vqHeader(model), [cut]));
  t.throws(() => unpackTokensFrame(frames[0]!), { code: 'WALLOC_ERR_VQ_STREAM' });
  // a packed frame whose description says K = 8 (3 bits) cannot hold its 4-bit tokens
  const info = (packed.meta.extra as { vq: Record<string, unknown> }).vq;
  const lying = makeFrame('packed', packed.shape, packed.data, { ...packed.meta, extra: { vq: { ...info, codebook: 8, bits: 3 } } }) as Frame;
  t.throws(() => unpackTokensFrame(lying), { code: 'WALLOC_ERR_VQ_STREAM' });
  t.throws(() => unpackTokensFrame(makeFrame('packed', [3], Uint8Array.of(0, 1, 2), {}) as Frame), { code: 'WALLOC_ERR_VQ_STREAM', message: /meta.extra.vq/ });
  // tokens of another codebook
  const other = await smallVqModel(16, 0, 4);
  const foreign = VectorQuantizer.fromModel(other).tokensMeta({});
  t.throws(() => q.dequantize(makeFrame('tokens', [7, 7], new Uint16Array(49), foreign)), { code: 'WALLOC_ERR_VQ_MODEL' });
  // wrong kinds and shapes
  const codec = await VqCodec.load(model);
  t.throws(() => vqEncodeFrame(makeFrame('image', [3, 28, 28], new Float32Array(3 * 784)), codec), { code: 'WALLOC_ERR_FRAME_SHAPE', message: /grey/ });
  t.throws(() => q.quantize(makeFrame('latent', [8, 7, 7], new Float32Array(8 * 49))), { code: 'WALLOC_ERR_FRAME_SHAPE' });
  t.throws(() => q.quantize(makeFrame('image', [1, 2, 2], new Float32Array(4))), { code: 'WALLOC_ERR_FRAME_KIND' });
  codec.dispose();
});
