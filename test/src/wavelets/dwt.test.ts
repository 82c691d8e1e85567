import t from 'tap';
import fc from 'fast-check';
import { analyzeAxis, dwt, dwtAxis, idwt, idwtAxis, synthesizeAxis } from '../../../src/wavelets/dwt.js';
import { filterBank, WAVELETS } from '../../../src/wavelets/filters.js';
import { loadCases, maxAbsDiff, noise, throwsCode } from './fixtures.js';

const TOL = 1e-5;
const cases = loadCases();

t.test('1-D single level matches pywt.dwt / pywt.idwt (periodization), short lengths included', (tt) => {
  let n = 0;
  for (const c of cases.filter((c) => c.op === 'dwt')) {
    const { lo, hi } = dwt(c.x, c.wavelet!);
    const got = new Float32Array([...lo, ...hi]);
    tt.ok(maxAbsDiff(got, c.y) <= TOL, `dwt ${c.wavelet} n=${c.x.length}: err ${maxAbsDiff(got, c.y)}`);
    n++;
  }
  for (const c of cases.filter((c) => c.op === 'idwt')) {
    const h = c.x.length / 2;
    const got = idwt(c.x.subarray(0, h), c.x.subarray(h), c.wavelet!);
    tt.ok(maxAbsDiff(got, c.y) <= TOL, `idwt ${c.wavelet} n=${c.y.length}: err ${maxAbsDiff(got, c.y)}`);
    n++;
  }
  tt.equal(n, 28);
  tt.end();
});

// The textbook formulas with an explicit modulo, to check the unrolled kernels on any geometry.
function naive(x: Float64Array, name: string): [Float64Array, Float64Array] {
  const b = filterBank(name);
  const n = x.length, L = b.decLo.length, o = L / 2;
  const lo = new Float64Array(n / 2), hi = new Float64Array(n / 2);
  for (let k = 0; k < n / 2; k++) {
    for (let m = 0; m < L; m++) {
      const v = x[(((2 * k + o - m) % n) + n) % n]!;
      lo[k] += b.decLo[m]! * v;
      hi[k] += b.decHi[m]! * v;
    }
  }
  return [lo, hi];
}

t.test('strided axes agree with the naive formula on every axis of random N-D arrays', (tt) => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
      fc.nat(),
      fc.constantFrom(...WAVELETS),
      fc.integer({ min: 1, max: 9 }),
      (dims, axisSeed, name, half) => {
        const axis = axisSeed % dims.length;
        const shape = dims.map((d, i) => (i === axis ? 2 * half : d));
        const total = shape.reduce((a, v) => a * v, 1);
        const x = noise(total, axisSeed + 7);
        const bandAxis = axisSeed % (axis + 1);
        const got = dwtAxis(x, shape, axis, name, bandAxis);
        const P = shape.slice(0, bandAxis).reduce((a, v) => a * v, 1);
        const Q = shape.slice(bandAxis, axis).reduce((a, v) => a * v, 1);
        const B = shape.slice(axis + 1).reduce((a, v) => a * v, 1);
        const n = shape[axis]!, h = n / 2;
        let err = 0;
        for (let p = 0; p < P; p++) for (let q = 0; q < Q; q++) for (let b = 0; b < B; b++) {
          const line = new Float64Array(n);
          for (let i = 0; i < n; i++) line[i] = x[((p * Q + q) * n + i) * B + b]!;
          const [lo, hi] = naive(line, name);
          for (let k = 0; k < h; k++) {
            err = Math.max(err, Math.abs(got.data[(((p * 2) * Q + q) * h + k) * B + b]! - lo[k]!));
            err = Math.max(err, Math.abs(got.data[(((p * 2 + 1) * Q + q) * h + k) * B + b]! - hi[k]!));
          }
        }
        const back = idwtAxis(got.data, got.shape, axis, name, bandAxis);
        return err <= 1e-6 && maxAbsDiff(back.data, x) <= 1e-5 && back.shape.join() === shape.join();
      },
    ),
    { numRuns: 300 },
  );
  tt.pass('300 random geometries');
  tt.end();
});

t.test('geometry errors are coded', (tt) => {
  const x = new Float32Array(6);
  const y = new Float32Array(6);
  throwsCode(tt, () => analyzeAxis(x, y, 1, 1, 3, 2, 'haar'), 'WALLOC_ERR_FRAME_SHAPE', 'odd axis');
  throwsCode(tt, () => analyzeAxis(x, y, 1, 1, 8, 1, 'haar'), 'WALLOC_ERR_FRAME_SHAPE', 'too short');
  throwsCode(tt, () => synthesizeAxis(x, x, 1, 1, 6, 1, 'haar'), 'WALLOC_ERR_INVALID_ARGUMENT', 'in place');
  throwsCode(tt, () => dwt(x, 'sym4'), 'WALLOC_ERR_WAVELET_UNKNOWN');
  throwsCode(tt, () => dwtAxis(x, [2, 3], 2), 'WALLOC_ERR_INVALID_ARGUMENT');
  throwsCode(tt, () => idwt(new Float32Array(2), new Float32Array(3)), 'WALLOC_ERR_FRAME_SHAPE');
  tt.end();
});
