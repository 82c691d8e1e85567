import t from 'tap';
import { MAX_LEVELS, wptAnalysis, wptSynthesis } from '../../../src/wavelets/packet.js';
import { WAVELETS } from '../../../src/wavelets/filters.js';
import { loadCases, maxAbsDiff, noise, throwsCode } from './fixtures.js';

const TOL = 1e-5;
const cases = loadCases();

t.test('packet trees match repeated pywt.dwt/dwt2/dwtn levels (1-D to J=8, 2-D to J=5, 3-D to J=3)', (tt) => {
  const seen = new Set<string>();
  for (const c of cases.filter((c) => /^wpt[123]$/.test(c.op))) {
    const got = wptAnalysis(c.x, c.inShape, c.levels, c.wavelet!);
    const what = `${c.op} ${c.wavelet} J=${c.levels} [${c.inShape.join(', ')}]`;
    tt.same(got.shape, c.outShape, `${what}: shape`);
    const err = maxAbsDiff(got.data, c.y);
    tt.ok(err <= TOL, `${what}: max abs err ${err.toExponential(2)}`);
    // 2-D bior4.4 runs on the WebAssembly SIMD kernels by default: the JS kernels must match too
    const js = wptAnalysis(c.x, c.inShape, c.levels, c.wavelet!, { simd: false });
    const jsErr = maxAbsDiff(js.data, c.y);
    tt.ok(jsErr <= TOL, `${what}: JS kernels, max abs err ${jsErr.toExponential(2)}`);
    // and the inverse of the reference coefficients gives the input back
    const back = wptSynthesis(c.y, c.outShape, c.levels, c.wavelet!);
    tt.ok(maxAbsDiff(back.data, c.x) <= TOL, `${what}: synthesis of pywt's coefficients`);
    const backJs = wptSynthesis(c.y, c.outShape, c.levels, c.wavelet!, { simd: false });
    tt.ok(maxAbsDiff(backJs.data, c.x) <= TOL, `${what}: synthesis of pywt's coefficients, JS kernels`);
    seen.add(`${c.op}/${c.wavelet}/${c.levels}`);
  }
  for (const w of WAVELETS) {
    for (let J = 1; J <= 8; J++) tt.ok(seen.has(`wpt1/${w}/${J}`), `1-D ${w} J=${J} covered`);
    for (let J = 1; J <= 5; J++) tt.ok(seen.has(`wpt2/${w}/${J}`), `2-D ${w} J=${J} covered`);
    for (let J = 1; J <= 3; J++) tt.ok(seen.has(`wpt3/${w}/${J}`), `3-D ${w} J=${J} covered`);
  }
  tt.end();
});

t.test('single-level synthesis matches pywt.idwt2 / idwtn on independent coefficients', (tt) => {
  const inv = cases.filter((c) => c.op === 'iwpt2' || c.op === 'iwpt3');
  tt.equal(inv.length, 4);
  for (const c of inv) {
    const got = wptSynthesis(c.x, c.inShape, 1, c.wavelet!);
    tt.same(got.shape, c.outShape);
    tt.ok(maxAbsDiff(got.data, c.y) <= TOL, `${c.op} ${c.wavelet}: err ${maxAbsDiff(got.data, c.y).toExponential(2)}`);
  }
  tt.end();
});

t.test('synthesis inverts analysis for C>1 at every J the size allows', (tt) => {
  const shapes = [[3, 256], [2, 32, 64], [2, 16, 8, 32]];
  for (const shape of shapes) {
    const total = shape.reduce((a, v) => a * v, 1);
    const x = noise(total, total);
    const d = shape.length - 1;
    const maxJ = Math.log2(Math.min(...shape.slice(1)));
    for (const w of WAVELETS) {
      for (let J = 1; J <= maxJ; J++) {
        const c = wptAnalysis(x, shape, J, w);
        tt.equal(c.shape[0], shape[0]! * 2 ** (d * J));
        const back = wptSynthesis(c.data, c.shape, J, w);
        tt.same(back.shape, shape);
        tt.ok(maxAbsDiff(back.data, x) <= TOL, `[${shape.join(', ')}] ${w} J=${J}: err ${maxAbsDiff(back.data, x).toExponential(2)}`);
      }
    }
  }
  tt.end();
});

t.test('channel order: c·K^J + f1·K^(J−1) + … with f1 the first split', (tt) => {
  // A DC image: only the all-low packet of each channel is non-zero, at channel c·4^J.
  const J = 2;
  const x = new Float32Array(2 * 8 * 8);
  x.fill(1, 0, 64);
  x.fill(-2, 64);
  const c = wptAnalysis(x, [2, 8, 8], J, 'haar');
  const energy = (ch: number): number => c.data.subarray(ch * 4, ch * 4 + 4).reduce((a, v) => a + v * v, 0);
  tt.ok(energy(0) > 0 && energy(16) > 0);
  tt.ok(Math.abs(c.data[0]! - 4) < 1e-6, 'DC gain 2 per 2-D level');
  tt.ok(Math.abs(c.data[16 * 4]! + 8) < 1e-6);
  for (let ch = 0; ch < 32; ch++) if (ch !== 0 && ch !== 16) tt.ok(energy(ch) < 1e-10, `channel ${ch} empty`);
  // Columns alternating ±1 across the width: all energy in the width-high band of level 1 (f1 = 2),
  // which stays low at level 2: channel 2·4 + 0 = 8.
  const y = new Float32Array(8 * 8).map((_, i) => (i % 2 ? -1 : 1));
  const cy = wptAnalysis(y, [1, 8, 8], J, 'haar');
  for (let ch = 0; ch < 16; ch++) {
    const e = cy.data.subarray(ch * 4, ch * 4 + 4).reduce((a, v) => a + v * v, 0);
    tt.ok(ch === 8 ? e > 1 : e < 1e-10, `alternating columns: channel ${ch}`);
  }
  tt.end();
});

t.test('bad levels and shapes are coded errors', (tt) => {
  const x = new Float32Array(64);
  for (const J of [0, -1, 1.5, MAX_LEVELS + 1, NaN]) throwsCode(tt, () => wptAnalysis(x, [1, 64], J), 'WALLOC_ERR_WAVELET_LEVELS', `J=${J}`);
  throwsCode(tt, () => wptAnalysis(x, [1, 64], 7), 'WALLOC_ERR_WAVELET_LEVELS', '64 is not a multiple of 128');
  throwsCode(tt, () => wptAnalysis(x, [1, 64], 2, 'db2'), 'WALLOC_ERR_WAVELET_UNKNOWN');
  throwsCode(tt, () => wptAnalysis(x, [64], 1), 'WALLOC_ERR_FRAME_SHAPE', 'no spatial axis');
  throwsCode(tt, () => wptAnalysis(x, [1, 2, 2, 2, 8], 1), 'WALLOC_ERR_FRAME_SHAPE', '4 spatial axes');
  throwsCode(tt, () => wptAnalysis(x, [1, 32], 1), 'WALLOC_ERR_FRAME_SHAPE', 'size mismatch');
  throwsCode(tt, () => wptSynthesis(x, [2, 32], 2), 'WALLOC_ERR_WAVELET_LEVELS', 'channels not a multiple of 2^J');
  tt.end();
});
