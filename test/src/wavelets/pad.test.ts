import t from 'tap';
import fc from 'fast-check';
import { cropPad, padFor, padReflect, reflectIndex } from '../../../src/wavelets/pad.js';
import { loadCases, maxAbsDiff, noise, throwsCode } from './fixtures.js';

t.test('padFor centres the padding as walloc.pad does', (tt) => {
  tt.same(padFor(1080, 16), [4, 4]);
  tt.same(padFor(5, 4), [1, 2]);
  tt.same(padFor(64, 8), [0, 0]);
  tt.same(padFor(1, 8), [3, 4]);
  tt.same(padFor(17, 8), [3, 4]);
  tt.end();
});

t.test('reflect padding equals numpy.pad(mode="reflect"), wide pads included', (tt) => {
  const cs = loadCases().filter((c) => c.op === 'pad');
  tt.equal(cs.length, 6);
  for (const c of cs) {
    const got = padReflect(c.x, c.inShape, [c.pad!]);
    tt.same(got.shape, c.outShape);
    tt.equal(maxAbsDiff(got.data, c.y), 0, `n=${c.inShape[0]} pad ${c.pad!.join('+')}`);
  }
  tt.same([-3, -2, -1, 0, 4, 5, 6, 9].map((i) => reflectIndex(i, 5)), [3, 2, 1, 0, 4, 3, 2, 1]);
  tt.end();
});

t.test('N-D pad then crop is the identity; channels are never padded', (tt) => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 2, maxLength: 4 }), fc.array(fc.nat(7), { minLength: 6, maxLength: 6 }), (shape, ps) => {
      const pads = shape.slice(1).map((_, i) => [ps[2 * i]!, ps[2 * i + 1]!] as [number, number]);
      const x = noise(shape.reduce((a, v) => a * v, 1), 3);
      const p = padReflect(x, shape, pads);
      if (p.shape[0] !== shape[0]) return false;
      // every padded sample is the numpy-reflected source sample
      const strides = (s: number[]): number[] => s.map((_, i) => s.slice(i + 1).reduce((a, v) => a * v, 1));
      const ps2 = strides(p.shape), ss = strides(shape);
      for (let o = 0; o < p.data.length; o++) {
        let src = 0;
        for (let a = 0; a < shape.length; a++) {
          const i = Math.floor(o / ps2[a]!) % p.shape[a]!;
          src += (a === 0 ? i : reflectIndex(i - pads[a - 1]![0], shape[a]!)) * ss[a]!;
        }
        if (p.data[o] !== x[src]) return false;
      }
      const c = cropPad(p.data, p.shape, pads);
      return c.shape.join() === shape.join() && maxAbsDiff(c.data, x) === 0;
    }),
    { numRuns: 200 },
  );
  tt.pass('200 random shapes and pads');
  throwsCode(tt, () => cropPad(new Float32Array(4), [1, 4], [[2, 2]]), 'WALLOC_ERR_FRAME_SHAPE', 'crop everything');
  throwsCode(tt, () => padReflect(new Float32Array(4), [4], [[1, 1], [1, 1]]), 'WALLOC_ERR_FRAME_SHAPE', 'too many axes');
  throwsCode(tt, () => padReflect(new Float32Array(4), [1, 4], [[-1, 1]]), 'WALLOC_ERR_FRAME_SHAPE', 'negative pad');
  tt.end();
});
