/**
 * Volumes at the process edge: the in-memory {@link Volume} every volume source produces and every
 * volume sink consumes, the voxel types, raw volumes (`--shape D,H,W --dtype`), the intensity
 * window that maps voxels to the codec's [-0.5, 0.5] frames, and the checks that stop absurd sizes
 * before anything is allocated.
 *
 * Axis order: a volume is [D, H, W] row-major with W fastest, i.e. NIfTI's (x, y, z) read as
 * [z, y, x]; `spacing` follows the same order (mm). Voxel values are the *scaled* intensities
 * (NIfTI's raw·scl_slope + scl_inter) as float32; `dtype` remembers how they were stored, so a
 * decoder writes the same type back.
 */
import { werr } from '../errors.js';
import { makeFrame, type VolumeFrame } from '../frame.js';
import { limitExceeded, RAISE_LIMIT, resolveImageLimits, type ImageLimits } from './limits.js';

/** Voxel storage types walloc reads and writes (NIfTI's integer and float types, little-endian raw). */
export type VoxelType = 'uint8' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

interface VoxelSpec {
  bytes: 1 | 2 | 4 | 8;
  /** NIfTI-1 datatype code. */
  nifti: number;
  /** Range of an integer type (floats: ±Infinity). */
  min: number;
  max: number;
  get(v: DataView, o: number, le: boolean): number;
  set(v: DataView, o: number, x: number, le: boolean): void;
}

/** The voxel types by name, with their NIfTI codes and byte accessors. */
export const VOXEL_TYPES: Readonly<Record<VoxelType, VoxelSpec>> = {
  uint8: { bytes: 1, nifti: 2, min: 0, max: 255, get: (v, o) => v.getUint8(o), set: (v, o, x) => v.setUint8(o, x) },
  int8: { bytes: 1, nifti: 256, min: -128, max: 127, get: (v, o) => v.getInt8(o), set: (v, o, x) => v.setInt8(o, x) },
  int16: { bytes: 2, nifti: 4, min: -32768, max: 32767, get: (v, o, le) => v.getInt16(o, le), set: (v, o, x, le) => v.setInt16(o, x, le) },
  uint16: { bytes: 2, nifti: 512, min: 0, max: 65535, get: (v, o, le) => v.getUint16(o, le), set: (v, o, x, le) => v.setUint16(o, x, le) },
  int32: { bytes: 4, nifti: 8, min: -2147483648, max: 2147483647, get: (v, o, le) => v.getInt32(o, le), set: (v, o, x, le) => v.setInt32(o, x, le) },
  uint32: { bytes: 4, nifti: 768, min: 0, max: 4294967295, get: (v, o, le) => v.getUint32(o, le), set: (v, o, x, le) => v.setUint32(o, x, le) },
  float32: { bytes: 4, nifti: 16, min: -Infinity, max: Infinity, get: (v, o, le) => v.getFloat32(o, le), set: (v, o, x, le) => v.setFloat32(o, x, le) },
  float64: { bytes: 8, nifti: 64, min: -Infinity, max: Infinity, get: (v, o, le) => v.getFloat64(o, le), set: (v, o, x, le) => v.setFloat64(o, x, le) },
};

/** Short names accepted by `--dtype` besides the full ones. */
const DTYPE_ALIASES: Readonly<Record<string, VoxelType>> = {
  u8: 'uint8', i8: 'int8', s8: 'int8', i16: 'int16', s16: 'int16', u16: 'uint16', i32: 'int32', s32: 'int32', u32: 'uint32', f32: 'float32', f64: 'float64',
  float: 'float32', double: 'float64',
};

/**
 * Parses a `--dtype` value (full names such as `int16`, or `u8`, `i16`, `u16`, `f32`, …).
 *
 * @example
 * parseVoxelType('i16'); // 'int16'
 * parseVoxelType('complex64'); // throws WALLOC_ERR_INVALID_ARGUMENT
 */
export function parseVoxelType(s: string): VoxelType {
  const t = (s in VOXEL_TYPES ? s : DTYPE_ALIASES[s.toLowerCase()]) as VoxelType | undefined;
  if (t === undefined) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--dtype must be one of ${Object.keys(VOXEL_TYPES).join(', ')} (or u8, i16, u16, f32 …), got "${s}"` });
  return t;
}

/** Everything of a NIfTI-1 header that a decoder needs to write the same file geometry back. */
export interface NiftiInfo {
  /** qform and sform codes (0 = unknown, 1 scanner, 2 aligned, 3 Talairach, 4 MNI). */
  qformCode: number;
  sformCode: number;
  /** Quaternion b, c, d and offsets x, y, z of the qform. */
  quatern: [number, number, number];
  qoffset: [number, number, number];
  /** pixdim[0]: the qform's handedness, ±1. */
  qfac: number;
  /** The sform rows srow_x, srow_y, srow_z (12 numbers). */
  srow: number[];
  xyztUnits: number;
  sclSlope: number;
  sclInter: number;
  descrip: string;
}

/** A volume in memory (see the module comment for axis order and units). */
export interface Volume {
  data: Float32Array;
  /** [D, H, W] = NIfTI [nz, ny, nx]. */
  shape: [number, number, number];
  /** Voxel size in mm, [dz, dy, dx]. */
  spacing: [number, number, number];
  /** How the voxels were stored (and will be written back). */
  dtype: VoxelType;
  /** NIfTI geometry, when the volume came from (or goes to) NIfTI. */
  nifti?: NiftiInfo;
}

/**
 * Refuses a volume of non-positive or absurd size before anything is allocated: each side at most
 * `maxSide`, and D·H·W at most `maxPixels` (the same flags as images: `--max-side`, `--max-pixels`).
 *
 * @example
 * checkVolumeSize([181, 217, 181], {}, 'ch2.nii.gz'); // ok
 * checkVolumeSize([100000, 100000, 100000], {}, 'x'); // throws WALLOC_ERR_LIMIT_EXCEEDED
 */
export function checkVolumeSize(shape: readonly number[], limits: ImageLimits = {}, source = 'input'): void {
  const { maxSide, maxPixels } = resolveImageLimits(limits);
  if (shape.length !== 3 || !shape.every((d) => Number.isSafeInteger(d) && d > 0)) {
    throw werr('WALLOC_ERR_VOLUME_DIMS', { source, reason: `size [${shape.join(', ')}] is not three positive whole numbers` });
  }
  for (const d of shape) {
    if (d > maxSide) throw limitExceeded(`volume side (${shape.join('×')})`, d, maxSide, RAISE_LIMIT.maxSide, source);
  }
  const voxels = shape[0]! * shape[1]! * shape[2]!;
  if (voxels > maxPixels) {
    throw limitExceeded(`voxels per volume (${shape.join('×')})`, voxels, maxPixels, RAISE_LIMIT.maxPixels, source);
  }
}

/**
 * Reads voxels of a storage type out of bytes into float32, applying `slope`/`inter` (NIfTI's
 * scl_slope, scl_inter; slope 0 means "no scaling", as the standard says).
 *
 * @example
 * decodeVoxels(Buffer.from([1, 0, 2, 0]), 'int16', 2, true); // Float32Array [1, 2]
 */
export function decodeVoxels(bytes: Uint8Array, dtype: VoxelType, count: number, littleEndian: boolean, slope = 1, inter = 0): Float32Array {
  const spec = VOXEL_TYPES[dtype];
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * spec.bytes);
  const s = slope === 0 || !Number.isFinite(slope) ? 1 : slope;
  const b = Number.isFinite(inter) ? inter : 0;
  if (dtype === 'uint8') {
    for (let i = 0; i < count; i++) out[i] = bytes[i]! * s + b;
    return out;
  }
  for (let i = 0; i < count; i++) out[i] = spec.get(view, i * spec.bytes, littleEndian) * s + b;
  return out;
}

/**
 * Stores float voxels in a storage type, little-endian: the inverse of {@link decodeVoxels}
 * (integers are rounded half away from zero and clamped to the type's range).
 *
 * @example
 * encodeVoxels(Float32Array.of(1.4, 300), 'uint8'); // Uint8Array [1, 255]
 */
export function encodeVoxels(data: Float32Array, dtype: VoxelType, slope = 1, inter = 0): Uint8Array {
  const spec = VOXEL_TYPES[dtype];
  const out = new Uint8Array(data.length * spec.bytes);
  const view = new DataView(out.buffer);
  const s = slope === 0 || !Number.isFinite(slope) ? 1 : slope;
  const b = Number.isFinite(inter) ? inter : 0;
  const isInt = Number.isFinite(spec.min);
  for (let i = 0; i < data.length; i++) {
    let x = (data[i]! - b) / s;
    if (isInt) {
      x = Math.round(x);
      x = x < spec.min ? spec.min : x > spec.max ? spec.max : Number.isNaN(x) ? 0 : x;
    }
    spec.set(view, i * spec.bytes, x, true);
  }
  return out;
}

/**
 * Parses a raw volume: D·H·W voxels of `dtype`, row-major with W fastest, little-endian unless
 * `bigEndian`. The byte count must match exactly (a short file is truncated, a long one is the
 * wrong shape).
 *
 * @example
 * const vol = parseRawVolume(bytes, [10, 128, 128], 'uint16', { spacing: [3, 1, 1] });
 */
export function parseRawVolume(
  bytes: Uint8Array, shape: [number, number, number], dtype: VoxelType,
  opts: { spacing?: [number, number, number]; bigEndian?: boolean; limits?: ImageLimits; source?: string } = {},
): Volume {
  const source = opts.source ?? 'raw volume';
  checkVolumeSize(shape, opts.limits, source);
  const count = shape[0] * shape[1] * shape[2];
  const need = count * VOXEL_TYPES[dtype].bytes;
  if (bytes.length < need) throw werr('WALLOC_ERR_VOLUME_TRUNCATED', { source, reason: `${shape.join('×')} ${dtype} voxels need ${need} bytes, got ${bytes.length}` });
  if (bytes.length > need) throw werr('WALLOC_ERR_VOLUME_DIMS', { source, reason: `${bytes.length} bytes is more than ${shape.join('×')} ${dtype} voxels (${need} bytes); check --shape and --dtype` });
  return { data: decodeVoxels(bytes, dtype, count, !opts.bigEndian), shape: [...shape], spacing: opts.spacing ?? [1, 1, 1], dtype };
}

/**
 * Parses `--shape D,H,W` (or `WxHxD`-free comma lists only, slowest axis first).
 *
 * @example
 * parseShape3('10,128,128'); // [10, 128, 128]
 */
export function parseShape3(s: string, flag = '--shape'): [number, number, number] {
  const parts = s.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 3 || !parts.every((d) => Number.isSafeInteger(d) && d > 0)) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${flag} must be three positive integers D,H,W (slowest axis first), got "${s}"` });
  }
  return parts as [number, number, number];
}

/**
 * Parses `--spacing dz,dy,dx` in mm.
 *
 * @example
 * parseSpacing('3,0.9,0.9'); // [3, 0.9, 0.9]
 */
export function parseSpacing(s: string): [number, number, number] {
  const parts = s.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 3 || !parts.every((d) => Number.isFinite(d) && d > 0)) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--spacing must be three positive numbers dz,dy,dx in mm, got "${s}"` });
  }
  return parts as [number, number, number];
}

/** How a codec maps voxel intensities to [-0.5, 0.5]; recorded in the model (`training.window`). */
export interface WindowRule {
  /** Low end: this percentile of the volume's voxels (0 = the minimum). */
  lowPercentile: number;
  /** High end: this percentile (99.9 by default: a few hot voxels must not squash the rest). */
  highPercentile: number;
}

/** The default rule: minimum to 99.9th percentile, the peak the PSNR of volumes is measured against. */
export const DEFAULT_WINDOW: WindowRule = Object.freeze({ lowPercentile: 0, highPercentile: 99.9 });

/**
 * Percentiles of a volume's voxels (by a 4096-bin histogram refined to the exact voxel value, so it
 * costs two passes, not a sort of millions of values).
 *
 * @example
 * percentiles(vol.data, [0, 99.9]); // [min, p99.9]
 */
export function percentiles(data: Float32Array, ps: readonly number[]): number[] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return ps.map(() => 0);
  if (hi === lo) return ps.map(() => lo);
  const bins = 4096;
  const hist = new Float64Array(bins);
  const k = (bins - 1) / (hi - lo);
  for (let i = 0; i < data.length; i++) hist[Math.floor((data[i]! - lo) * k)]! += 1;
  return ps.map((p) => {
    if (p <= 0) return lo;
    if (p >= 100) return hi;
    const rank = (p / 100) * (data.length - 1);
    let acc = 0;
    for (let b = 0; b < bins; b++) {
      if (acc + hist[b]! > rank) {
        // Linear within the bin: exact for integer voxels that fill whole bins, close otherwise.
        const frac = (rank - acc) / hist[b]!;
        return lo + (b + frac) / k;
      }
      acc += hist[b]!;
    }
    return hi;
  });
}

/**
 * The intensity window [lo, hi] of a volume under a rule; never empty (a constant volume gets a
 * window of width 1 so that it maps to one grey value).
 *
 * @example
 * volumeWindow(vol.data); // [min, p99.9]
 */
export function volumeWindow(data: Float32Array, rule: WindowRule = DEFAULT_WINDOW): [number, number] {
  const [lo, hi] = percentiles(data, [rule.lowPercentile, rule.highPercentile]) as [number, number];
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}

/**
 * A volume as the codec's frame: [1, D, H, W] with v ↦ (v − lo)/(hi − lo) − 0.5. Values outside
 * the window are kept (not clipped): the codec is linear there and the decoder clamps to the
 * volume's real range instead.
 *
 * @example
 * const frame = volumeToFrame(vol, volumeWindow(vol.data)); // meta.window, meta.spacing set
 */
export function volumeToFrame(vol: Volume, window: [number, number]): VolumeFrame {
  const [lo, hi] = window;
  const k = 1 / (hi - lo);
  const out = new Float32Array(vol.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = vol.data[i]!;
    // NaN (float volumes mark "no data" so) becomes the window's low end: the codec needs numbers.
    out[i] = v === v ? (v - lo) * k - 0.5 : -0.5;
  }
  return makeFrame('volume', [1, ...vol.shape], out, { window: [lo, hi], spacing: [...vol.spacing] }) as VolumeFrame;
}

/**
 * The inverse of {@link volumeToFrame}: frame values back to intensities, clamped to `range` (the
 * original volume's [min, max], recorded by the encoder).
 *
 * @example
 * const data = frameToIntensities(decoded, [0, 255], [0, 255]);
 */
export function frameToIntensities(frame: { data: Float32Array }, window: [number, number], range?: [number, number]): Float32Array {
  const [lo, hi] = window;
  const w = hi - lo;
  const out = new Float32Array(frame.data.length);
  const rlo = range?.[0] ?? -Infinity, rhi = range?.[1] ?? Infinity;
  for (let i = 0; i < out.length; i++) {
    const v = (frame.data[i]! + 0.5) * w + lo;
    out[i] = v < rlo ? rlo : v > rhi ? rhi : v;
  }
  return out;
}

/**
 * Smallest and largest voxel value.
 *
 * @example
 * valueRange(Float32Array.of(3, -1, 2)); // [-1, 3]
 */
export function valueRange(data: Float32Array): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
