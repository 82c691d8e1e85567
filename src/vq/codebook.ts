/**
 * Nearest-codebook search and lookup over typed arrays: the vector quantizer of the VQ-VAE
 * (van den Oord et al. 2017) without an ML runtime. Latents are planar [D, P] (D channels, P
 * positions, as every walloc latent frame); the codebook is row-major [K, D].
 *
 * The search minimises ‖z − e_k‖² = ‖z‖² − 2 z·e_k + ‖e_k‖², and ‖z‖² is the same for every k, so
 * it compares ‖e_k‖² − 2 z·e_k with the squared norms computed once per codebook. Ties go to the
 * lowest index (strict `<`), as `argmin` does in PyTorch and tfjs, so the TypeScript and tfjs
 * quantizers agree token for token. Each position's vector is gathered once into a scratch vector
 * (a strided read from the planar layout); nothing allocates per token.
 */
import { werr } from '../errors.js';

/** Largest codebook a `tokens` frame (Uint16Array) can index. */
export const MAX_CODEBOOK_SIZE = 65536;

/**
 * Squared L2 norm of each codebook row: [K].
 *
 * @example
 * codebookNorms(new Float32Array([3, 4, 1, 0]), 2); // Float64Array [25, 1]
 */
export function codebookNorms(codebook: Float32Array, dim: number): Float64Array {
  const k = codebook.length / dim;
  const out = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) {
      const v = codebook[i * dim + d]!;
      s += v * v;
    }
    out[i] = s;
  }
  return out;
}

function checkCodebook(codebook: Float32Array, dim: number): number {
  if (!Number.isInteger(dim) || dim <= 0 || codebook.length === 0 || codebook.length % dim !== 0) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `a codebook of ${codebook.length} values does not split into entries of dimension ${dim}` });
  }
  const k = codebook.length / dim;
  if (k > MAX_CODEBOOK_SIZE) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `codebook has ${k} entries, more than ${MAX_CODEBOOK_SIZE}` });
  return k;
}

/**
 * Index of the nearest codebook entry (L2) for every position of planar [D, P] latents.
 * `norms` may be passed to reuse {@link codebookNorms} across frames.
 *
 * @example
 * // two 2-D entries, three positions: (0.9, 0.1) → 0, (0, 2) → 1, (0.5, 0.5) → 0 (tie: lowest index)
 * nearestCodes(new Float32Array([0.9, 0, 0.5, 0.1, 2, 0.5]), 2, new Float32Array([1, 0, 0, 1]));
 * // Uint16Array [0, 1, 0]
 */
export function nearestCodes(latent: Float32Array, dim: number, codebook: Float32Array, norms: Float64Array = codebookNorms(codebook, dim), out?: Uint16Array): Uint16Array {
  const k = checkCodebook(codebook, dim);
  if (latent.length % dim !== 0) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `${latent.length} latent values do not split into ${dim} channels` });
  if (norms.length !== k) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${norms.length} codebook norms for ${k} entries` });
  const p = latent.length / dim;
  const tokens = out ?? new Uint16Array(p);
  if (tokens.length !== p) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `token output holds ${tokens.length} values, expected ${p}` });
  const z = new Float64Array(dim);
  for (let pos = 0; pos < p; pos++) {
    for (let d = 0; d < dim; d++) {
      const v = latent[d * p + pos]!;
      // A NaN latent would silently pick entry 0; it means the encoder or its input is broken.
      if (v !== v || v === Infinity || v === -Infinity) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `latent value ${v} at channel ${d}, position ${pos} is not finite` });
      z[d] = v;
    }
    let best = 0;
    let bestScore = Infinity;
    for (let i = 0; i < k; i++) {
      const row = i * dim;
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += z[d]! * codebook[row + d]!;
      const score = norms[i]! - 2 * dot;
      if (score < bestScore) {
        bestScore = score;
        best = i;
      }
    }
    tokens[pos] = best;
  }
  return tokens;
}

/**
 * The codebook vectors of tokens, as planar [D, P] latents; a token ≥ K is WALLOC_ERR_VQ_TOKEN.
 *
 * @example
 * lookupCodes(Uint16Array.of(1, 0), 2, new Float32Array([1, 0, 0, 1])); // Float32Array [0, 1, 1, 0]
 */
export function lookupCodes(tokens: Uint16Array, dim: number, codebook: Float32Array, out?: Float32Array): Float32Array {
  const k = checkCodebook(codebook, dim);
  const p = tokens.length;
  const z = out ?? new Float32Array(dim * p);
  if (z.length !== dim * p) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `latent output holds ${z.length} values, expected ${dim * p}` });
  for (let pos = 0; pos < p; pos++) {
    const t = tokens[pos]!;
    if (t >= k) throw werr('WALLOC_ERR_VQ_TOKEN', { value: t, index: pos, codebook: k });
    const row = t * dim;
    for (let d = 0; d < dim; d++) z[d * p + pos] = codebook[row + d]!;
  }
  return z;
}

/**
 * Throws WALLOC_ERR_VQ_TOKEN unless every token is below K.
 *
 * @example
 * checkTokens(Uint16Array.of(3, 127), 128); // fine
 * checkTokens(Uint16Array.of(128), 128);    // throws
 */
export function checkTokens(tokens: Uint16Array, k: number): void {
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]! >= k) throw werr('WALLOC_ERR_VQ_TOKEN', { value: tokens[i], index: i, codebook: k });
  }
}
