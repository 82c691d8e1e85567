import t from 'tap';
import fc from 'fast-check';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Analysis, LinearSynthesis, analysis, analysisFrame, linearSynthesis, linearSynthesisFrame, project } from '../../transforms/analysis.js';
import { quantizeFrame } from '../../transforms/quantize.js';
import { makeFrame, type Frame } from '../../src/frame.js';
import { erf } from '../../src/math/normal.js';
import { latentMax } from '../../src/stages/companding.js';

/** Deterministic pseudo-random floats in [-1, 1). */
function rand(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** The naive reference: one dot product per output value, float64 (and Σ|terms| for error bounds). */
function naive(x: Float32Array, M: number, W: Float32Array, b: Float32Array | undefined, N: number, abs?: Float64Array): Float64Array {
  const P = x.length / M;
  const out = new Float64Array(N * P);
  for (let n = 0; n < N; n++) {
    for (let p = 0; p < P; p++) {
      let s = b === undefined ? 0 : (b[n] as number);
      let a = Math.abs(s);
      for (let m = 0; m < M; m++) {
        const term = (W[n * M + m] as number) * (x[m * P + p] as number);
        s += term;
        a += Math.abs(term);
      }
      out[n * P + p] = s;
      if (abs) abs[n * P + p] = a;
    }
  }
  return out;
}

/** float32 rounding unit. */
const U32 = 2 ** -24;

t.test('project matches a naive reference for many shapes', (tt) => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 700 }), fc.integer(), fc.boolean(),
    (M, N, P, seed, withBias) => {
      const x = rand(M * P, seed);
      const W = rand(N * M, seed + 1);
      const b = withBias ? rand(N, seed + 2) : undefined;
      const abs = new Float64Array(N * P);
      const want = naive(x, M, W, b, N, abs);
      const js = project(x, M, W, b, N, undefined, false);
      const simd = project(x, M, W, b, N);
      for (let i = 0; i < js.length; i++) {
        // JS loop: float64 accumulation, one float32 rounding at the end.
        if (Math.abs((js[i] as number) - (want[i] as number)) > 1e-6 * (1 + Math.abs(want[i] as number))) return false;
        // SIMD kernel: float32 accumulation, the textbook bound (M + 1)·u·Σ|terms| plus the final rounding.
        if (Math.abs((simd[i] as number) - (want[i] as number)) > (M + 1) * U32 * (abs[i] as number) + U32 * Math.abs(want[i] as number)) return false;
      }
      return true;
    },
  ), { numRuns: 150 });
  // The real shape: 192 → 12 at a 40×24 grid, and a sparse weight (zero rows are skipped).
  const x = rand(192 * 960, 7);
  const W = rand(12 * 192, 8);
  for (let i = 0; i < 192 * 4; i++) W[i] = 0;
  const b = rand(12, 9);
  const got = project(x, 192, W, b, 12);
  const want = naive(x, 192, W, b, 12);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs((got[i] as number) - (want[i] as number)));
  tt.ok(worst < 1e-5, `192→12 worst ${worst}`);
  tt.equal(got[0], Math.fround(b[0] as number), 'zero rows give the bias');
  tt.end();
});

t.test('project validates sizes', (tt) => {
  tt.throws(() => project(new Float32Array(5), 2, new Float32Array(2), undefined, 1), { code: 'WALLOC_ERR_FRAME_SHAPE' });
  tt.throws(() => project(new Float32Array(4), 2, new Float32Array(3), undefined, 1), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.throws(() => project(new Float32Array(4), 2, new Float32Array(2), new Float32Array(2), 1), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.throws(() => project(new Float32Array(4), 2, new Float32Array(2), undefined, 1, new Float32Array(3)), { code: 'WALLOC_ERR_FRAME_SHAPE' });
  tt.end();
});

const M = 48;
const N = 6;
const spatial = [5, 7];
const P = 35;
const weight = rand(N * M, 11);
const bias = rand(N, 12);
const scale = Float32Array.from([0.5, 1, 2, 3, 4, 5]);
const coeffs = makeFrame('coeffs', [M, ...spatial], rand(M * P, 13).map((v) => v * 3), {
  source: 'image', sourceShape: [3, 20, 28], pad: [[0, 0], [0, 0]], levels: 2, wavelet: 'bior4.4',
});

t.test('Analysis.encode = companding of the projection, per-channel scale', (tt) => {
  const enc = Analysis.fromConfig({ weight, bias, inChannels: M, latentDim: N, bits: 8, scale, model: 'test-model' });
  const latent = enc.encode(coeffs);
  tt.equal(latent.kind, 'latent');
  tt.same(latent.shape, [N, ...spatial]);
  tt.ok(latent.data instanceof Float32Array);
  tt.same(latent.meta, { ...coeffs.meta, bits: 8, model: 'test-model' });
  const y = naive(coeffs.data, M, weight, bias, N);
  let worst = 0;
  for (let n = 0; n < N; n++) {
    for (let p = 0; p < P; p++) {
      const want = latentMax(8) * erf((y[n * P + p] as number) / ((scale[n] as number) * Math.SQRT2));
      worst = Math.max(worst, Math.abs((latent.data[n * P + p] as number) - want));
    }
  }
  // float32 accumulation of 48 terms (SIMD kernel), times the companding slope (up to ~200 at scale 0.5)
  tt.ok(worst < 2e-3, `worst ${worst}`);
  tt.ok(latent.data.every((v) => Math.abs(v) <= Math.fround(latentMax(8))), "inside ±latent_max (in float32)");
  // analysisFrame with a plain config gives the same.
  tt.same(Array.from(analysisFrame(coeffs, { weight, bias, inChannels: M, latentDim: N, bits: 8, scale }).data), Array.from(latent.data));
  tt.end();
});

t.test('getConfig / fromConfig / JSON round trips', (tt) => {
  const enc = Analysis.fromConfig({ weight, bias, inChannels: M, latentDim: N, bits: 6, scale, model: 'm' });
  const cfg = enc.getConfig();
  tt.same(Array.from(cfg.weight), Array.from(weight));
  tt.same(Array.from(cfg.bias), Array.from(bias));
  tt.same(Array.from(cfg.scale as Float32Array), Array.from(scale));
  tt.same({ ...cfg, weight: 0, bias: 0, scale: 0 }, { weight: 0, bias: 0, scale: 0, inChannels: M, latentDim: N, bits: 6, model: 'm' });
  cfg.weight[0] = 1234; // a copy: the encoder does not change
  tt.not(enc.getConfig().weight[0], 1234);
  const again = Analysis.fromConfig(enc.getConfig());
  tt.same(Array.from(again.encode(coeffs).data), Array.from(enc.encode(coeffs).data));
  const viaJSON = Analysis.fromConfig(JSON.parse(JSON.stringify(enc)) as Parameters<typeof Analysis.fromConfig>[0]);
  tt.same(Array.from(viaJSON.encode(coeffs).data), Array.from(enc.encode(coeffs).data), 'JSON round trip is exact');
  const scalar = Analysis.fromConfig({ weight, bias, inChannels: M, latentDim: N, bits: 8, scale: 2 });
  tt.equal(scalar.getConfig().scale, 2);
  tt.equal(scalar.getConfig().model, undefined);
  tt.end();
});

t.test('config validation', (tt) => {
  const ok = { weight, bias, inChannels: M, latentDim: N, bits: 8, scale: 1 };
  tt.throws(() => Analysis.fromConfig({ ...ok, weight: weight.subarray(1) }), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.throws(() => Analysis.fromConfig({ ...ok, bias: new Float32Array(2) }), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.throws(() => Analysis.fromConfig({ ...ok, bits: 9 }), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.throws(() => Analysis.fromConfig({ ...ok, scale: -1 }), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.throws(() => Analysis.fromConfig({ ...ok, scale: [1, 2] }), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.throws(() => Analysis.fromConfig({ ...ok, latentDim: 0 }), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  const nan = weight.slice();
  nan[3] = NaN;
  tt.throws(() => Analysis.fromConfig({ ...ok, weight: nan }), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  const enc = Analysis.fromConfig(ok);
  tt.throws(() => enc.encode(makeFrame('coeffs', [M + 1, 2], new Float32Array(2 * (M + 1)))), { code: 'WALLOC_ERR_FRAME_SHAPE' });
  tt.throws(() => enc.encode(makeFrame('image', [3, 2, 2], new Float32Array(12))), { code: 'WALLOC_ERR_FRAME_KIND' });
  tt.end();
});

t.test('linearSynthesis inverts an orthonormal encoder up to quantization', (tt) => {
  // An orthonormal basis of R^4 (Haar-like); encoder = all 4 rows, decoder = its transpose.
  const h = 0.5;
  const E = Float32Array.from([h, h, h, h, h, h, -h, -h, h, -h, h, -h, h, -h, -h, h]);
  const D = new Float32Array(16);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) D[j * 4 + i] = E[i * 4 + j] as number;
  const mean = Float32Array.from([0.1, -0.2, 0.3, 0]);
  const encBias = new Float32Array(4);
  for (let n = 0; n < 4; n++) for (let m = 0; m < 4; m++) encBias[n] = (encBias[n] as number) - (E[n * 4 + m] as number) * (mean[m] as number);
  const sc = Float32Array.from([2, 1, 1, 1]);
  const enc = Analysis.fromConfig({ weight: E, bias: encBias, inChannels: 4, latentDim: 4, bits: 8, scale: sc });
  const dec = LinearSynthesis.fromConfig({ weight: D, bias: mean, latentDim: 4, outChannels: 4, bits: 8, scale: sc });
  const x = makeFrame('coeffs', [4, 3, 30], rand(360, 5), { source: 'image', levels: 1 });
  // Unquantized: exact inverse up to float32.
  const back = dec.decode(enc.encode(x));
  tt.equal(back.kind, 'coeffs');
  tt.same(back.shape, [4, 3, 30]);
  tt.same(back.meta, { source: 'image', levels: 1 });
  let worst = 0;
  for (let i = 0; i < 360; i++) worst = Math.max(worst, Math.abs((back.data[i] as number) - (x.data[i] as number)));
  tt.ok(worst < 1e-5, `float round trip worst ${worst}`);
  // Quantized: error bounded by half a step at the steepest point of ToNormal.
  const q = quantizeFrame(enc.encode(x));
  const backQ = linearSynthesisFrame(q, dec);
  let worstQ = 0;
  for (let i = 0; i < 360; i++) worstQ = Math.max(worstQ, Math.abs((backQ.data[i] as number) - (x.data[i] as number)));
  tt.ok(worstQ < 0.05, `int8 round trip worst ${worstQ}`);
  tt.ok(worstQ > 0, 'quantization did something');
  // Round trip of the decoder config.
  const dec2 = LinearSynthesis.fromConfig(JSON.parse(JSON.stringify(dec)) as Parameters<typeof LinearSynthesis.fromConfig>[0]);
  tt.same(Array.from(dec2.decode(q).data), Array.from(backQ.data));
  tt.same(Array.from(LinearSynthesis.fromConfig(dec.getConfig()).decode(q).data), Array.from(backQ.data));
  tt.throws(() => dec.decode(makeFrame('latent', [4, 2], new Int8Array(8), { bits: 4 })), { code: 'WALLOC_ERR_FRAME_SHAPE' });
  tt.throws(() => dec.decode(makeFrame('latent', [3, 2], new Int8Array(6))), { code: 'WALLOC_ERR_FRAME_SHAPE' });
  tt.end();
});

t.test('analysis and linearSynthesis streams', async (tt) => {
  const cfg = { weight, bias, inChannels: M, latentDim: N, bits: 8, scale };
  const D = rand(M * N, 99);
  const out: Frame[] = [];
  await pipeline(
    Readable.from([coeffs, coeffs]),
    analysis(cfg),
    linearSynthesis({ weight: D, bias: new Float32Array(M), latentDim: N, outChannels: M, bits: 8, scale }),
    new Writable({ objectMode: true, write(f: Frame, _e, cb) { out.push(f); cb(); } }),
  );
  tt.equal(out.length, 2);
  tt.equal(out[0]!.kind, 'coeffs');
  tt.same(out[0]!.shape, coeffs.shape);
  await tt.rejects(pipeline(Readable.from([makeFrame('latent', [1, 1], new Float32Array(1))]), analysis(cfg), new Writable({ objectMode: true, write(_f, _e, cb) { cb(); } })), { code: 'WALLOC_ERR_FRAME_KIND' });
});

t.test('encode → quantize → pack → unpack → dequantize → linear decode, through streams', async (tt) => {
  const { quantize, dequantize } = await import('../../transforms/quantize.js');
  const { pack, unpack } = await import('../../transforms/pack.js');
  const enc = Analysis.fromConfig({ weight, bias, inChannels: M, latentDim: N, bits: 8, scale });
  const dec = LinearSynthesis.fromConfig({ weight: rand(M * N, 5), bias: new Float32Array(M), latentDim: N, outChannels: M, bits: 8, scale });
  const direct = dec.decode(quantizeFrame(enc.encode(coeffs)));
  const out: Frame[] = [];
  await pipeline(
    Readable.from([coeffs]), analysis(enc), quantize(), pack({ format: 'webp' }), unpack(), dequantize(), linearSynthesis(dec),
    new Writable({ objectMode: true, write(f: Frame, _e, cb) { out.push(f); cb(); } }),
  );
  tt.equal(out.length, 1);
  tt.same(out[0]!.meta, coeffs.meta, 'meta survives the whole chain');
  tt.same(Array.from(out[0]!.data), Array.from(direct.data), 'identical to decoding the int8 latents directly');
});

t.test('analysis() takes a model by name or loaded, and encodes as the codec does', async (tt) => {
  const { Codec } = await import('../../src/codec/codec.js');
  const { loadModel } = await import('../../src/models/model-file.js');
  const { wptForward } = await import('../../transforms/wpt.js');
  const { readImage } = await import('../../src/io/image.js');
  const { IMAGES } = await import('../src/io/util.js');
  const { join } = await import('node:path');
  const codec = Codec.load('rgb-16x-linear');
  const coeffs = wptForward(await readImage(join(IMAGES, 'chelsea_128x96.png')), { levels: 3 });
  const want = codec.analysis.encode(coeffs).data;
  for (const m of ['rgb-16x-linear', loadModel('rgb-16x-linear')]) {
    const out: Frame[] = [];
    await pipeline(Readable.from([coeffs]), analysis(m), new Writable({ objectMode: true, write(f: Frame, _e, cb) { out.push(f); cb(); } }));
    tt.same(out[0]!.data, want, typeof m === 'string' ? 'by name' : 'loaded');
  }
  tt.throws(() => analysis('no-such-model'), { code: 'WALLOC_ERR_MODEL_NOT_FOUND' });
});
