/**
 * The full J-level wavelet packet tree of WaLLoC: one periodized DWT level splits every channel
 * into K = 2^d sub-bands (d = 1, 2, 3 spatial axes) and the level is re-applied to all channels,
 * not just the low band. Channel order after J levels:
 *
 *   channel = c·K^J + f1·K^(J−1) + … + fJ        (f1 = first, finest split)
 *
 * Within a level the axes are filtered width (last axis) first, then height, then depth, and each
 * pass's band bit is more significant than the next pass's:
 *   1-D: f = [high]
 *   2-D: f = 2·[width high] + [height high]                    (0 LL, 1 pywt cH, 2 cV, 3 cD)
 *   3-D: f = 4·[width high] + 2·[height high] + [depth high]
 * In PyWavelets `dwtn` key terms (one letter per axis, depth first, 'a' low 'd' high), f is the key
 * read backwards as a binary number: 'dad' (depth high, height low, width high) → f = 5. The 2-D
 * rule is WaLLoC's (pytorch_wavelets order); the 3-D rule is its natural extension and the order
 * of `tft.wavelet.WPT3D`.
 *
 * Because `analyzeAxis` writes the band axis right after the channel axis, every pass produces the
 * final channel layout directly: there is no transpose and only two full-size buffers in play.
 */
import { werr } from '../errors.js';
import { analyzeAxis, analyzeLevel2D, dwtScratch, level2DScratch, synthesizeAxis, type WaveletLike } from './dwt.js';
import { filterBank } from './filters.js';
import { iwpt2dSimd, wpt2dSimd } from '../simd/kernels.js';

/** Largest J accepted; 2^12 = 4096 already exceeds any axis WaLLoC would split to one sample. */
export const MAX_LEVELS = 12;

/**
 * Checks that J is an integer in 1..MAX_LEVELS; throws WALLOC_ERR_WAVELET_LEVELS otherwise.
 *
 * @example
 * checkLevels(3);  // 3
 * checkLevels(13); // throws WALLOC_ERR_WAVELET_LEVELS
 */
export function checkLevels(levels: unknown): number {
  if (typeof levels !== 'number' || !Number.isInteger(levels) || levels < 1 || levels > MAX_LEVELS) {
    throw werr('WALLOC_ERR_WAVELET_LEVELS', { levels: String(levels), reason: `J must be an integer from 1 to ${MAX_LEVELS}` });
  }
  return levels;
}

function checkShape(shape: readonly number[], what: string): void {
  const d = shape.length - 1;
  if (d < 1 || d > 3) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `${what}: expected [C, ...1 to 3 spatial axes], got [${shape.join(', ')}]` });
  for (const s of shape) {
    if (!Number.isInteger(s) || s <= 0) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `${what}: dimension ${s} in [${shape.join(', ')}] is not a positive integer` });
  }
}

/** Runs `passes` one after another, ping-ponging between `out` and a scratch so the last lands in `out`. */
function runPasses(
  src: Float32Array, total: number, passes: Array<(from: Float32Array, to: Float32Array) => void>, scratch?: Float32Array,
): Float32Array {
  const out = new Float32Array(total);
  const tmp = passes.length > 1 ? (scratch !== undefined && scratch !== src && scratch.length >= total ? scratch : new Float32Array(total)) : out;
  let from = src;
  for (let i = 0; i < passes.length; i++) {
    const to = (passes.length - 1 - i) % 2 === 0 ? out : tmp;
    passes[i]!(from, to);
    from = to;
  }
  return out;
}

/** Options for the packet transforms. */
export interface PacketOptions {
  /**
   * A buffer of at least the signal's size that may be overwritten, e.g. the padded copy the
   * caller made anyway; saves one allocation per call. The JavaScript kernels ignore it when it is
   * the input itself; the SIMD kernel (which works on its own copy) returns its result in it then too.
   */
  scratch?: Float32Array;
  /** false: run the JavaScript kernels even where the WebAssembly SIMD ones could (tests, comparisons). */
  simd?: boolean;
}

/**
 * Forward packet transform of a [C, ...spatial] array (1 to 3 spatial axes, each a multiple of
 * 2^J) into [C·K^J, ...spatial/2^J].
 *
 * @example
 * const { data, shape } = wptAnalysis(img, [3, 1080, 1920], 3, 'bior4.4'); // shape [192, 135, 240]
 */
export function wptAnalysis(
  data: Float32Array, shape: readonly number[], levels: number, wavelet: WaveletLike = 'bior4.4', options: PacketOptions = {},
): { data: Float32Array; shape: number[] } {
  checkShape(shape, 'wavelet packet analysis');
  const J = checkLevels(levels);
  const bank = typeof wavelet === 'string' ? filterBank(wavelet) : wavelet;
  const d = shape.length - 1;
  const step = 2 ** J;
  for (let a = 1; a <= d; a++) {
    if (shape[a]! % step !== 0) {
      throw werr('WALLOC_ERR_WAVELET_LEVELS', { levels: J, reason: `axis ${a} has length ${shape[a]}, not a multiple of 2^J = ${step} (pad first)` });
    }
  }
  let total = 1;
  for (const s of shape) total *= s;
  if (data.length !== total) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `shape [${shape.join(', ')}] holds ${total} values but the data has ${data.length}` });
  const K = 2 ** d;
  // 2-D bior4.4 (every image model) runs on the WebAssembly SIMD kernels when it can: ~4× faster.
  if (d === 2 && bank.name === 'bior4.4' && options.simd !== false) {
    // The caller's scratch (its padded copy, often the input itself) takes the result: the kernel
    // works in WebAssembly memory, so the input is free once copied in.
    const fast = wpt2dSimd(data, shape[0]!, shape[1]!, shape[2]!, J, options.scratch);
    if (fast !== undefined) return { data: fast, shape: [shape[0]! * K ** J, shape[1]! / step, shape[2]! / step] };
  }
  const ext = dwtScratch(Math.max(...shape.slice(1)));
  const passes: Array<(from: Float32Array, to: Float32Array) => void> = [];
  const sizes = shape.slice(1);
  let C = shape[0]!;
  // 2-D bior4.4 without SIMD: each level is one fused width+height lifting sweep.
  const fused2D = d === 2 && bank.name === 'bior4.4' ? level2DScratch(shape[2]!) : undefined;
  for (let j = 0; j < J; j++) {
    const full = [...sizes];
    const half = sizes.map((s) => s / 2);
    if (fused2D !== undefined) {
      const Cj = C, Hj = full[0]!, Wj = full[1]!;
      passes.push((from, to) => analyzeLevel2D(from, to, Cj, Hj, Wj, fused2D));
    }
    for (let t = 0; t < d && fused2D === undefined; t++) {
      const ax = d - 1 - t; // width first
      const P = C * 2 ** t;
      let Q = 1, Bn = 1;
      for (let i = 0; i < ax; i++) Q *= full[i]!;
      for (let i = ax + 1; i < d; i++) Bn *= half[i]!;
      const n = full[ax]!;
      passes.push((from, to) => analyzeAxis(from, to, P, Q, n, Bn, bank, ext));
    }
    for (let i = 0; i < d; i++) sizes[i] = half[i]!;
    C *= K;
  }
  const out = runPasses(data, total, passes, options.scratch);
  return { data: out, shape: [C, ...sizes] };
}

/**
 * Inverse of {@link wptAnalysis}: [C·K^J, ...spatial/2^J] back to [C, ...spatial], K = 2^(rank − 1).
 *
 * @example
 * const img = wptSynthesis(coeffs, [192, 135, 240], 3, 'bior4.4'); // shape [3, 1080, 1920]
 */
export function wptSynthesis(
  data: Float32Array, shape: readonly number[], levels: number, wavelet: WaveletLike = 'bior4.4', options: PacketOptions = {},
): { data: Float32Array; shape: number[] } {
  checkShape(shape, 'wavelet packet synthesis');
  const J = checkLevels(levels);
  const bank = typeof wavelet === 'string' ? filterBank(wavelet) : wavelet;
  const d = shape.length - 1;
  const K = 2 ** d;
  const groups = K ** J;
  if (shape[0]! % groups !== 0) {
    throw werr('WALLOC_ERR_WAVELET_LEVELS', { levels: J, reason: `${shape[0]} channels are not a multiple of K^J = ${groups}` });
  }
  let total = 1;
  for (const s of shape) total *= s;
  if (data.length !== total) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `shape [${shape.join(', ')}] holds ${total} values but the data has ${data.length}` });
  const step = 2 ** J;
  const sizes = shape.slice(1).map((s) => s * step);
  if (d === 2 && bank.name === 'bior4.4' && options.simd !== false) {
    const fast = iwpt2dSimd(data, shape[0]! / groups, sizes[0]!, sizes[1]!, J);
    if (fast !== undefined) return { data: fast, shape: [shape[0]! / groups, ...sizes] };
  }
  const ext = dwtScratch(Math.max(...sizes));
  const passes: Array<(from: Float32Array, to: Float32Array) => void> = [];
  const half = shape.slice(1);
  for (let j = J - 1; j >= 0; j--) {
    const C = (shape[0]! / groups) * K ** j; // channels before this level split them
    const full = half.map((s) => s * 2);
    for (let t = d - 1; t >= 0; t--) {
      const ax = d - 1 - t;
      const P = C * 2 ** t;
      let Q = 1, Bn = 1;
      for (let i = 0; i < ax; i++) Q *= full[i]!;
      for (let i = ax + 1; i < d; i++) Bn *= half[i]!;
      const n = full[ax]!;
      passes.push((from, to) => synthesizeAxis(from, to, P, Q, n, Bn, bank, ext));
    }
    for (let i = 0; i < d; i++) half[i] = full[i]!;
  }
  const out = runPasses(data, total, passes, options.scratch);
  return { data: out, shape: [shape[0]! / groups, ...sizes] };
}
