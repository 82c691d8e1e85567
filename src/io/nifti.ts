/**
 * NIfTI in and out. Reading goes through nifti-reader-js (NIfTI-1 and NIfTI-2, either byte
 * order, `.nii` or `.nii.gz`); writing is NIfTI-1 single-file (`n+1`), done here: a 348-byte
 * header, four zero extension bytes, voxels at offset 352, gzip through node:zlib for `.nii.gz`.
 *
 * What survives a walloc round trip: the dimensions, the voxel spacing (pixdim), the storage type,
 * scl_slope/scl_inter, qform (code, quaternion, offsets, qfac), sform (code and the three srow
 * rows), the units and the description. Everything else (intent, slice timing, extensions) is not
 * kept: it does not describe the voxels a codec reproduces.
 *
 * Bad input never reaches an allocation: the header is decompressed and checked first (dims,
 * datatype, size limits), then the voxels are inflated with a ceiling of exactly what the header
 * announced, so a gzip bomb or a header claiming 10^12 voxels costs nothing.
 */
import { constants as zc, gunzipSync, gzipSync } from 'node:zlib';
import { inflateHead, isGzip } from './gzip.js';
import * as nifti from 'nifti-reader-js';
import { werr, isWallocError } from '../errors.js';
import type { ImageLimits } from './limits.js';
import { checkVolumeSize, decodeVoxels, encodeVoxels, VOXEL_TYPES, type NiftiInfo, type Volume, type VoxelType } from './volume.js';

/** NIfTI-1 header size and where its voxels start in a single file. */
export const NIFTI1_HEADER_BYTES = 348;
export const NIFTI1_VOX_OFFSET = 352;

/** NIfTI datatype code → walloc voxel type (integer and float types; complex and RGB are refused). */
const BY_CODE: ReadonlyMap<number, VoxelType> = new Map(Object.entries(VOXEL_TYPES).map(([name, s]) => [s.nifti, name as VoxelType]));

export interface NiftiReadOptions {
  /** Size limits (`--max-side`, `--max-pixels` bound each side and the voxel count). */
  limits?: ImageLimits;
  /** Name used in error messages. */
  source?: string;
  /**
   * Which 3-D volume of a 4-D (or higher) file to read. Without it a file with more than one
   * volume is refused with WALLOC_ERR_VOLUME_DIMS: silently coding the first of 100 time points
   * would lose data without saying so.
   */
  volumeIndex?: number;
}

function arrayBufferOf(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** Inflates the start of a gzip stream, for the header only (never throws on a cut). */
function gunzipHead(bytes: Uint8Array, source: string): Buffer {
  try {
    return inflateHead(bytes);
  } catch (e) {
    throw werr('WALLOC_ERR_VOLUME_FORMAT', { source, reason: `gzip: ${(e as Error).message}` }, e);
  }
}

/**
 * Parses a NIfTI-1 or NIfTI-2 file (`.nii`, or gzip-compressed `.nii.gz`) into a {@link Volume}.
 *
 * @example
 * const vol = parseNifti(readFileSync('/usr/share/mricron/templates/ch2.nii.gz'), { source: 'ch2.nii.gz' });
 * vol.shape;   // [181, 217, 181]  ([z, y, x])
 * vol.spacing; // [1, 1, 1]
 */
export function parseNifti(bytes: Uint8Array, opts: NiftiReadOptions = {}): Volume {
  const source = opts.source ?? 'NIfTI input';
  const gz = isGzip(bytes);
  const head = gz ? gunzipHead(bytes, source) : bytes;
  // sizeof_hdr (348 for NIfTI-1, 540 for NIfTI-2, either byte order) tells a cut NIfTI header
  // from something that never was one.
  if (head.length >= 4) {
    const v = new DataView(head.buffer, head.byteOffset, 4);
    if (![348, 540].includes(v.getInt32(0, true)) && ![348, 540].includes(v.getInt32(0, false))) {
      throw werr('WALLOC_ERR_VOLUME_FORMAT', { source, reason: 'no NIfTI magic ("n+1" or "n+2"); .hdr/.img pairs are not supported' });
    }
  }
  if (head.length < NIFTI1_HEADER_BYTES) {
    throw werr(head.length === 0 && !gz ? 'WALLOC_ERR_VOLUME_FORMAT' : 'WALLOC_ERR_VOLUME_TRUNCATED', { source, reason: `${head.length} bytes, shorter than a NIfTI header (348)` });
  }
  const headBuf = arrayBufferOf(head.subarray(0, Math.min(head.length, 1 << 16)));
  if (!nifti.isNIFTI(headBuf)) throw werr('WALLOC_ERR_VOLUME_FORMAT', { source, reason: 'no NIfTI magic ("n+1" or "n+2"); .hdr/.img pairs are not supported' });
  let h: nifti.NIFTI1 | nifti.NIFTI2;
  try {
    h = nifti.readHeader(headBuf);
  } catch (e) {
    throw werr('WALLOC_ERR_VOLUME_FORMAT', { source, reason: `bad header: ${(e as Error).message}` }, e);
  }
  const dims = h.dims;
  const ndim = dims[0]!;
  if (!Number.isInteger(ndim) || ndim < 1 || ndim > 7) throw werr('WALLOC_ERR_VOLUME_FORMAT', { source, reason: `dim[0] = ${ndim}, not 1 to 7` });
  for (let i = 1; i <= ndim; i++) {
    if (!Number.isInteger(dims[i]) || dims[i]! < 1) throw werr('WALLOC_ERR_VOLUME_DIMS', { source, reason: `dim[${i}] = ${dims[i]}` });
  }
  const nx = dims[1]!, ny = ndim >= 2 ? dims[2]! : 1, nz = ndim >= 3 ? dims[3]! : 1;
  let volumes = 1;
  for (let i = 4; i <= ndim; i++) volumes *= dims[i]!;
  const index = opts.volumeIndex ?? 0;
  if (volumes > 1 && opts.volumeIndex === undefined) {
    throw werr('WALLOC_ERR_VOLUME_DIMS', { source, reason: `${ndim}-D image [${dims.slice(1, ndim + 1).join(', ')}] holds ${volumes} volumes; walloc codes one 3-D volume (split it first, e.g. with fslsplit)` });
  }
  if (!Number.isInteger(index) || index < 0 || index >= volumes) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `volume index ${index} is outside 0..${volumes - 1}` });
  const dtype = BY_CODE.get(h.datatypeCode);
  if (dtype === undefined) {
    throw werr('WALLOC_ERR_VOLUME_FORMAT', { source, reason: `datatype ${h.datatypeCode} (${h.getDatatypeCodeString(h.datatypeCode)}) is not an integer or float voxel type` });
  }
  const shape: [number, number, number] = [nz, ny, nx];
  checkVolumeSize(shape, opts.limits, source);
  const voxBytes = VOXEL_TYPES[dtype].bytes;
  const count = nx * ny * nz;
  const offset = Math.round(h.vox_offset) + index * count * voxBytes;
  if (!Number.isSafeInteger(offset) || offset < NIFTI1_HEADER_BYTES) throw werr('WALLOC_ERR_VOLUME_FORMAT', { source, reason: `vox_offset ${h.vox_offset} lies inside the header` });
  const need = offset + count * voxBytes;

  let body: Uint8Array = bytes;
  if (gz) {
    try {
      // Z_SYNC_FLUSH: a cut stream yields what it has (reported below as truncated, with sizes)
      // instead of zlib's bare "unexpected end of file".
      body = gunzipSync(bytes, { maxOutputLength: need + (1 << 20), finishFlush: zc.Z_SYNC_FLUSH });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') throw werr('WALLOC_ERR_VOLUME_FORMAT', { source, reason: `gzip: ${(e as Error).message}` }, e);
      if (index + 1 === volumes) throw werr('WALLOC_ERR_VOLUME_FORMAT', { source, reason: `it inflates to more than the ${need} bytes its header announces` });
      body = inflatePrefix(bytes, need, source);
    }
  }
  if (body.length < need) {
    throw werr('WALLOC_ERR_VOLUME_TRUNCATED', { source, reason: `the header announces ${nx}×${ny}×${nz} ${dtype} voxels at byte ${offset} (${need} bytes) but the ${gz ? 'decompressed ' : ''}file has ${body.length}` });
  }
  const data = decodeVoxels(body.subarray(offset, need), dtype, count, h.littleEndian, h.scl_slope, h.scl_inter);
  const px = (i: number) => {
    const v = Math.abs(h.pixDims[i] ?? 1);
    return Number.isFinite(v) && v > 0 ? v : 1;
  };
  return { data, shape, spacing: [ndim >= 3 ? px(3) : 1, ndim >= 2 ? px(2) : 1, px(1)], dtype, nifti: niftiInfo(h, head) };
}

/** Inflates only the first `n` bytes of a gzip stream (a 4-D file whose later volumes we skip). */
function inflatePrefix(bytes: Uint8Array, n: number, source: string): Buffer {
  // Feed ever larger compressed prefixes: the output of a prefix is at most what it holds, and
  // the first that covers n bytes is cut there. Z_SYNC_FLUSH tolerates the cut.
  for (let take = Math.min(bytes.length, 1 << 16); ; take = Math.min(bytes.length, take * 2)) {
    let out: Buffer;
    try {
      out = gunzipSync(bytes.subarray(0, take), { finishFlush: zc.Z_SYNC_FLUSH, maxOutputLength: n + (1 << 20) });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw werr('WALLOC_ERR_VOLUME_FORMAT', { source, reason: 'the compressed stream inflates faster than any volume could' });
      throw werr('WALLOC_ERR_VOLUME_FORMAT', { source, reason: `gzip: ${(e as Error).message}` }, e);
    }
    if (out.length >= n || take === bytes.length) return out.subarray(0, Math.min(n, out.length));
  }
}

function niftiInfo(h: nifti.NIFTI1 | nifti.NIFTI2, head: Uint8Array): NiftiInfo {
  let srow: number[];
  if (!(h instanceof nifti.NIFTI2)) {
    // The stored sform rows, read as they are (the reader's `affine` is derived, qform or sform).
    const v = new DataView(head.buffer, head.byteOffset, NIFTI1_HEADER_BYTES);
    srow = Array.from({ length: 12 }, (_, i) => v.getFloat32(280 + 4 * i, h.littleEndian));
  } else {
    srow = h.affine.slice(0, 3).flat();
  }
  const finite = (x: number, d: number) => (Number.isFinite(x) ? x : d);
  return {
    qformCode: h.qform_code, sformCode: h.sform_code,
    quatern: [finite(h.quatern_b, 0), finite(h.quatern_c, 0), finite(h.quatern_d, 0)],
    qoffset: [finite(h.qoffset_x, 0), finite(h.qoffset_y, 0), finite(h.qoffset_z, 0)],
    qfac: h.pixDims[0] === -1 ? -1 : 1,
    srow: srow.map((x) => finite(x, 0)),
    xyztUnits: h.xyzt_units,
    sclSlope: finite(h.scl_slope, 0), sclInter: finite(h.scl_inter, 0),
    descrip: (h.description ?? '').replace(/\0+$/, '').slice(0, 79),
  };
}

/**
 * The voxel→world affine (4×4, for (i, j, k) = (x, y, z) indices) a standard reader derives from
 * the header: the sform when its code is set, else the qform, else plain spacing.
 *
 * @example
 * niftiAffine(vol); // [[-1, 0, 0, 90], [0, 1, 0, -126], [0, 0, 1, -72], [0, 0, 0, 1]] for ch2
 */
export function niftiAffine(vol: Volume): number[][] {
  const n = vol.nifti;
  const [dz, dy, dx] = vol.spacing;
  if (n && n.sformCode > 0) return [n.srow.slice(0, 4), n.srow.slice(4, 8), n.srow.slice(8, 12), [0, 0, 0, 1]];
  if (n && n.qformCode > 0) {
    const [b, c, d] = n.quatern;
    const a = Math.sqrt(Math.max(0, 1 - (b * b + c * c + d * d)));
    const R = [
      [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
      [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
      [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
    ];
    const s = [dx, dy, dz * n.qfac];
    return [0, 1, 2].map((r) => [R[r]![0]! * s[0]!, R[r]![1]! * s[1]!, R[r]![2]! * s[2]!, n.qoffset[r]!]).concat([[0, 0, 0, 1]]);
  }
  return [[dx, 0, 0, 0], [0, dy, 0, 0], [0, 0, dz, 0], [0, 0, 0, 1]];
}

/**
 * Writes a volume as a single-file NIfTI-1 (`n+1`), gzip-compressed when `gzip` is set. The voxels
 * are stored in `vol.dtype` (integers rounded and clamped) with the volume's scl_slope/scl_inter.
 *
 * @example
 * writeFileSync('back.nii.gz', encodeNifti(vol, { gzip: true }));
 */
export function encodeNifti(vol: Volume, opts: { gzip?: boolean } = {}): Buffer {
  const [nz, ny, nx] = vol.shape;
  const spec = VOXEL_TYPES[vol.dtype];
  const n = vol.nifti;
  const isFloat = !Number.isFinite(spec.min);
  // Integer storage keeps the input's scaling; float storage needs none.
  const slope = n && n.sclSlope !== 0 && !isFloat ? n.sclSlope : isFloat ? 0 : 1;
  const inter = n && n.sclSlope !== 0 && !isFloat ? n.sclInter : 0;
  const voxels = encodeVoxels(vol.data, vol.dtype, slope === 0 ? 1 : slope, inter);
  const out = Buffer.alloc(NIFTI1_VOX_OFFSET + voxels.length);
  const v = new DataView(out.buffer, out.byteOffset, NIFTI1_VOX_OFFSET);
  v.setInt32(0, NIFTI1_HEADER_BYTES, true);
  out[38] = 'r'.charCodeAt(0);
  const dims = [3, nx, ny, nz, 1, 1, 1, 1];
  dims.forEach((d, i) => v.setInt16(40 + 2 * i, d, true));
  v.setInt16(70, spec.nifti, true);
  v.setInt16(72, spec.bytes * 8, true);
  const [dz, dy, dx] = vol.spacing;
  [n?.qfac ?? 1, dx, dy, dz, 0, 0, 0, 0].forEach((p, i) => v.setFloat32(76 + 4 * i, p, true));
  v.setFloat32(108, NIFTI1_VOX_OFFSET, true);
  v.setFloat32(112, slope, true);
  v.setFloat32(116, inter, true);
  out[123] = n ? n.xyztUnits & 0xff : 2; // 2 = millimetres, what walloc's spacing means
  // cal_min/cal_max left 0: viewers then pick their own display range, as for most scanner output.
  out.write((n?.descrip ?? 'walloc').slice(0, 79), 148, 'latin1');
  v.setInt16(252, n?.qformCode ?? 0, true);
  v.setInt16(254, n?.sformCode ?? 0, true);
  (n?.quatern ?? [0, 0, 0]).forEach((q, i) => v.setFloat32(256 + 4 * i, q, true));
  (n?.qoffset ?? [0, 0, 0]).forEach((q, i) => v.setFloat32(268 + 4 * i, q, true));
  const srow = n?.srow ?? [dx, 0, 0, 0, 0, dy, 0, 0, 0, 0, dz, 0];
  srow.forEach((s, i) => v.setFloat32(280 + 4 * i, s, true));
  out.write('n+1\0', 344, 'latin1');
  out.set(voxels, NIFTI1_VOX_OFFSET);
  return opts.gzip ? gzipSync(out, { level: 6 }) : out;
}

/**
 * True when a parse error means "this is not NIfTI at all" (so a caller may try another reader).
 *
 * @example
 * try { parseNifti(b) } catch (e) { if (isNotNifti(e)) tryRaw(b); else throw e; }
 */
export function isNotNifti(e: unknown): boolean {
  return isWallocError(e, 'WALLOC_ERR_VOLUME_FORMAT') && /no NIfTI magic/.test(String(e.details.reason));
}
