import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { packageRoot } from '../../../src/paths.js';
import { iwpt2dSimd, projectSimd, simdAvailable, wpt2dSimd } from '../../../src/simd/kernels.js';
import { project } from '../../../transforms/analysis.js';
import { wptAnalysis, wptSynthesis } from '../../../src/wavelets/packet.js';
import { maxAbsDiff, noise } from '../wavelets/fixtures.js';

t.test('the SIMD kernels load on this Node', async (tt) => {
  tt.ok(simdAvailable(), 'WebAssembly SIMD module instantiated');
});

/** [C, H, W, J] for both directions: widths that are not multiples of 8 exercise the scalar tails; H = W = 2 wraps the filters many times. */
const SHAPES: ReadonlyArray<[number, number, number, number]> = [
  [1, 2, 2, 1], [1, 4, 6, 1], [1, 10, 6, 1], [1, 2, 14, 1], [2, 16, 24, 2], [3, 8, 8, 3], [3, 24, 40, 3], [3, 64, 72, 3], [3, 120, 200, 3], [1, 32, 32, 5],
];

t.test('SIMD packet transform equals the JS kernels to float32 rounding, odd sizes and wrap-around included', async (tt) => {
  for (const [C, H, W, J] of SHAPES) {
    const x = noise(C * H * W, C * 1000 + H * 10 + W);
    const js = wptAnalysis(x, [C, H, W], J, 'bior4.4', { simd: false });
    const fast = wpt2dSimd(x, C, H, W, J);
    tt.ok(fast !== undefined, `[${C}, ${H}, ${W}] J=${J} taken by SIMD`);
    const peak = js.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const err = maxAbsDiff(fast!, js.data);
    tt.ok(err <= 4e-6 * Math.max(1, peak), `[${C}, ${H}, ${W}] J=${J}: max |Δ| ${err.toExponential(2)} (peak ${peak.toFixed(2)})`);
  }
});

t.test('SIMD inverse equals the JS synthesis and gives the signal back, odd sizes and wrap-around included', async (tt) => {
  for (const [C, H, W, J] of SHAPES) {
    const x = noise(C * H * W, C * 999 + H * 7 + W);
    const c = wptAnalysis(x, [C, H, W], J, 'bior4.4', { simd: false });
    const js = wptSynthesis(c.data, c.shape, J, 'bior4.4', { simd: false });
    const fast = iwpt2dSimd(c.data, C, H, W, J);
    tt.ok(fast !== undefined, `[${C}, ${H}, ${W}] J=${J} taken by SIMD`);
    const err = maxAbsDiff(fast!, js.data);
    const back = maxAbsDiff(fast!, x);
    tt.ok(err <= 2e-6 && back <= 2e-6, `[${C}, ${H}, ${W}] J=${J}: max |Δ| vs JS ${err.toExponential(2)}, vs the signal ${back.toExponential(2)}`);
  }
  // forward and inverse both on SIMD: a round trip
  const x = noise(3 * 48 * 80, 99);
  const back = iwpt2dSimd(wpt2dSimd(x, 3, 48, 80, 3)!, 3, 48, 80, 3)!;
  tt.ok(maxAbsDiff(back, x) <= 2e-6, 'SIMD round trip');
});

t.test('SIMD projection equals the float64 JS loop to float32 rounding, any channel and position count', async (tt) => {
  for (const [M, N, P] of [[192, 12, 4321], [16, 8, 49], [3, 5, 7], [192, 12, 5], [48, 1, 100], [64, 16, 1001], [1, 3, 9]] as const) {
    const x = noise(M * P, M + N + P);
    const w = noise(M * N, 3 * M + N);
    const b = noise(N, 5);
    const js = project(x, M, w, b, N, undefined, false);
    const fast = projectSimd(x, M, w, b, N)!;
    tt.equal(fast.length, N * P);
    const err = maxAbsDiff(fast, js);
    tt.ok(err <= 1e-6 * M, `${M} → ${N} over ${P} positions: max |Δ| ${err.toExponential(2)}`);
    const noBias = projectSimd(x, M, w, undefined, N)!;
    tt.ok(maxAbsDiff(noBias, project(x, M, w, undefined, N, undefined, false)) <= 1e-6 * M, 'without bias');
  }
  // writes into a given output array
  const out = new Float32Array(2 * 3);
  tt.equal(projectSimd(new Float32Array([1, 2, 3, 10, 20, 30]), 2, new Float32Array([2, -1, 0, 1]), new Float32Array([1, 0]), 2, out), out);
  tt.same(Array.from(out), [-7, -15, -23, 10, 20, 30]);
});

t.test('the input is not modified and repeated calls give identical results (memory reused)', async (tt) => {
  const x = noise(3 * 40 * 48, 7);
  const copy = x.slice();
  const a = wpt2dSimd(x, 3, 40, 48, 3)!;
  wpt2dSimd(noise(3 * 400 * 480, 8), 3, 400, 480, 3); // grows the memory
  const b = wpt2dSimd(x, 3, 40, 48, 3)!;
  tt.same(Array.from(x), Array.from(copy));
  tt.ok(a.every((v, i) => v === b[i]));
  // Into a given array, the input itself included (what wptForward does with its padded copy).
  const into = new Float32Array(x.length + 5).fill(9);
  tt.equal(wpt2dSimd(x, 3, 40, 48, 3, into)!.buffer, into.buffer, 'a larger out: its first values');
  tt.ok(a.every((v, i) => v === into[i]) && into[x.length] === 9);
  const own = x.slice();
  tt.equal(wpt2dSimd(own, 3, 40, 48, 3, own), own, 'out = input');
  tt.ok(a.every((v, i) => v === own[i]), 'same result in place');
  tt.not(wpt2dSimd(x, 3, 40, 48, 3, new Float32Array(10)), undefined, 'too small an out: a new array');
});

t.test('WALLOC_NO_SIMD=1 falls back to the JS kernels', async (tt) => {
  const code = "import('./src/simd/kernels.ts').then((m) => console.log(m.simdAvailable()))";
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], {
    cwd: packageRoot(), env: { ...process.env, WALLOC_NO_SIMD: '1' }, encoding: 'utf8',
  });
  tt.equal(r.stdout.trim(), 'false', r.stderr);
});

const hasWat2wasm = !spawnSync('wat2wasm', ['--version'], { encoding: 'utf8' }).error;

t.test('the committed wasm/kernels.wasm is wasm/kernels.wat compiled', { skip: hasWat2wasm ? false : 'wat2wasm (Debian package wabt) not installed' }, async (tt) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-wasm-'));
  try {
    const out = join(dir, 'kernels.wasm');
    execFileSync('wat2wasm', [join(packageRoot(), 'wasm', 'kernels.wat'), '-o', out]);
    tt.ok(readFileSync(out).equals(readFileSync(join(packageRoot(), 'wasm', 'kernels.wasm'))), 'run `npm run build:wasm` after editing the .wat');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
