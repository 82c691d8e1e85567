/**
 * Principal component analysis of wavelet packet coefficient vectors: the encoder's starting point
 * and the "linear floor" every trained model must beat. One coefficient vector is the C·K^J values
 * at one latent position; the first N principal directions become the 1×1 projection, and their
 * transpose the linear decoder.
 */

/** Running mean and covariance over vectors of a fixed dimension, in float64. */
export class CovarianceAccumulator {
  readonly dim: number;
  count = 0;
  private readonly sum: Float64Array;
  private readonly outer: Float64Array;
  private readonly row: Float64Array;

  constructor(dim: number) {
    this.dim = dim;
    this.sum = new Float64Array(dim);
    this.outer = new Float64Array(dim * dim);
    this.row = new Float64Array(dim);
  }

  /**
   * Adds every position of a planar [dim, positions] array (the layout of a coeffs frame).
   *
   * @example
   * const acc = new CovarianceAccumulator(192);
   * acc.addPlanar(coeffs.data, 192, coeffs.data.length / 192);
   */
  addPlanar(data: Float32Array, dim: number, positions: number): void {
    if (dim !== this.dim) throw new Error(`expected ${this.dim} channels, got ${dim}`);
    const { sum, outer, row } = this;
    for (let p = 0; p < positions; p++) {
      for (let c = 0; c < dim; c++) row[c] = data[c * positions + p]!;
      for (let i = 0; i < dim; i++) {
        const ri = row[i]!;
        sum[i] += ri;
        const base = i * dim;
        // Upper triangle only; mirrored in covariance().
        for (let j = i; j < dim; j++) outer[base + j] += ri * row[j]!;
      }
    }
    this.count += positions;
  }

  /** Mean vector and covariance matrix (row-major, symmetric). */
  covariance(): { mean: Float64Array; cov: Float64Array } {
    const { dim, count } = this;
    if (count < 2) throw new Error('need at least two vectors for a covariance');
    const mean = this.sum.map((s) => s / count);
    const cov = new Float64Array(dim * dim);
    for (let i = 0; i < dim; i++) {
      for (let j = i; j < dim; j++) {
        const v = this.outer[i * dim + j]! / count - mean[i]! * mean[j]!;
        cov[i * dim + j] = v;
        cov[j * dim + i] = v;
      }
    }
    return { mean, cov };
  }
}

/**
 * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: slow in theory (O(n³) per
 * sweep) but exact to float64 and fine for n ≤ 1000, which covers every codec here (192 for RGB
 * at J=3, 512 for stereo at J=8).
 *
 * @returns eigenvalues in descending order and the matching unit eigenvectors as rows.
 * @example
 * const { values, vectors } = symmetricEigen(cov, 192);
 */
export function symmetricEigen(matrix: Float64Array, n: number, maxSweeps = 60): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += a[i * n + i]! ** 2;
      for (let j = i + 1; j < n; j++) off += a[i * n + j]! ** 2;
    }
    if (off <= 1e-22 * diag || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const app = a[p * n + p]!;
        const aqq = a[q * n + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j]! - a[i * n + i]!);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((col, r) => {
    values[r] = a[col * n + col]!;
    // Sign convention: the largest-magnitude component positive, so results are reproducible.
    let big = 0;
    for (let k = 0; k < n; k++) if (Math.abs(v[k * n + col]!) > Math.abs(big)) big = v[k * n + col]!;
    const sg = big < 0 ? -1 : 1;
    for (let k = 0; k < n; k++) vectors[r * n + k] = sg * v[k * n + col]!;
  });
  return { values, vectors };
}

export interface PcaProjection {
  /** [latentDim × dim] row-major: the encoder matrix. */
  weight: Float32Array;
  /** [latentDim]: −W·mean, so latents are centred. */
  bias: Float32Array;
  mean: Float64Array;
  /** Variance captured by each kept component, descending. */
  variances: Float64Array;
  /** Fraction of total variance kept. */
  explained: number;
}

/**
 * The first `latentDim` principal directions of the accumulated vectors as a centred projection.
 *
 * @example
 * const pca = pcaProjection(acc, 12); // encoder: y = W·x + b
 */
export function pcaProjection(acc: CovarianceAccumulator, latentDim: number): PcaProjection {
  const { mean, cov } = acc.covariance();
  const n = acc.dim;
  const { values, vectors } = symmetricEigen(cov, n);
  const weight = new Float32Array(latentDim * n);
  const bias = new Float32Array(latentDim);
  for (let r = 0; r < latentDim; r++) {
    let b = 0;
    for (let k = 0; k < n; k++) {
      weight[r * n + k] = vectors[r * n + k]!;
      b -= vectors[r * n + k]! * mean[k]!;
    }
    bias[r] = b;
  }
  let total = 0;
  for (const x of values) total += Math.max(0, x);
  let kept = 0;
  for (let r = 0; r < latentDim; r++) kept += Math.max(0, values[r]!);
  return { weight, bias, mean, variances: values.slice(0, latentDim), explained: total > 0 ? kept / total : 0 };
}
