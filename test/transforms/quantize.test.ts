import t from 'tap';
import fc from 'fast-check';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  addQuantNoise, dequantize, dequantizeArray, dequantizeFrame, quantize, quantizeArray, quantizeFrame, roundHalfEven,
} from '../../transforms/quantize.js';
import { makeFrame, type Frame } from '../../src/frame.js';

t.test('round half to even', (tt) => {
  const cases: Array<[number, number]> = [
    [0.5, 0], [1.5, 2], [2.5, 2], [3.5, 4], [-0.5, 0], [-1.5, -2], [-2.5, -2], [-3.5, -4],
    [0.49999997, 0], [0.50000006, 1], [2.4, 2], [2.6, 3], [-2.6, -3], [126.5, 126], [-126.5, -126], [127.4, 127], [0, 0],
  ];
  for (const [x, want] of cases) tt.equal(roundHalfEven(x) + 0, want, `round(${x})`);
  const q = quantizeArray(new Float32Array(cases.map(([x]) => x)), 8);
  tt.same(Array.from(q), cases.map(([, w]) => w), 'array path agrees');
  tt.end();
});

t.test('roundHalfEven agrees with a reference on all float32 values', (tt) => {
  // Reference: floor, then compare the remainder with one half exactly.
  const ref = (x: number): number => {
    const f = Math.floor(x);
    const d = x - f;
    if (d < 0.5) return f;
    if (d > 0.5) return f + 1;
    return f % 2 === 0 ? f : f + 1;
  };
  fc.assert(fc.property(fc.float({ min: -1e6, max: 1e6, noNaN: true }), (x) => roundHalfEven(x) === ref(x) || (roundHalfEven(x) === 0 && ref(x) === 0)), { numRuns: 5000 });
  fc.assert(fc.property(fc.integer({ min: -1000, max: 1000 }), (k) => roundHalfEven(k + 0.5) === ref(k + 0.5)), { numRuns: 500 });
  tt.pass('agrees');
  tt.end();
});

t.test('range: NaN and ±Infinity always throw; out of range throws unless saturate', (tt) => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    tt.throws(() => quantizeArray(new Float32Array([1, bad]), 8), { code: 'WALLOC_ERR_QUANTIZE_RANGE' });
    tt.throws(() => quantizeArray(new Float32Array([bad]), 8, { saturate: true }), { code: 'WALLOC_ERR_QUANTIZE_RANGE' });
  }
  tt.same(Array.from(quantizeArray(new Float32Array([127.499, -127.499]), 8)), [127, -127]);
  tt.throws(() => quantizeArray(new Float32Array([127.5]), 8), { code: 'WALLOC_ERR_QUANTIZE_RANGE' });
  tt.throws(() => quantizeArray(new Float32Array([7.6]), 4), { code: 'WALLOC_ERR_QUANTIZE_RANGE' });
  tt.same(Array.from(quantizeArray(new Float32Array([300, -1e9, 7.6]), 4, { saturate: true })), [7, -7, 7]);
  tt.throws(() => dequantizeArray(new Int8Array([-128]), 8), { code: 'WALLOC_ERR_QUANTIZE_RANGE' });
  tt.throws(() => dequantizeArray(new Int8Array([8]), 4), { code: 'WALLOC_ERR_QUANTIZE_RANGE' });
  tt.throws(() => quantizeArray(new Float32Array(2), 8, {}, new Int8Array(3)), { code: 'WALLOC_ERR_FRAME_SHAPE' });
  tt.end();
});

t.test('quantize then dequantize is within 0.5 of the input; dequantize then quantize is exact', (tt) => {
  fc.assert(fc.property(fc.array(fc.float({ min: Math.fround(-127.499), max: Math.fround(127.499), noNaN: true }), { minLength: 1, maxLength: 200 }), (xs) => {
    const u = Float32Array.from(xs);
    const q = quantizeArray(u, 8);
    const d = dequantizeArray(q, 8);
    for (let i = 0; i < u.length; i++) if (Math.abs((d[i] as number) - (u[i] as number)) > 0.5) return false;
    return quantizeArray(d, 8).every((v, i) => v === q[i]);
  }), { numRuns: 300 });
  tt.pass('holds');
  tt.end();
});

t.test('addQuantNoise adds U(-0.5, 0.5)', (tt) => {
  let seed = 1;
  const lcg = (): number => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const u = new Float32Array(20000).fill(10);
  const n = addQuantNoise(u, lcg);
  let mean = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of n) { mean += v; lo = Math.min(lo, v); hi = Math.max(hi, v); }
  mean /= n.length;
  tt.ok(lo >= 9.5 && hi <= 10.5, `range [${lo}, ${hi}]`);
  tt.ok(Math.abs(mean - 10) < 0.01, `mean ${mean}`);
  tt.ok(lo < 9.51 && hi > 10.49, 'covers the interval');
  tt.equal(addQuantNoise(u, lcg, u), u, 'in place');
  tt.end();
});

t.test('frame functions and stages', async (tt) => {
  const meta = { bits: 8, source: 'image' as const, levels: 3, sourceShape: [3, 16, 16] };
  const f = makeFrame('latent', [2, 1, 2], new Float32Array([0.5, 1.5, -0.5, -2.5]), meta);
  const q = quantizeFrame(f);
  tt.ok(q.data instanceof Int8Array);
  tt.same(Array.from(q.data), [0, 2, 0, -2]);
  tt.same(q.meta, meta);
  tt.same(q.shape, [2, 1, 2]);
  const d = dequantizeFrame(q);
  tt.ok(d.data instanceof Float32Array);
  tt.same(Array.from(d.data), [0, 2, 0, -2]);
  tt.throws(() => quantizeFrame(q), { code: 'WALLOC_ERR_FRAME_KIND' });
  tt.throws(() => dequantizeFrame(f), { code: 'WALLOC_ERR_FRAME_KIND' });
  tt.throws(() => quantizeFrame(makeFrame('coeffs', [1], new Float32Array(1))), { code: 'WALLOC_ERR_FRAME_KIND' });
  const q4 = quantizeFrame(makeFrame('latent', [1, 2], new Float32Array([3.5, -6.6])), { bits: 4 });
  tt.equal(q4.meta.bits, 4);
  tt.same(Array.from(q4.data), [4, -7]);

  const out: Frame[] = [];
  await pipeline(
    Readable.from([f, f]),
    quantize(),
    dequantize(),
    new Writable({ objectMode: true, write(fr: Frame, _e, cb) { out.push(fr); cb(); } }),
  );
  tt.equal(out.length, 2);
  tt.same(Array.from(out[0]!.data), [0, 2, 0, -2]);
  await tt.rejects(pipeline(Readable.from([makeFrame('latent', [1], new Float32Array([NaN]))]), quantize(), new Writable({ objectMode: true, write(_f, _e, cb) { cb(); } })), { code: 'WALLOC_ERR_QUANTIZE_RANGE' });
});
