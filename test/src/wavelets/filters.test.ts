import t from 'tap';
import { filterBank, isWaveletName, WAVELETS } from '../../../src/wavelets/filters.js';
import { isWallocError } from '../../../src/errors.js';

t.test('filter banks have the pywt layout and normalisation', (tt) => {
  for (const name of WAVELETS) {
    const b = filterBank(name);
    tt.equal(b.name, name);
    const L = b.decLo.length;
    for (const f of [b.decHi, b.recLo, b.recHi]) tt.equal(f.length, L, `${name}: all four filters have ${L} taps`);
    const sum = (f: readonly number[]): number => f.reduce((a, v) => a + v, 0);
    tt.ok(Math.abs(sum(b.decLo) - Math.SQRT2) < 1e-12, `${name}: Σ decLo = √2`);
    tt.ok(Math.abs(sum(b.recLo) - Math.SQRT2) < 1e-12, `${name}: Σ recLo = √2`);
    // pywt's printed bior4.4 taps leave Σ decHi at −1.4e−12, not exactly 0
    tt.ok(Math.abs(sum(b.decHi)) < 1e-11, `${name}: Σ decHi ≈ 0`);
    tt.ok(Math.abs(sum(b.recHi)) < 1e-11, `${name}: Σ recHi ≈ 0`);
  }
  tt.equal(filterBank('bior4.4').decLo[5], 0.8526986790088938);
  tt.end();
});

t.test('unknown wavelet is a coded usage error listing what exists', (tt) => {
  tt.equal(isWaveletName('haar'), true);
  tt.equal(isWaveletName('db4'), false);
  tt.equal(isWaveletName('toString'), false);
  try {
    filterBank('db4');
    tt.fail('should throw');
  } catch (e) {
    tt.ok(isWallocError(e, 'WALLOC_ERR_WAVELET_UNKNOWN'));
    tt.match((e as Error).message, /db4.*bior4\.4, haar/);
  }
  tt.end();
});
