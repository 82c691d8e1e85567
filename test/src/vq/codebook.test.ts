import t from 'tap';
import { codebookNorms, lookupCodes, nearestCodes } from '../../../src/vq/codebook.js';
import { loadVqDataset } from '../../../src/vq/datasets.js';

/** Real vectors: 4×4 patches of MNIST digits (D = 16), planar [D, P] like a latent frame. */
function patches(n: number): { planar: Float32Array; p: number } {
  const set = loadVqDataset('mnist', 'train', { limit: n });
  const p = n * 49;
  const planar = new Float32Array(16 * p);
  for (let i = 0; i < n; i++) {
    for (let b = 0; b < 49; b++) {
      const by = Math.floor(b / 7), bx = b % 7;
      for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) planar[(y * 4 + x) * p + i * 49 + b] = set.pixels[i * 784 + (by * 4 + y) * 28 + bx * 4 + x]! / 255;
    }
  }
  return { planar, p };
}

t.test('nearestCodes picks the L2-nearest entry (brute force check on digit patches)', (t) => {
  const { planar, p } = patches(20);
  const d = 16;
  // Codebook: 64 patches of other digits.
  const cbSrc = patches(40);
  const k = 64;
  const codebook = new Float32Array(k * d);
  for (let e = 0; e < k; e++) for (let c = 0; c < d; c++) codebook[e * d + c] = cbSrc.planar[c * cbSrc.p + 20 * 49 + e * 7]!;
  const tokens = nearestCodes(planar, d, codebook);
  let worse = 0;
  for (let pos = 0; pos < p; pos++) {
    let best = Infinity, arg = -1;
    for (let e = 0; e < k; e++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += (planar[c * p + pos]! - codebook[e * d + c]!) ** 2;
      if (s < best - 1e-9) { best = s; arg = e; }
    }
    let got = 0;
    for (let c = 0; c < d; c++) got += (planar[c * p + pos]! - codebook[tokens[pos]! * d + c]!) ** 2;
    if (got > best + 1e-6) worse++;
    void arg;
  }
  t.equal(worse, 0, 'no position gets a farther entry than the nearest');
  // The inverse: looking up the tokens and quantizing again gives the same tokens.
  const z = lookupCodes(tokens, d, codebook);
  t.same([...nearestCodes(z, d, codebook, codebookNorms(codebook, d))], [...tokens]);
  t.end();
});

t.test('ties go to the lowest index; bad input is coded', (t) => {
  const cb = Float32Array.of(1, 0, 1, 0, 0, 1);
  t.same([...nearestCodes(Float32Array.of(1, 0), 2, cb)], [0]);
  t.throws(() => nearestCodes(Float32Array.of(NaN, 0), 2, cb), { code: 'WALLOC_ERR_FRAME_SHAPE' });
  t.throws(() => nearestCodes(Float32Array.of(1, 0, 0), 2, cb), { code: 'WALLOC_ERR_FRAME_SHAPE' });
  t.throws(() => lookupCodes(Uint16Array.of(0, 3), 2, cb), { code: 'WALLOC_ERR_VQ_TOKEN', message: /token 3 at index 1/ });
  t.end();
});
