/**
 * Centred reflect padding to a multiple of 2^J and the crop that undoes it, as `walloc.pad` /
 * `walloc.crop` do it: before = floor(total / 2), after = the rest, reflection without repeating
 * the edge sample (numpy/torch 'reflect': [a b c] → b [a b c] b).
 *
 * torch refuses a reflect pad wider than the signal; numpy keeps reflecting back and forth. We
 * follow numpy so that small frames with many levels still pad (the transform stage decides what
 * is too large), and a length-1 axis just repeats its one sample, as numpy does.
 */
import { werr } from '../errors.js';

/**
 * Padding [before, after] that brings length `n` to the next multiple of `multiple`.
 *
 * @example
 * padFor(1080, 16); // [4, 4]: 1080 → 1088
 * padFor(5, 4);     // [1, 2]: 5 → 8
 */
export function padFor(n: number, multiple: number): [number, number] {
  const total = Math.ceil(n / multiple) * multiple - n;
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/**
 * Index into a length-`n` axis that numpy's reflect padding reads for position `i` (which may lie
 * outside 0..n−1 by any amount).
 *
 * @example
 * reflectIndex(-1, 5); // 1
 * reflectIndex(6, 5);  // 2
 */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const m = ((i % period) + period) % period;
  return m < n ? m : period - m;
}

function checkPads(shape: readonly number[], pads: ReadonlyArray<readonly [number, number]>, what: string): number {
  const lead = shape.length - pads.length;
  if (lead < 0) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `${what}: ${pads.length} padded axes but the shape [${shape.join(', ')}] has only ${shape.length}` });
  for (const [b, a] of pads) {
    if (!(Number.isInteger(b) && Number.isInteger(a) && b >= 0 && a >= 0)) {
      throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `${what}: padding [${b}, ${a}] is not a pair of non-negative integers` });
    }
  }
  return lead;
}

/**
 * Reflect-pads the trailing `pads.length` axes of a row-major array (leading axes, e.g. channels,
 * are left alone). Returns the input itself when there is nothing to pad.
 *
 * @example
 * const { data, shape } = padReflect(img, [3, 1080, 1920], [[4, 4], [0, 0]]); // shape [3, 1088, 1920]
 */
export function padReflect(
  data: Float32Array, shape: readonly number[], pads: ReadonlyArray<readonly [number, number]>,
): { data: Float32Array; shape: number[] } {
  const lead = checkPads(shape, pads, 'pad');
  if (pads.every(([b, a]) => b === 0 && a === 0)) return { data, shape: [...shape] };
  const outShape = shape.map((d, i) => (i < lead ? d : d + pads[i - lead]![0] + pads[i - lead]![1]));
  const nd = shape.length;
  // Per axis: which source index each output index reads, so the row loop below never reflects.
  const maps = outShape.map((d, i) => {
    const m = new Int32Array(d);
    const before = i < lead ? 0 : pads[i - lead]![0];
    for (let j = 0; j < d; j++) m[j] = i < lead ? j : reflectIndex(j - before, shape[i]!);
    return m;
  });
  const srcStride = new Array<number>(nd).fill(1);
  for (let i = nd - 2; i >= 0; i--) srcStride[i] = srcStride[i + 1]! * shape[i + 1]!;
  const W = shape[nd - 1]!, OW = outShape[nd - 1]!;
  const [bw] = nd - 1 < lead ? [0] : pads[nd - 1 - lead]!;
  const lastMap = maps[nd - 1]!;
  let rows = 1;
  for (let i = 0; i < nd - 1; i++) rows *= outShape[i]!;
  const out = new Float32Array(rows * OW);
  const idx = new Array<number>(Math.max(nd - 1, 0)).fill(0);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let i = 0; i < nd - 1; i++) s += maps[i]![idx[i]!]! * srcStride[i]!;
    const o = r * OW;
    for (let j = 0; j < bw; j++) out[o + j] = data[s + lastMap[j]!]!;
    out.set(data.subarray(s, s + W), o + bw);
    for (let j = bw + W; j < OW; j++) out[o + j] = data[s + lastMap[j]!]!;
    for (let i = nd - 2; i >= 0; i--) {
      if (++idx[i]! < outShape[i]!) break;
      idx[i] = 0;
    }
  }
  return { data: out, shape: outShape };
}

/**
 * Removes padding added by {@link padReflect}: keeps [before, length − after) of each trailing axis.
 *
 * @example
 * const { data } = cropPad(padded, [3, 1088, 1920], [[4, 4], [0, 0]]); // back to [3, 1080, 1920]
 */
export function cropPad(
  data: Float32Array, shape: readonly number[], pads: ReadonlyArray<readonly [number, number]>,
): { data: Float32Array; shape: number[] } {
  const lead = checkPads(shape, pads, 'crop');
  if (pads.every(([b, a]) => b === 0 && a === 0)) return { data, shape: [...shape] };
  const outShape = shape.map((d, i) => (i < lead ? d : d - pads[i - lead]![0] - pads[i - lead]![1]));
  if (outShape.some((d) => d <= 0)) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `crop: padding [${pads.map((p) => p.join('+')).join(', ')}] leaves nothing of [${shape.join(', ')}]` });
  const nd = shape.length;
  const off = shape.map((_, i) => (i < lead ? 0 : pads[i - lead]![0]));
  const srcStride = new Array<number>(nd).fill(1);
  for (let i = nd - 2; i >= 0; i--) srcStride[i] = srcStride[i + 1]! * shape[i + 1]!;
  const OW = outShape[nd - 1]!;
  let rows = 1;
  for (let i = 0; i < nd - 1; i++) rows *= outShape[i]!;
  const out = new Float32Array(rows * OW);
  const idx = new Array<number>(Math.max(nd - 1, 0)).fill(0);
  for (let r = 0; r < rows; r++) {
    let s = off[nd - 1]!;
    for (let i = 0; i < nd - 1; i++) s += (idx[i]! + off[i]!) * srcStride[i]!;
    out.set(data.subarray(s, s + OW), r * OW);
    for (let i = nd - 2; i >= 0; i--) {
      if (++idx[i]! < outShape[i]!) break;
      idx[i] = 0;
    }
  }
  return { data: out, shape: outShape };
}
