import t from 'tap';
import fc from 'fast-check';
import {
  channelScales, defaultScale, fitScale, latentMax, maxLevel, toNormal, toNormalValue, toUniform, toUniformValue,
} from '../../../src/stages/companding.js';
import { normalCdf, normalQuantile } from '../../../src/math/normal.js';
import { isWallocError } from '../../../src/errors.js';

t.test('constants match walloc.md section 3', (tt) => {
  tt.equal(latentMax(8), 127.499);
  tt.ok(Math.abs(latentMax(4) - 7.499) < 1e-12);
  tt.equal(maxLevel(8), 127);
  tt.equal(maxLevel(4), 7);
  tt.ok(Math.abs(defaultScale(8) - 68.6486) < 1e-4);
  tt.ok(Math.abs(defaultScale(4) - 3.7838) < 1e-4);
  for (const bad of [1, 9, 7.5, NaN]) tt.throws(() => latentMax(bad), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.end();
});

t.test('toUniform is the reference formula 2·L·(Φ(y/s) − 0.5)', (tt) => {
  for (const bits of [4, 8]) {
    const s = defaultScale(bits);
    const L = latentMax(bits);
    for (const y of [-400, -100, -3.7, -0.01, 0, 1e-6, 2, 55, 200]) {
      const want = 2 * L * (normalCdf(y / s) - 0.5);
      tt.ok(Math.abs(toUniformValue(y, bits, s) - want) <= 1e-12 * L, `b=${bits} y=${y}`);
    }
  }
  tt.end();
});

t.test('toNormal is the reference formula s·Φ⁻¹(clamp(u/2L + 0.5, 1e-4, 0.9999))', (tt) => {
  for (const bits of [4, 8]) {
    const s = defaultScale(bits);
    const L = latentMax(bits);
    for (let q = -(2 ** (bits - 1) - 1); q <= 2 ** (bits - 1) - 1; q++) {
      const p = Math.min(0.9999, Math.max(0.0001, q / (2 * L) + 0.5));
      const want = s * normalQuantile(p);
      tt.ok(Math.abs(toNormalValue(q, bits, s) - want) <= 1e-12 * s, `b=${bits} q=${q}`);
    }
    // The clamp: |y| never exceeds 3.719·scale.
    tt.ok(Math.abs(toNormalValue(L, bits, s) / s - 3.7190164854557) < 1e-9);
  }
  tt.end();
});

t.test('companding inverse accuracy: toNormal(toUniform(y)) = y inside the clamp', (tt) => {
  fc.assert(fc.property(
    fc.integer({ min: 2, max: 8 }), fc.double({ min: 0.01, max: 1000, noNaN: true }), fc.double({ min: -3.6, max: 3.6, noNaN: true }),
    (bits, s, z) => {
      const y = z * s;
      const back = toNormalValue(toUniformValue(y, bits, s), bits, s);
      // Relative 1e-12 of the value, plus an absolute floor near zero.
      return Math.abs(back - y) <= 1e-12 * Math.abs(y) + 1e-14 * s;
    },
  ), { numRuns: 3000 });
  // Array versions in float32: error is float32 rounding of u and y.
  const N = 3;
  const P = 1000;
  const y = new Float32Array(N * P);
  for (let i = 0; i < y.length; i++) y[i] = Math.sin(i * 0.37) * 150 * (1 + Math.floor(i / P));
  const scales = new Float32Array([60, 120, 180]);
  const u = toUniform(y, N, 8, scales);
  const back = toNormal(u, N, 8, scales);
  let worst = 0;
  for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs((back[i] as number) - (y[i] as number)) / (scales[Math.floor(i / P)] as number));
  tt.ok(worst < 2e-5, `worst error ${worst} scale units`);
  tt.ok(u.every((v) => Math.abs(v) < latentMax(8) + 1e-4), 'inside ±latent_max');
  tt.end();
});

t.test('per-channel scales apply to their own plane; in place works', (tt) => {
  const y = new Float32Array([10, 10, 10, 10]);
  const u = toUniform(y, 2, 8, [10, 1000]);
  tt.equal(u[0], u[1]);
  tt.ok((u[0] as number) > 10 * (u[2] as number), 'smaller scale companded harder');
  const same = toUniform(y, 2, 8, [10, 1000], y);
  tt.equal(same, y);
  tt.same(Array.from(same), Array.from(u));
  tt.end();
});

t.test('int8 input through the lookup table equals the float path', (tt) => {
  const q = new Int8Array(256);
  for (let i = 0; i < 256; i++) q[i] = i - 128;
  const viaTable = toNormal(q, 2, 8, [30, 70]);
  const viaFloat = toNormal(Float32Array.from(q), 2, 8, [30, 70]);
  tt.same(Array.from(viaTable), Array.from(viaFloat));
  tt.end();
});

t.test('scale validation and fitScale', (tt) => {
  tt.same(Array.from(channelScales(undefined, 2, 8)), [defaultScale(8), defaultScale(8)]);
  try {
    channelScales([1, 2, 3], 2, 8);
    tt.fail('should throw');
  } catch (e) {
    tt.ok(isWallocError(e, 'WALLOC_ERR_INVALID_ARGUMENT'));
    tt.match((e as Error).message, /3 entries for 2 latent channels/);
  }
  tt.throws(() => channelScales([1, 0], 2, 8), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.throws(() => channelScales(Infinity, 2, 8), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  tt.throws(() => toUniform(new Float32Array(5), 2, 8), { code: 'WALLOC_ERR_FRAME_SHAPE' });
  const s = fitScale(new Float32Array([3, -6, 0.3, 0.3, 0, 0]), 3);
  tt.same(Array.from(s), [2, Math.fround(0.1), 1]);
  tt.same(Array.from(fitScale(new Float32Array([4, -8]), 1, 4)), [2]);
  tt.end();
});
