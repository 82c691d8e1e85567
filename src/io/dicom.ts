/**
 * DICOM in (reading only: walloc writes volumes back as NIfTI). One Part-10 file is a volume of
 * depth 1; a series (a folder of files, or a list of them) becomes one {@link Volume}. The parsing
 * of the file structure is dicom-parser's (cornerstone, MIT); the checks, the slice order, the
 * geometry and the voxels are done here.
 *
 * What is read: the uncompressed transfer syntaxes (implicit VR little endian 1.2.840.10008.1.2,
 * explicit VR little endian …1.2.1, explicit VR big endian …1.2.2), one grey sample per pixel
 * (MONOCHROME1/2; values are kept as stored, a viewer inverts MONOCHROME1), BitsAllocated 8, 16 or
 * 32, signed or unsigned (PixelRepresentation), masked to BitsStored at HighBit, with
 * RescaleSlope/RescaleIntercept applied. What is refused, each with a coded error and before
 * anything large is allocated: compressed transfer syntaxes (JPEG, JPEG-LS, JPEG 2000, RLE,
 * deflate: WALLOC_ERR_DICOM_COMPRESSED), Siemens mosaics, colour images, other
 * BitsAllocated, float pixel data (WALLOC_ERR_DICOM_UNSUPPORTED), a file without pixel data or
 * without the DICM magic (WALLOC_ERR_VOLUME_FORMAT), a cut file (WALLOC_ERR_VOLUME_TRUNCATED),
 * sizes over `--max-side`/`--max-pixels` (WALLOC_ERR_LIMIT_EXCEEDED).
 *
 * A multi-frame file (enhanced MR/CT/PET, an RT dose grid) is a series of its frames, placed by
 * its functional groups or GridFrameOffsetVector (see {@link framesOf}); a `.dcm.gz` is inflated.
 *
 * Series: files are grouped by SeriesInstanceUID (more than one series is refused with
 * WALLOC_ERR_DICOM_SERIES, listing them: coding half a folder silently would lose data), sorted by
 * their position along the slice normal (ImagePositionPatient · (row cosine × column cosine) from
 * ImageOrientationPatient), or by InstanceNumber when a slice lacks that geometry; the slices must
 * share Rows/Columns, PixelSpacing, orientation and pixel type, and lie at distinct, evenly spaced
 * positions. A repeated position means several volumes (echoes, time points, diffusion directions)
 * in one series, which walloc refuses for the same reason it refuses 4-D NIfTI. The slice spacing
 * comes from the positions, else SpacingBetweenSlices, else SliceThickness, else 1 mm.
 *
 * Geometry convention. DICOM's patient coordinates are LPS (+x towards the patient's left, +y
 * posterior, +z head); NIfTI's world is RAS. Voxel (i, j, k) = (column, row, slice), which is NIfTI
 * (x, y, z) and the volume's [k][j][i], lies at LPS  P₀ + i·Δc·r + j·Δr·c + k·s, where r and c are
 * the row and column direction cosines (ImageOrientationPatient), Δc = PixelSpacing[1] (between
 * columns), Δr = PixelSpacing[0] (between rows), P₀ the first slice's ImagePositionPatient and s
 * the step from one slice to the next (from the positions, so a gantry tilt shows as a shear). The
 * NIfTI affine is that matrix with its x and y rows negated (LPS → RAS), stored as the sform and
 * as the qform, both with code 1 (scanner), as nibabel's DICOM reader does. The pixels are kept in
 * the order they are stored (no flip): the affine says where they are.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { constants as zc, gunzipSync } from 'node:zlib';
import dicomParser from 'dicom-parser';
import type { DataSet } from 'dicom-parser';
import { werr } from '../errors.js';
import { inflateHead, isGzip } from './gzip.js';
import { limitExceeded, RAISE_LIMIT, resolveImageLimits, type ImageLimits } from './limits.js';
import { checkVolumeSize, type NiftiInfo, type Volume, type VoxelType } from './volume.js';

/** Where a Part-10 file keeps its magic: after a 128-byte preamble. */
export const DICOM_MAGIC_OFFSET = 128;
const DICM = [0x44, 0x49, 0x43, 0x4d];

type Vec3 = [number, number, number];

/** The transfer syntaxes walloc reads: uncompressed pixels, either byte order. */
const UNCOMPRESSED: ReadonlyMap<string, { littleEndian: boolean; name: string }> = new Map([
  ['1.2.840.10008.1.2', { littleEndian: true, name: 'implicit VR little endian' }],
  ['1.2.840.10008.1.2.1', { littleEndian: true, name: 'explicit VR little endian' }],
  ['1.2.840.10008.1.2.2', { littleEndian: false, name: 'explicit VR big endian' }],
]);

const JPEG_FAMILY: Readonly<Record<string, string>> = {
  50: 'JPEG baseline', 51: 'JPEG extended', 57: 'JPEG lossless', 70: 'JPEG lossless', 80: 'JPEG-LS lossless', 81: 'JPEG-LS near-lossless',
  90: 'JPEG 2000 lossless', 91: 'JPEG 2000', 92: 'JPEG 2000 multi-component lossless', 93: 'JPEG 2000 multi-component',
  201: 'HTJ2K lossless', 202: 'HTJ2K lossless RPCL', 203: 'HTJ2K',
};

/** A readable name for a compressed transfer syntax, or undefined when `uid` is not one. */
function compressedName(uid: string): string | undefined {
  if (uid === '1.2.840.10008.1.2.5') return 'RLE lossless';
  if (uid === '1.2.840.10008.1.2.1.99') return 'deflated explicit VR little endian';
  const m = /^1\.2\.840\.10008\.1\.2\.4\.(\d+)$/.exec(uid);
  if (!m) return undefined;
  const n = Number(m[1]);
  return JPEG_FAMILY[n] ?? (n >= 100 && n < 200 ? 'MPEG / HEVC video' : 'JPEG family');
}

/**
 * What a slice's header says, kept after its bytes are dropped (the pixels are read in a second
 * pass). A multi-frame file gives one per frame.
 */
interface SliceInfo {
  source: string;
  /** Which file of the series holds it. */
  item: number;
  instance: number | undefined;
  rows: number;
  columns: number;
  bits: 8 | 16 | 32;
  stored: number;
  highBit: number;
  signed: boolean;
  littleEndian: boolean;
  /** 8-bit pixels in a big-endian OW element come in swapped byte pairs. */
  pairSwapped: boolean;
  slope: number;
  intercept: number;
  /** PixelSpacing: [between rows, between columns] in mm. */
  pixelSpacing: [number, number] | undefined;
  position: Vec3 | undefined;
  /** Row and column direction cosines, normalised. */
  orientation: [Vec3, Vec3] | undefined;
  thickness: number | undefined;
  between: number | undefined;
  modality: string;
  pixelOffset: number;
}

export interface DicomReadOptions {
  /** Size limits (`--max-side`, `--max-pixels` bound each side and the voxel count). */
  limits?: ImageLimits;
  /** Name used in error messages about the whole series (a folder, say). */
  source?: string;
}

/**
 * True when bytes start like a DICOM Part-10 file ('DICM' after the 128-byte preamble).
 *
 * @example
 * isDicom(readFileSync('scan.dcm')); // true
 */
export function isDicom(bytes: Uint8Array): boolean {
  return bytes.length >= DICOM_MAGIC_OFFSET + 4 && DICM.every((c, i) => bytes[DICOM_MAGIC_OFFSET + i] === c);
}

/**
 * True when bytes are a gzip stream holding a DICOM file (`.dcm.gz`, as test data and some
 * archives ship them). Inflates only the start.
 *
 * @example
 * isGzippedDicom(readFileSync('fixtures/volumes/dicom/philips_mprage.dcm.gz')); // true
 */
export function isGzippedDicom(bytes: Uint8Array): boolean {
  if (!isGzip(bytes)) return false;
  try {
    return isDicom(inflateHead(bytes));
  } catch {
    return false;
  }
}

/**
 * A .dcm.gz inflated (other bytes as they are). The output is bounded by the largest volume the
 * limits allow, in 32-bit voxels plus room for the header, so a gzip bomb stops early.
 */
function inflated(bytes: Uint8Array, source: string, limits: ImageLimits | undefined): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  const bound = Math.min(4 * resolveImageLimits(limits ?? {}).maxPixels + (1 << 24), 2 ** 32);
  try {
    // Z_SYNC_FLUSH: a cut stream yields what it holds, and the DICOM parse reports the cut.
    return gunzipSync(bytes, { finishFlush: zc.Z_SYNC_FLUSH, maxOutputLength: bound });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw limitExceeded('inflated DICOM bytes', `more than ${bound}`, bound, RAISE_LIMIT.maxPixels, source);
    throw werr('WALLOC_ERR_VOLUME_FORMAT', { source, reason: `gzip: ${(e as Error).message}` }, e);
  }
}

/** dicom-parser throws `{ exception, dataSet }` objects, not Errors: name what happened. */
function parserError(e: unknown, source: string) {
  const msg = String((e as { exception?: unknown })?.exception ?? (e as Error)?.message ?? e).replace(/^dicomParser\.\w+: /, '');
  // Reads past the end of the buffer mean the file stops inside an element: it was cut.
  if (/past end of buffer|overrun|overread|beyond the end|end of (the )?buffer/i.test(msg)) return werr('WALLOC_ERR_VOLUME_TRUNCATED', { source, reason: `the DICOM file ends inside an element (${msg})` }, e);
  return werr('WALLOC_ERR_VOLUME_FORMAT', { source, reason: `bad DICOM structure: ${msg}` }, e);
}

/** The numbers of a multi-valued decimal string (DS/IS), or undefined unless there are exactly `n` finite ones. */
function numbers(ds: DataSet, tag: string, n: number): number[] | undefined {
  const s = ds.string(tag);
  if (s === undefined) return undefined;
  const v = s.split('\\').map((x) => (x.trim() === '' ? NaN : Number(x)));
  return v.length === n && v.every(Number.isFinite) ? v : undefined;
}

const finiteOrUndefined = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x : undefined);
const positive = (x: number | undefined) => (x !== undefined && Number.isFinite(x) && x > 0 ? x : undefined);
const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a: Vec3) => Math.sqrt(dot(a, a));

/** One file's header: its series, and the slice it holds or why walloc cannot read it. */
interface ReadHeader {
  series: string;
  slices?: SliceInfo[];
  refusal?: unknown;
}

/**
 * Parses one file's header (everything but the pixels). A file that cannot be parsed at all (no
 * magic, cut, deflated or unknown transfer syntax) throws; one that parses but holds something
 * walloc does not read (compressed pixels, a mosaic, …) comes back with its series and the refusal,
 * so that a folder mixing series is reported as such before any one file's problem.
 */
function readHeader(bytes: Uint8Array, source: string, item: number, limits: ImageLimits | undefined): ReadHeader {
  if (!isDicom(bytes)) throw werr('WALLOC_ERR_VOLUME_FORMAT', { source, reason: "no DICOM magic ('DICM' at byte 128); walloc reads DICOM Part-10 files" });
  let meta: DataSet;
  try {
    meta = dicomParser.readPart10Header(bytes);
  } catch (e) {
    throw parserError(e, source);
  }
  // The transfer syntax decides how (and whether) the data set can be parsed: a deflated one
  // cannot without an inflater, an unknown one could be anything.
  const syntax = meta.string('x00020010') ?? '';
  const ts = UNCOMPRESSED.get(syntax);
  const compressed = ts ? undefined : compressedName(syntax);
  if (!ts && (!compressed || syntax === '1.2.840.10008.1.2.1.99')) {
    if (compressed) throw werr('WALLOC_ERR_DICOM_COMPRESSED', { source, syntax: `${compressed}, ${syntax}` });
    throw werr('WALLOC_ERR_DICOM_UNSUPPORTED', { source, reason: `transfer syntax ${syntax || '(none)'} is not one walloc reads (implicit or explicit VR little endian, explicit VR big endian)` });
  }
  let ds: DataSet;
  try {
    // Stop at the pixel data: its offset and length are all we need now, and the bytes after it
    // (a cut file, trailing padding) must not fail the header.
    ds = dicomParser.parseDicom(bytes, { untilTag: 'x7fe00010' });
  } catch (e) {
    throw parserError(e, source);
  }
  const series = ds.string('x0020000e') ?? '';
  try {
    if (!ts) throw werr('WALLOC_ERR_DICOM_COMPRESSED', { source, syntax: `${compressed}, ${syntax}` });
    return { series, slices: framesOf(ds, bytes, ts, source, item, limits) };
  } catch (e) {
    return { series, refusal: e };
  }
}

/** The first item's data set of a sequence element, if any. */
function firstItem(ds: DataSet | undefined, tag: string): DataSet | undefined {
  return ds?.elements[tag]?.items?.[0]?.dataSet;
}

/**
 * Checks a parsed header holds slices walloc can read and keeps what the pixel pass needs: one
 * slice, or one per frame of a multi-frame file. A frame's geometry and rescaling come from its
 * per-frame functional groups (5200,9230), else the shared ones (5200,9229), else the top level
 * (enhanced MR/CT/PET keep them in the groups); an RT dose grid places its frames with
 * GridFrameOffsetVector (3004,000C) and scales them by DoseGridScaling (3004,000E).
 */
function framesOf(ds: DataSet, bytes: Uint8Array, ts: { littleEndian: boolean; name: string }, source: string, item: number, limits: ImageLimits | undefined): SliceInfo[] {
  const px = ds.elements.x7fe00010;
  if (!px) {
    if (ds.elements.x7fe00008 || ds.elements.x7fe00009) throw werr('WALLOC_ERR_DICOM_UNSUPPORTED', { source, reason: 'float pixel data (7FE0,0008/0009); walloc reads integer pixel data (7FE0,0010)' });
    throw werr('WALLOC_ERR_VOLUME_FORMAT', { source, reason: 'no pixel data (7FE0,0010): not an image (a report, a DICOMDIR, a presentation state?)' });
  }
  if (px.hadUndefinedLength || px.encapsulatedPixelData || px.length === 0xffffffff) {
    throw werr('WALLOC_ERR_DICOM_COMPRESSED', { source, syntax: `encapsulated pixel data under ${ts.name}` });
  }
  const samples = ds.uint16('x00280002') ?? 1;
  if (samples !== 1) throw werr('WALLOC_ERR_DICOM_UNSUPPORTED', { source, reason: `${samples} samples per pixel (${ds.string('x00280004') ?? 'colour'}); walloc reads grey images` });
  const frames = ds.intString('x00280008') ?? 1;
  if (!(Number.isInteger(frames) && frames >= 1)) throw werr('WALLOC_ERR_VOLUME_DIMS', { source, reason: `NumberOfFrames is ${ds.string('x00280008')}` });
  const rows = ds.uint16('x00280010');
  const columns = ds.uint16('x00280011');
  const imageType = (ds.string('x00080008') ?? '').toUpperCase().split('\\').map((s) => s.trim());
  // Siemens tiles a whole EPI volume into one image; (0019,100A) counts the tiles.
  const mosaic = ds.uint16('x0019100a');
  if (imageType.includes('MOSAIC') && mosaic !== 1) {
    throw werr('WALLOC_ERR_DICOM_UNSUPPORTED', { source, reason: `a Siemens mosaic (${mosaic ?? 'several'} slices tiled in one ${columns ?? '?'}×${rows ?? '?'} image); convert the series with dcm2niix and encode the NIfTI` });
  }
  if (!rows || !columns) throw werr('WALLOC_ERR_VOLUME_DIMS', { source, reason: `Rows × Columns is ${rows ?? 'missing'} × ${columns ?? 'missing'}` });
  const bits = ds.uint16('x00280100');
  if (bits !== 8 && bits !== 16 && bits !== 32) throw werr('WALLOC_ERR_DICOM_UNSUPPORTED', { source, reason: `BitsAllocated ${bits ?? '(missing)'}; walloc reads 8, 16 or 32` });
  const stored = ds.uint16('x00280101') ?? bits;
  const highBit = ds.uint16('x00280102') ?? stored - 1;
  if (stored < 1 || stored > bits || highBit < stored - 1 || highBit >= bits) {
    throw werr('WALLOC_ERR_VOLUME_FORMAT', { source, reason: `BitsStored ${stored} with HighBit ${highBit} does not fit BitsAllocated ${bits}` });
  }
  // The size is checked from the header, before the pixel bytes are looked at or anything allocated.
  checkVolumeSize([frames, rows, columns], limits, source);
  const frameBytes = (rows * columns * bits) / 8;
  const allBytes = frameBytes * frames;
  const what = `${frames > 1 ? `${frames} frames of ` : ''}${columns}×${rows} ${bits}-bit pixels`;
  if (px.length >= allBytes && px.dataOffset + allBytes > bytes.length) {
    throw werr('WALLOC_ERR_VOLUME_TRUNCATED', { source, reason: `${what} need ${allBytes} bytes from byte ${px.dataOffset}, the file has ${bytes.length}` });
  }
  if (px.length < allBytes) throw werr('WALLOC_ERR_VOLUME_DIMS', { source, reason: `the pixel data holds ${px.length} bytes, ${what} need ${allBytes}` });

  const shared = firstItem(ds, 'x52009229');
  const perFrame = ds.elements.x52009230?.items;
  if (frames > 1 && perFrame && perFrame.length !== frames) throw werr('WALLOC_ERR_VOLUME_FORMAT', { source, reason: `${perFrame.length} per-frame functional groups for ${frames} frames` });
  // A functional group macro of frame f: its own, else the shared one, else none.
  const group = (f: number, tag: string) => firstItem(perFrame?.[f]?.dataSet, tag) ?? firstItem(shared, tag);
  const doseScale = positive(ds.floatString('x3004000e'));
  const gridOffsets = frames > 1 ? numbers(ds, 'x3004000c', frames) : undefined;
  const base = {
    source, item, rows, columns, bits: bits as 8 | 16 | 32, stored, highBit,
    signed: ds.uint16('x00280103') === 1,
    littleEndian: ts.littleEndian,
    pairSwapped: bits === 8 && !ts.littleEndian && px.vr === 'OW',
    modality: ds.string('x00080060') ?? '',
  };
  const instance = finiteOrUndefined(ds.intString('x00200013'));
  const out: SliceInfo[] = [];
  for (let f = 0; f < frames; f++) {
    const at = (tag: string) => group(f, tag) ?? ds;
    const measures = at('x00289110');
    const transform = at('x00289145');
    const slope = transform.floatString('x00281053');
    const intercept = transform.floatString('x00281052');
    const orient = numbers(at('x00209116'), 'x00200037', 6);
    let orientation: [Vec3, Vec3] | undefined;
    if (orient) {
      const r = orient.slice(0, 3) as Vec3, c = orient.slice(3, 6) as Vec3;
      const nr = norm(r), nc = norm(c);
      if (nr > 1e-6 && nc > 1e-6) orientation = [r.map((x) => x / nr) as Vec3, c.map((x) => x / nc) as Vec3];
    }
    let position = numbers(at('x00209113'), 'x00200032', 3) as Vec3 | undefined;
    if (gridOffsets && position && orientation) {
      // Relative offsets along the normal when the first is 0; otherwise absolute (axial) ones.
      const n = cross(orientation[0], orientation[1]);
      const rel = gridOffsets[f]! - gridOffsets[0]!;
      position = position.map((x, i) => x + rel * n[i]!) as Vec3;
    } else if (frames > 1 && !group(f, 'x00209113')) position = undefined; // one position for all frames places none of them
    const ps = numbers(measures, 'x00280030', 2) ?? numbers(ds, 'x00181164', 2);
    // RescaleSlope 0 would erase the image: read it as "no scaling", as NIfTI's scl_slope 0 is.
    const s0 = slope !== undefined && Number.isFinite(slope) && slope !== 0 ? slope : 1;
    out.push({
      ...base,
      // Errors about one frame (a repeated position, say) name it.
      source: frames > 1 ? `${source} (frame ${f + 1})` : source,
      // Frames of one file keep their order among the files' instance numbers.
      instance: frames > 1 ? (instance ?? 0) * frames + f : instance,
      slope: s0 * (doseScale ?? 1),
      intercept: intercept !== undefined && Number.isFinite(intercept) ? intercept : 0,
      pixelSpacing: ps && ps[0]! > 0 && ps[1]! > 0 ? [ps[0]!, ps[1]!] : undefined,
      position,
      orientation,
      thickness: positive(measures.floatString('x00180050')),
      between: positive(measures.floatString('x00180088')),
      pixelOffset: px.dataOffset + f * frameBytes,
    });
  }
  return out;
}

/** Reads one slice's pixels into `out` at `at`: masked to BitsStored, sign-extended, rescaled. */
function decodeSlicePixels(bytes: Uint8Array, s: SliceInfo, out: Float32Array, at: number): void {
  const n = s.rows * s.columns;
  const need = (n * s.bits) / 8;
  if (s.pixelOffset + need > bytes.length) throw werr('WALLOC_ERR_VOLUME_TRUNCATED', { source: s.source, reason: 'the file changed while it was being read' });
  const view = new DataView(bytes.buffer, bytes.byteOffset + s.pixelOffset, Math.min(bytes.length - s.pixelOffset, need + 1));
  const le = s.littleEndian;
  const partial = s.stored < s.bits;
  // Bits above HighBit (overlays, garbage) are dropped and the value sign-extended from BitsStored.
  const shift = 2 ** (s.highBit + 1 - s.stored);
  const range = 2 ** (partial ? s.stored : s.bits);
  const half = range / 2;
  const { slope, intercept, signed } = s;
  for (let i = 0; i < n; i++) {
    let v: number;
    if (s.bits === 8) {
      const j = s.pairSwapped && (i ^ 1) < view.byteLength ? i ^ 1 : i;
      v = view.getUint8(j);
    } else v = s.bits === 16 ? view.getUint16(2 * i, le) : view.getUint32(4 * i, le);
    if (partial) v = Math.floor(v / shift) % range;
    if (signed && v >= half) v -= range;
    out[at + i] = v * slope + intercept;
  }
}

/** The voxel type that stores a slice's raw pixels. */
function storedType(s: SliceInfo): VoxelType {
  if (s.bits === 8) return s.signed ? 'int8' : 'uint8';
  if (s.bits === 16) return s.signed ? 'int16' : 'uint16';
  return s.signed ? 'int32' : 'uint32';
}

/**
 * The unit quaternion (b, c, d) and qfac of a 3×3 matrix with orthogonal columns, as nifti1_io's
 * nifti_mat44_to_quatern computes it (columns normalised; a left-handed matrix gets qfac −1).
 */
function quaternion(cols: [Vec3, Vec3, Vec3]): { quatern: Vec3; qfac: number } {
  const u = cols.map((c) => {
    const l = norm(c);
    return (l > 0 ? c.map((x) => x / l) : c) as Vec3;
  }) as [Vec3, Vec3, Vec3];
  let qfac = 1;
  if (dot(cross(u[0], u[1]), u[2]) < 0) {
    qfac = -1;
    u[2] = u[2].map((x) => -x) as Vec3;
  }
  // r[row][col]
  const r = (i: number, j: number) => u[j]![i]!;
  let a = r(0, 0) + r(1, 1) + r(2, 2) + 1, b: number, c: number, d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r(2, 1) - r(1, 2))) / a;
    c = (0.25 * (r(0, 2) - r(2, 0))) / a;
    d = (0.25 * (r(1, 0) - r(0, 1))) / a;
  } else {
    const xd = 1 + r(0, 0) - (r(1, 1) + r(2, 2));
    const yd = 1 + r(1, 1) - (r(0, 0) + r(2, 2));
    const zd = 1 + r(2, 2) - (r(0, 0) + r(1, 1));
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r(0, 1) + r(1, 0))) / b;
      d = (0.25 * (r(0, 2) + r(2, 0))) / b;
      a = (0.25 * (r(2, 1) - r(1, 2))) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r(0, 1) + r(1, 0))) / c;
      d = (0.25 * (r(1, 2) + r(2, 1))) / c;
      a = (0.25 * (r(0, 2) - r(2, 0))) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r(0, 2) + r(2, 0))) / d;
      c = (0.25 * (r(1, 2) + r(2, 1))) / d;
      a = (0.25 * (r(1, 0) - r(0, 1))) / d;
    }
    if (a < 0) { b = -b; c = -c; d = -d; }
  }
  return { quatern: [b, c, d], qfac };
}

interface SeriesItem {
  name: string;
  read(): Uint8Array;
}

/** Both passes over a series: headers (grouped, checked, ordered), then the pixels into one volume. */
function assemble(items: readonly SeriesItem[], opts: DicomReadOptions): Volume {
  const source = opts.source ?? items[0]?.name ?? 'DICOM input';
  if (items.length === 0) throw werr('WALLOC_ERR_VOLUME_FORMAT', { source, reason: 'no DICOM files' });
  const bytesOf = (k: number) => inflated(items[k]!.read(), items[k]!.name, opts.limits);
  const headers = items.map((it, k) => readHeader(bytesOf(k), it.name, k, opts.limits));

  const bySeries = new Map<string, number>();
  for (const h of headers) bySeries.set(h.series, (bySeries.get(h.series) ?? 0) + 1);
  if (bySeries.size > 1) {
    const list = [...bySeries].slice(0, 6).map(([uid, n]) => `${uid || '(no SeriesInstanceUID)'}: ${n} file${n === 1 ? '' : 's'}`);
    if (bySeries.size > 6) list.push(`and ${bySeries.size - 6} more`);
    throw werr('WALLOC_ERR_DICOM_SERIES', { source, reason: `${bySeries.size} series are mixed (${list.join('; ')}); give walloc one series at a time, e.g. one folder per series` });
  }

  const refused = headers.find((h) => h.refusal !== undefined);
  if (refused) throw refused.refusal;
  const slices = headers.flatMap((h) => h.slices!);
  const f = slices[0]!;
  for (const s of slices) {
    if (s.rows !== f.rows || s.columns !== f.columns) throw werr('WALLOC_ERR_VOLUME_DIMS', { source: s.source, reason: `slice is ${s.columns}×${s.rows}, ${f.source} is ${f.columns}×${f.rows}` });
    if (s.bits !== f.bits || s.signed !== f.signed) {
      throw werr('WALLOC_ERR_DICOM_SERIES', { source, reason: `${s.source} stores ${s.signed ? 'signed' : 'unsigned'} ${s.bits}-bit pixels, ${f.source} ${f.signed ? 'signed' : 'unsigned'} ${f.bits}-bit` });
    }
    const psDiffer = (s.pixelSpacing === undefined) !== (f.pixelSpacing === undefined)
      || (s.pixelSpacing && f.pixelSpacing && s.pixelSpacing.some((x, i) => Math.abs(x - f.pixelSpacing![i]!) > 1e-4 * Math.max(1, x)));
    if (psDiffer) throw werr('WALLOC_ERR_DICOM_SERIES', { source, reason: `PixelSpacing differs: ${s.pixelSpacing?.join('\\') ?? 'none'} in ${s.source}, ${f.pixelSpacing?.join('\\') ?? 'none'} in ${f.source}` });
    if (s.orientation && f.orientation && s.orientation.flat().some((x, i) => Math.abs(x - f.orientation!.flat()[i]!) > 1e-4)) {
      throw werr('WALLOC_ERR_DICOM_SERIES', { source, reason: `ImageOrientationPatient differs between ${f.source} and ${s.source}: not one stack of parallel slices` });
    }
  }

  // Slice order and the step between slices.
  const N = slices.length;
  const order = slices.map((_, i) => i);
  let step: Vec3 | undefined;
  let dz = f.between ?? f.thickness ?? 1;
  const located = slices.every((s) => s.position && s.orientation);
  if (located) {
    const normal = cross(f.orientation![0], f.orientation![1]);
    const d = slices.map((s) => dot(s.position!, normal));
    order.sort((a, b) => d[a]! - d[b]! || (slices[a]!.instance ?? 0) - (slices[b]!.instance ?? 0));
    if (N > 1) {
      const gaps = order.slice(1).map((k, i) => d[k]! - d[order[i]!]!);
      const mean = (d[order[N - 1]!]! - d[order[0]!]!) / (N - 1);
      const tol = Math.max(1e-3, 0.01 * mean);
      const dup = gaps.findIndex((g) => g <= tol);
      if (dup >= 0) {
        const a = slices[order[dup]!]!, b = slices[order[dup + 1]!]!;
        throw werr('WALLOC_ERR_DICOM_SERIES', { source, reason: `${a.source} and ${b.source} lie at the same position (${d[order[dup]!]!.toFixed(3)} mm along the slice normal): more than one volume (echoes, time points, diffusion directions) in one series; walloc codes one 3-D volume` });
      }
      // reduce, not Math.min(...gaps): a series of 10^5 slices would overflow the argument list.
      const lo = gaps.reduce((m, g) => Math.min(m, g), Infinity), hi = gaps.reduce((m, g) => Math.max(m, g), -Infinity);
      if (hi - mean > tol || mean - lo > tol) {
        throw werr('WALLOC_ERR_DICOM_SERIES', { source, reason: `the slices are unevenly spaced (gaps from ${lo.toFixed(3)} to ${hi.toFixed(3)} mm): a missing slice, or a variable-spacing acquisition` });
      }
      const p0 = slices[order[0]!]!.position!, pn = slices[order[N - 1]!]!.position!;
      step = [0, 1, 2].map((i) => (pn[i]! - p0[i]!) / (N - 1)) as Vec3;
      dz = norm(step);
    } else {
      step = normal.map((x) => x * dz) as Vec3;
    }
  } else if (slices.every((s) => s.instance !== undefined)) {
    order.sort((a, b) => slices[a]!.instance! - slices[b]!.instance!);
    for (let i = 1; i < N; i++) {
      if (slices[order[i]!]!.instance === slices[order[i - 1]!]!.instance) {
        throw werr('WALLOC_ERR_DICOM_SERIES', { source, reason: `${slices[order[i - 1]!]!.source} and ${slices[order[i]!]!.source} both have InstanceNumber ${slices[order[i]!]!.instance} and no position to tell them apart` });
      }
    }
  }
  // Otherwise: the order given (a folder's natural name order).

  const [H, W] = [f.rows, f.columns];
  const shape: [number, number, number] = [N, H, W];
  checkVolumeSize(shape, opts.limits, source);
  const data = new Float32Array(N * H * W);
  // Frames of one file are read from one copy of its bytes.
  let held: { item: number; bytes: Uint8Array } | undefined;
  order.forEach((k, z) => {
    const s = slices[k]!;
    if (held?.item !== s.item) held = { item: s.item, bytes: bytesOf(s.item) };
    decodeSlicePixels(held.bytes, s, data, z * H * W);
  });

  const sameScale = slices.every((s) => s.slope === f.slope && s.intercept === f.intercept);
  const scaled = f.slope !== 1 || f.intercept !== 0;
  const [dr, dc] = f.pixelSpacing ?? [1, 1];
  const nifti: NiftiInfo = {
    qformCode: 0, sformCode: 0, quatern: [0, 0, 0], qoffset: [0, 0, 0], qfac: 1,
    srow: [dc, 0, 0, 0, 0, dr, 0, 0, 0, 0, dz, 0],
    xyztUnits: 2,
    // One slope and intercept for the series: stored as NIfTI's scl_slope/scl_inter with the
    // stored integer type. Per-slice ones (some Philips series) make the volume float32.
    sclSlope: sameScale && scaled ? f.slope : 0,
    sclInter: sameScale && scaled ? f.intercept : 0,
    descrip: `DICOM ${f.modality}`.trim().slice(0, 79),
  };
  if (located && step) {
    const first = slices[order[0]!]!;
    const [r, c] = first.orientation!;
    const p0 = first.position!;
    // LPS → RAS: negate the x and y rows.
    const flip = (v: Vec3): Vec3 => [-v[0], -v[1], v[2]];
    const cols: [Vec3, Vec3, Vec3] = [flip(r.map((x) => x * dc) as Vec3), flip(c.map((x) => x * dr) as Vec3), flip(step)];
    const origin = flip(p0);
    nifti.srow = [0, 1, 2].flatMap((i) => [cols[0][i]!, cols[1][i]!, cols[2][i]!, origin[i]!]);
    // A quaternion holds a rotation only: the qform takes the slice normal (r × c, pointing the way
    // the slices go) where the sform keeps the exact step, which a gantry tilt shears.
    const normal = cross(r, c);
    const toward = dot(normal, step) < 0 ? -dz : dz;
    const rotation = quaternion([cols[0], cols[1], flip(normal.map((x) => x * toward) as Vec3)]);
    Object.assign(nifti, rotation, { qformCode: 1, sformCode: 1, qoffset: origin });
  }
  return { data, shape, spacing: [dz, dr, dc], dtype: sameScale ? storedType(f) : 'float32', nifti };
}

/**
 * Parses one DICOM file (a single slice) into a volume of depth 1.
 *
 * @example
 * const vol = parseDicom(readFileSync('fixtures/volumes/dicom/decimal_rescale.dcm'), { source: 'decimal_rescale.dcm' });
 * vol.shape;   // [1, 96, 128]
 * vol.spacing; // [5, 1.125, 1.125]  (SliceThickness, PixelSpacing)
 */
export function parseDicom(bytes: Uint8Array, opts: DicomReadOptions = {}): Volume {
  return parseDicomSeries([{ name: opts.source ?? 'DICOM input', bytes }], opts);
}

/**
 * Assembles a series from files already in memory (see the module comment for grouping, order,
 * checks and geometry).
 *
 * @example
 * const vol = parseDicomSeries(['a.dcm', 'b.dcm'].map((name) => ({ name, bytes: readFileSync(name) })));
 */
export function parseDicomSeries(files: ReadonlyArray<{ name: string; bytes: Uint8Array }>, opts: DicomReadOptions = {}): Volume {
  // Already in memory: a .dcm.gz is inflated once here, not once per pass.
  return assemble(files.map((f) => {
    const bytes = inflated(f.bytes, f.name, opts.limits);
    return { name: f.name, read: () => bytes };
  }), opts);
}

function readFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw code === 'ENOENT' ? werr('WALLOC_ERR_FILE_NOT_FOUND', { path }) : werr('WALLOC_ERR_FILE_READ', { path, reason: code ?? String(e) }, e);
  }
}

/**
 * Reads a series from files on disk. Each file is read twice (headers first, then pixels), so
 * memory holds the volume and one file, never the whole series' bytes.
 *
 * @example
 * const vol = readDicomSeries(listDicomFiles('ct-head/'), { source: 'ct-head/' });
 */
export function readDicomSeries(paths: readonly string[], opts: DicomReadOptions = {}): Volume {
  return assemble(paths.map((p) => ({ name: p, read: () => readFile(p) })), opts);
}

/** True when a file's first bytes carry the DICM magic (reads 132 bytes). */
function hasDicomMagic(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(DICOM_MAGIC_OFFSET + 4);
    return readSync(fd, head, 0, head.length, 0) === head.length && isDicom(head);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The files of a folder that make a DICOM series candidate, in natural name order. */
function dicomCandidates(dir: string): string[] {
  const files = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  // Named .dcm (or .dcm.gz): all of them (a bad one is an error, not skipped). Otherwise scanner exports with
  // no extension (IM0001, .IMA) count when they carry the magic; DICOMDIR is an index, not a slice.
  const named = files.filter((f) => /\.dcm(\.gz)?$/i.test(f));
  if (named.length > 0) return named.map((f) => join(dir, f));
  if (files.some((f) => f.toLowerCase().endsWith('.png'))) return [];
  return files.filter((f) => f.toUpperCase() !== 'DICOMDIR').map((f) => join(dir, f)).filter(hasDicomMagic);
}

/**
 * The DICOM files of a folder: every `*.dcm`, or when there are none, every file with the DICM
 * magic (scanner exports often have no extension); natural name order.
 *
 * @example
 * listDicomFiles('ct-head/'); // ['ct-head/IM1.dcm', 'ct-head/IM2.dcm', …, 'ct-head/IM10.dcm']
 */
export function listDicomFiles(dir: string): string[] {
  if (!existsSync(dir)) throw werr('WALLOC_ERR_FILE_NOT_FOUND', { path: dir });
  const files = dicomCandidates(dir);
  if (files.length === 0) throw werr('WALLOC_ERR_VOLUME_FORMAT', { source: dir, reason: 'no DICOM files (*.dcm, or files with the DICM magic) in this folder' });
  return files;
}

/**
 * True when `path` is a folder holding a DICOM series rather than PNG slices (a folder with .png
 * files and no .dcm files stays a PNG stack).
 *
 * @example
 * isDicomFolder('ct-head/'); // true
 * isDicomFolder('slices/');  // false (PNG slices)
 */
export function isDicomFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory() && dicomCandidates(path).length > 0;
  } catch {
    return false;
  }
}
