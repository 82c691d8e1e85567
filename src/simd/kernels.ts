/**
 * The codec's hot loops on WebAssembly SIMD (wasm/kernels.wat, 4 float32 lanes): the 2-D bior4.4
 * packet transform both ways and the encoder's 1×1 projection. Each computes what its JavaScript
 * counterpart computes (dwt.ts `analyzeLevel2D` / `synthesizeAxis`, analysis.ts `project`) in
 * float32 instead of float64; test/src/simd/kernels.test.ts bounds the difference.
 *
 * One module instance per thread, created on first use; its memory grows to the largest job seen
 * and is reused. A runtime without SIMD, WALLOC_NO_SIMD=1, or a job needing more than
 * {@link MAX_SIMD_BYTES} makes the wrappers return `undefined`, and callers run the JS kernels.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';

interface KernelExports {
  memory: WebAssembly.Memory;
  wpt2d(a: number, b: number, C: number, H: number, W: number, J: number, scr: number, stride: number): number;
  iwpt2d(a: number, b: number, C: number, H: number, W: number, J: number, scr: number, stride: number): number;
  project(input: number, P: number, M: number, w: number, bias: number, N4: number, out: number, PS: number): void;
}

/** Bytes of WebAssembly memory a job may use before the JavaScript kernels take it instead. */
export const MAX_SIMD_BYTES = 2 ** 31;
const PAGE = 65536;
/** Vector loops may read up to 7 floats past their last buffer. */
const SLACK = 64;

let kernels: KernelExports | null | undefined;

function instance(): KernelExports | null {
  if (kernels !== undefined) return kernels;
  try {
    if (process.env.WALLOC_NO_SIMD === '1') return (kernels = null);
    const bytes = readFileSync(join(packageRoot(), 'wasm', 'kernels.wasm'));
    kernels = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as KernelExports;
  } catch {
    kernels = null; // no SIMD in this runtime, or the file is missing: the JS kernels do the work
  }
  return kernels;
}

/**
 * True when the SIMD kernels are loaded (WALLOC_NO_SIMD=1 forces the JavaScript kernels).
 *
 * @example
 * if (!simdAvailable()) console.warn('encoding on the JavaScript kernels');
 */
export function simdAvailable(): boolean {
  return instance() !== null;
}

const align = (n: number): number => (n + 15) & ~15;

/** The module's memory as a buffer of at least `bytes`, or undefined when that is too much. */
function heap(m: KernelExports, bytes: number): ArrayBuffer | undefined {
  if (bytes > MAX_SIMD_BYTES) return undefined;
  const have = m.memory.buffer.byteLength;
  if (bytes > have) m.memory.grow(Math.ceil((bytes - have) / PAGE));
  return m.memory.buffer;
}

/**
 * Forward J-level 2-D bior4.4 packet transform of planar [C, H, W] float32 data (H and W multiples
 * of 2^J) into [C·4^J, H/2^J, W/2^J] in the channel order of `wptAnalysis`, or `undefined` when the
 * SIMD kernels cannot take the job. The result goes into `out` when it has room (`data` itself
 * may be passed: the kernel reads its own copy), else into a new array.
 *
 * @example
 * const c = wpt2dSimd(rgb, 3, 1080, 1920, 3); // 192 × 135 × 240 floats, or undefined
 */
export function wpt2dSimd(data: Float32Array, C: number, H: number, W: number, J: number, out?: Float32Array): Float32Array | undefined {
  return packet('wpt2d', 10, data, C, H, W, J, out);
}

/**
 * Inverse of {@link wpt2dSimd}: [C·4^J, H/2^J, W/2^J] coefficients back to planar [C, H, W]
 * (C, H, W are the output's), or `undefined` when the SIMD kernels cannot take the job.
 *
 * @example
 * const rgb = iwpt2dSimd(coeffs, 3, 1080, 1920, 3); // 3 × 1080 × 1920 floats, or undefined
 */
export function iwpt2dSimd(data: Float32Array, C: number, H: number, W: number, J: number): Float32Array | undefined {
  return packet('iwpt2d', 7, data, C, H, W, J);
}

/**
 * Runs a packet kernel: `rows` scratch rows of the widest row (see the .wat), then the two
 * frame-sized ping-pong buffers, the first holding the input; copies out the one with the result,
 * into `out` when it has room (it may be the input: that has been copied in by then).
 */
function packet(kernel: 'wpt2d' | 'iwpt2d', rows: number, data: Float32Array, C: number, H: number, W: number, J: number, out?: Float32Array): Float32Array | undefined {
  const m = instance();
  if (m === null) return undefined;
  const total = C * H * W;
  const stride = align((W + 16) * 4);
  const a = align(rows * stride);
  const b = align(a + total * 4);
  const buf = heap(m, b + total * 4 + SLACK);
  if (buf === undefined) return undefined;
  new Float32Array(buf, a, total).set(data);
  const at = m[kernel](a, b, C, H, W, J, 0, stride);
  const result = new Float32Array(buf, at, total);
  if (out === undefined || out.length < total) return result.slice();
  const into = out.length === total ? out : out.subarray(0, total);
  into.set(result);
  return into;
}

/**
 * out[n, p] = bias[n] + Σ_m weight[n, m] · input[m, p] over planar [M, P] input (the encoder's 1×1
 * convolution), into `out` [N, P] or a new array; `undefined` when the SIMD kernels cannot take it.
 *
 * @example
 * const y = projectSimd(coeffs, 192, w, b, 12); // [12, P], or undefined
 */
export function projectSimd(
  input: Float32Array, M: number, weight: Float32Array, bias: Float32Array | undefined, N: number, out?: Float32Array,
): Float32Array | undefined {
  const m = instance();
  if (m === null || M < 1 || N < 1) return undefined;
  const P = input.length / M;
  const N4 = (N + 3) & ~3;
  const PS = (P + 7) & ~7;
  const inAt = 0;
  const wAt = align(inAt + input.length * 4 + SLACK);
  const bAt = align(wAt + M * N4 * 4);
  const outAt = align(bAt + N4 * 4);
  const buf = heap(m, outAt + N4 * PS * 4 + SLACK);
  if (buf === undefined) return undefined;
  new Float32Array(buf, inAt, input.length).set(input);
  // weights transposed to [M, N4], zero columns for the padding outputs
  const wt = new Float32Array(buf, wAt, M * N4).fill(0);
  for (let n = 0; n < N; n++) for (let k = 0; k < M; k++) wt[k * N4 + n] = weight[n * M + k]!;
  const bv = new Float32Array(buf, bAt, N4).fill(0);
  if (bias !== undefined) bv.set(bias);
  m.project(inAt, P, M, wAt, bAt, N4, outAt, PS);
  const result = out ?? new Float32Array(N * P);
  const o = new Float32Array(buf, outAt, N4 * PS);
  if (PS === P) result.set(o.subarray(0, N * P));
  else for (let n = 0; n < N; n++) result.set(o.subarray(n * PS, n * PS + P), n * P);
  return result;
}
