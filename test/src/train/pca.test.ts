import t from 'tap';
import { CovarianceAccumulator, pcaProjection, symmetricEigen } from '../../../src/train/pca.js';

t.test('symmetricEigen diagonalises a symmetric matrix (A·v = λ·v), values descending', async (t) => {
  const n = 6;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = Math.sin(i * 3 + j * 7) + (i === j ? 4 : 0);
  const { values, vectors } = symmetricEigen(a, n);
  for (let k = 1; k < n; k++) t.ok(values[k - 1]! >= values[k]!);
  let worst = 0;
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let j = 0; j < n; j++) av += a[i * n + j]! * vectors[r * n + j]!;
      worst = Math.max(worst, Math.abs(av - values[r]! * vectors[r * n + i]!));
    }
  }
  t.ok(worst < 1e-10, `residual ${worst}`);
  let trace = 0;
  for (let i = 0; i < n; i++) trace += a[i * n + i]!;
  t.ok(Math.abs(values.reduce((s, v) => s + v, 0) - trace) < 1e-9, 'eigenvalues sum to the trace');
});

t.test('PCA recovers the dominant direction of correlated data and centres it', async (t) => {
  // 3-D points along (1, 2, 2)/3 with small isotropic noise, offset by a mean.
  const dim = 3;
  const positions = 2000;
  const data = new Float32Array(dim * positions);
  let s = 7;
  const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647) - 0.5;
  for (let p = 0; p < positions; p++) {
    const a = rnd() * 10;
    const dir = [1 / 3, 2 / 3, 2 / 3];
    for (let c = 0; c < dim; c++) data[c * positions + p] = 5 + c + a * dir[c]! + 0.05 * rnd();
  }
  const acc = new CovarianceAccumulator(dim);
  acc.addPlanar(data, dim, positions);
  const pca = pcaProjection(acc, 1);
  t.ok(Math.abs(pca.weight[0]! - 1 / 3) < 0.01 && Math.abs(pca.weight[1]! - 2 / 3) < 0.01 && Math.abs(pca.weight[2]! - 2 / 3) < 0.01, `direction ${Array.from(pca.weight)}`);
  t.ok(pca.explained > 0.99);
  // bias = −W·mean, so the projection of the mean is zero.
  const meanProj = pca.weight[0]! * pca.mean[0]! + pca.weight[1]! * pca.mean[1]! + pca.weight[2]! * pca.mean[2]! + pca.bias[0]!;
  t.ok(Math.abs(meanProj) < 1e-5);
});
