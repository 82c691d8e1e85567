/**
 * DICOM input (src/io/dicom.ts) on real files from nibabel's test data (fixtures/volumes/dicom,
 * see fixtures/volumes/README.md), then series assembled from them, every refusal, and the CLI.
 *
 * Reference values were read independently with pydicom 2.3.1 and nibabel 5.0.0 (Debian
 * python3-pydicom, python3-nibabel), not with dicom-parser:
 * - decimal_rescale.dcm: explicit VR little endian, MR, 96 rows × 128 columns, BitsAllocated 16,
 *   BitsStored 12, HighBit 11, unsigned; RescaleSlope 2, RescaleIntercept −4096; PixelSpacing
 *   1.125\1.125, SliceThickness 5, no SpacingBetweenSlices, no SeriesInstanceUID; InstanceNumber
 *   128; ImagePositionPatient (−116.06846237183, −97.901815286185, −43.233071336211);
 *   ImageOrientationPatient (1, 2e-16, 0, −2e-16, 0.99488070921592, 0.10105629337167); its pixel
 *   data is all zeros (nibabel blanked it), so pydicom's rescaled array is −4096 everywhere.
 *   nibabel's dicomwrappers affine (voxel (row, column) → LPS) has columns (−2.25e-16, 1.1192408,
 *   0.1136883) for the row index and (1.125, 2.25e-16, 0) for the column index, offset
 *   (−116.068462, −97.901815, −43.233071).
 * - 0.dcm, 1.dcm: implicit VR little endian, Siemens MR, 256×256, 16/12/11 unsigned, one series
 *   (…2010011420292594820699190.0.0.0), InstanceNumber 1 and 2, ImagePositionPatient z −75.097641
 *   and −72.097641 (x −805, y −825.019119), ImageOrientationPatient (1, 0, 0, 0, 0.999986,
 *   −0.005236), PixelSpacing 1.796875, SpacingBetweenSlices 3; pixel values i mod 4096 (a ramp
 *   nibabel wrote). ImageType ends in MOSAIC with NumberOfImagesInMosaic 48, which the 256×256
 *   image cannot hold (nibabel's MosaicWrapper fails to reshape it); walloc refuses mosaics, so
 *   the series tests rewrite that one word. nibabel's dft module, which ignores the mosaic flag,
 *   reads the pair as 256×256×2 with pixels [0, 1, 2, 3, 4] … and the affine
 *   [[−1.796875, 0, 0, 805], [0, −1.7968498, 0, 825.019119], [0, −0.0094084, 3, −75.097641]]
 *   before it orthogonalises it into a qform.
 * - slicethickness_empty_string.dcm: JPEG 2000 lossless (1.2.840.10008.1.2.4.90).
 * - csa_slice_norm.dcm: a Siemens header with no pixel data element.
 * - philips_mprage.dcm.gz: a Philips enhanced MR image, explicit VR LE, 176 frames of 256×256,
 *   16/12/11 unsigned, pixels blank; no geometry at the top level: per-frame functional groups give
 *   each frame's ImagePositionPatient (frame 0 (92.7090416119899, −125.12766968458,
 *   136.495256863534), frame 1 (91.7096061871852, −125.12766968458, 136.529122076928), frame 175
 *   (−82.190830214181, −125.12766968458, 142.421648465096)), ImageOrientationPatient
 *   (−0.0022011068649, 0.99788552522659, −0.0649590045213, −0.0337935090065, −0.0649962872266,
 *   −0.9973131418228), PixelSpacing 1\1, SliceThickness 1, RescaleSlope 2.1079365079365.
 *   nibabel's MultiframeWrapper gives the in-plane affine columns (−0.0337935, −0.0649963,
 *   −0.9973131) for the row index and (−0.0022011, 0.9978855, −0.064959) for the column index.
 * - rtdose.dcm, rtdose_expb.dcm (pydicom's test files, Debian python3-pydicom): an RT dose grid,
 *   implicit VR LE and explicit VR big endian, 15 frames of 10×10 uint32, ImagePositionPatient
 *   (189.43125, 199.43125, −761.87), axial, PixelSpacing 10\10, GridFrameOffsetVector 0, 5, …, 70,
 *   DoseGridScaling 1e-6; pydicom's pixel_array: min 795000, max 1254000, sum 1519910000, and
 *   [7, 3, 0:5] = 1087000, 1086000, 1083000, 1077000, 1074000.
 *
 * Where no real file has the case (several evenly spaced slices, 8/32-bit, signed, big-endian,
 * colour …), files are made here: real files with fields rewritten in place at the offsets
 * dicom-parser reports (same lengths), or, for pixel types, a minimal Part-10 file written by
 * {@link synth}. Each test says which.
 */
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import dicomParser from 'dicom-parser';
import * as nifti from 'nifti-reader-js';
import { isDicom, isDicomFolder, isGzippedDicom, listDicomFiles, parseDicom, parseDicomSeries, readDicomSeries } from '../../../src/io/dicom.js';
import { detectInput } from '../../../src/io/detect.js';
import { niftiAffine, parseNifti } from '../../../src/io/nifti.js';
import { volumePsnr } from '../../../src/eval/volume-eval.js';
import { packageRoot } from '../../../src/paths.js';
import { runBin } from '../../helpers/io.js';

const DIR = join(packageRoot(), 'fixtures', 'volumes', 'dicom');
const fixture = (name: string) => readFileSync(join(DIR, name));
const code = (c: string) => ({ code: c });
const ab = (b: Uint8Array) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
const round = (m: number[][], d = 4) => m.map((r) => r.map((x) => Number(x.toFixed(d)) + 0));

/** The element of `tag` in a file, as dicom-parser locates it (offset and length of its value). */
function element(bytes: Buffer, tag: string) {
  const el = dicomParser.parseDicom(bytes, { untilTag: 'x7fe00010' }).elements[tag];
  if (!el) throw new Error(`no ${tag}`);
  return el;
}

/** Rewrites a text element in place (same length, space-padded): how test series are made from real files. */
function setText(bytes: Buffer, tag: string, value: string): Buffer {
  const out = Buffer.from(bytes);
  const el = element(out, tag);
  if (value.length > el.length) throw new Error(`${tag}: "${value}" is longer than the ${el.length} bytes there`);
  out.write(value.padEnd(el.length, ' '), el.dataOffset, 'latin1');
  return out;
}

/** Rewrites a file's 16-bit little-endian pixels in place. */
function setPixels16(bytes: Buffer, f: (i: number) => number): Buffer {
  const out = Buffer.from(bytes);
  const el = element(out, 'x7fe00010');
  for (let i = 0; i < el.length / 2; i++) out.writeUInt16LE(f(i), el.dataOffset + 2 * i);
  return out;
}

/** 0.dcm / 1.dcm with "MOSAIC" in ImageType rewritten (see the module comment). */
const demosaic = (b: Buffer) => setText(b, 'x00080008', 'ORIGINAL\\PRIMARY\\DIFFUSION\\NONE\\ND\\OTHER');

// decimal_rescale.dcm's geometry (pydicom, module comment).
const P0 = [-116.06846237183, -97.901815286185, -43.233071336211];
const ROW = [1, 2e-16, 0];
const COL = [-2e-16, 0.99488070921592, 0.10105629337167];
const NORMAL = [ROW[1]! * COL[2]! - ROW[2]! * COL[1]!, ROW[2]! * COL[0]! - ROW[0]! * COL[2]!, ROW[0]! * COL[1]! - ROW[1]! * COL[0]!];

/**
 * Slice `k` of a series made from the real decimal_rescale.dcm: its position moved `gap`·k mm
 * along the slice normal, InstanceNumber k + 1, and every pixel = 100·k + (column mod 50) (raw,
 * before the slope 2 and intercept −4096 apply), so each slice is recognisable after sorting.
 */
function madeSlice(k: number, gap = 4, opts: { instance?: number; position?: string } = {}): Buffer {
  let b: Buffer = fixture('decimal_rescale.dcm');
  const p = P0.map((x, i) => (x + gap * k * NORMAL[i]!).toFixed(6));
  b = setText(b, 'x00200032', opts.position ?? p.join('\\'));
  b = setText(b, 'x00200013', String(opts.instance ?? k + 1));
  return setPixels16(b, (i) => 100 * k + ((i % 128) % 50));
}

/**
 * A minimal DICOM Part-10 file (explicit VR, little- or big-endian data set), for the pixel
 * types and structures no real file here has. Everything a reader needs, nothing more.
 */
function synth(o: {
  rows?: number; columns?: number; bits?: number; stored?: number; highBit?: number; signed?: boolean; bigEndian?: boolean;
  samples?: number; frames?: number; pixels?: Buffer | null; pixelVr?: string; ts?: string; slope?: string; intercept?: string;
} = {}): Buffer {
  const rows = o.rows ?? 2, columns = o.columns ?? 3, bits = o.bits ?? 16;
  const le = !o.bigEndian;
  const ts = o.ts ?? (le ? '1.2.840.10008.1.2.1' : '1.2.840.10008.1.2.2');
  const el = (tag: string, vr: string, value: Buffer, little: boolean) => {
    const long = ['OB', 'OW', 'OF', 'SQ', 'UT', 'UN', 'OL', 'OD'].includes(vr);
    const v = value.length % 2 ? Buffer.concat([value, Buffer.from([vr === 'UI' || long ? 0 : 0x20])]) : value;
    const h = Buffer.alloc(long ? 12 : 8);
    const w16 = (n: number, at: number) => (little ? h.writeUInt16LE(n, at) : h.writeUInt16BE(n, at));
    w16(parseInt(tag.slice(0, 4), 16), 0);
    w16(parseInt(tag.slice(4), 16), 2);
    h.write(vr, 4, 'latin1');
    if (long) little ? h.writeUInt32LE(v.length, 8) : h.writeUInt32BE(v.length, 8);
    else w16(v.length, 6);
    return Buffer.concat([h, v]);
  };
  const s = (x: string) => Buffer.from(x, 'latin1');
  const us = (n: number) => { const b = Buffer.alloc(2); le ? b.writeUInt16LE(n) : b.writeUInt16BE(n); return b; };
  const metaBody = Buffer.concat([
    el('00020001', 'OB', Buffer.from([0, 1]), true), el('00020002', 'UI', s('1.2.840.10008.5.1.4.1.1.7'), true),
    el('00020003', 'UI', s('1.2.3.4.5.6'), true), el('00020010', 'UI', s(ts), true),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(metaBody.length);
  const n = rows * columns * (o.frames ?? 1) * (o.samples ?? 1);
  const pixels = o.pixels === undefined ? Buffer.alloc((n * bits) / 8) : o.pixels;
  const data = [
    el('00080060', 'CS', s('OT'), le), el('0020000E', 'UI', s('1.2.3.4.5.7'), le), el('00200013', 'IS', s('1'), le),
    el('00200032', 'DS', s('0\\0\\0'), le), el('00200037', 'DS', s('1\\0\\0\\0\\1\\0'), le),
    el('00280002', 'US', us(o.samples ?? 1), le), el('00280004', 'CS', s((o.samples ?? 1) === 1 ? 'MONOCHROME2' : 'RGB'), le),
    ...(o.frames ? [el('00280008', 'IS', s(String(o.frames)), le)] : []),
    el('00280010', 'US', us(rows), le), el('00280011', 'US', us(columns), le), el('00280030', 'DS', s('0.5\\0.25'), le),
    el('00280100', 'US', us(bits), le), el('00280101', 'US', us(o.stored ?? bits), le), el('00280102', 'US', us(o.highBit ?? (o.stored ?? bits) - 1), le),
    el('00280103', 'US', us(o.signed ? 1 : 0), le),
    ...(o.intercept ? [el('00281052', 'DS', s(o.intercept), le)] : []), ...(o.slope ? [el('00281053', 'DS', s(o.slope), le)] : []),
    ...(pixels ? [el('7FE00010', o.pixelVr ?? (bits === 8 ? 'OB' : 'OW'), pixels, le)] : []),
  ];
  return Buffer.concat([Buffer.alloc(128), s('DICM'), el('00020000', 'UL', groupLength, true), metaBody, ...data]);
}

t.test('a real single slice (nibabel decimal_rescale.dcm, explicit VR LE): dims, spacing, rescale, affine', async (t) => {
  const bytes = fixture('decimal_rescale.dcm');
  t.ok(isDicom(bytes));
  t.equal(detectInput(bytes.subarray(0, 352)), 'dicom', 'detected by the DICM magic');
  const vol = parseDicom(bytes, { source: 'decimal_rescale.dcm' });
  t.same(vol.shape, [1, 96, 128], '[slices, Rows, Columns]');
  t.same(vol.spacing, [5, 1.125, 1.125], 'one slice: SliceThickness; then PixelSpacing');
  t.equal(vol.dtype, 'uint16', 'BitsAllocated 16, PixelRepresentation 0');
  t.ok(vol.data.every((v) => v === -4096), 'blank pixels rescaled: 0·2 − 4096, as pydicom reads them');
  t.equal(vol.nifti?.sclSlope, 2, 'the rescale is kept as scl_slope');
  t.equal(vol.nifti?.sclInter, -4096);
  // nibabel's affine maps (row, column) to LPS; ours maps (column, row) to RAS.
  const a = niftiAffine(vol);
  t.same(round([a[0]!.slice(0, 2), a[1]!.slice(0, 2), a[2]!.slice(0, 2)]), round([[-1.125, 2.25e-16], [-2.25e-16, -1.1192408], [0, 0.1136883]]), 'in-plane columns: nibabel\'s, transposed, x and y negated');
  t.same(round([[a[0]![3]!, a[1]![3]!, a[2]![3]!]]), round([[116.068462, 97.901815, -43.233071]]), 'origin: ImagePositionPatient with x and y negated');
  t.same(round([[a[0]![2]!, a[1]![2]!, a[2]![2]!]]), round([[-NORMAL[0]! * 5, -NORMAL[1]! * 5, NORMAL[2]! * 5]]), 'slice axis: row × column cosine, SliceThickness long');
  // The qform (a rotation) says the same as the sform here: no shear in one slice.
  const q = niftiAffine({ ...vol, nifti: { ...vol.nifti!, sformCode: 0 } });
  t.same(round(q, 4), round(a, 4), 'qform and sform agree');

  // The real pixels are blank; a ramp written over them checks the 12-bit read and the rescale.
  const ramp = parseDicom(setPixels16(bytes, (i) => i % 4096));
  t.same(Array.from(ramp.data.subarray(0, 4)), [-4096, -4094, -4092, -4090]);
  t.equal(ramp.data[4095], 4095 * 2 - 4096);
  const overlay = parseDicom(setPixels16(bytes, (i) => (i % 4096) | 0xf000));
  t.same(overlay.data, ramp.data, 'bits above HighBit 11 (overlays) are masked off');
});

t.test('two real implicit-VR files make a 2-slice series, ordered by position, spacing from positions', async (t) => {
  const a = demosaic(fixture('0.dcm'));
  // 1.dcm's pixels are made different (4095 − ramp) so that the slice order shows.
  const b = setPixels16(demosaic(fixture('1.dcm')), (i) => 4095 - (i % 4096));
  const vol = parseDicomSeries([{ name: '1.dcm', bytes: b }, { name: '0.dcm', bytes: a }]);
  t.same(vol.shape, [2, 256, 256]);
  t.equal(vol.dtype, 'uint16');
  t.equal(vol.nifti?.sclSlope, 0, 'no rescale tags: no scaling');
  t.same(Array.from(vol.data.subarray(0, 5)), [0, 1, 2, 3, 4], 'slice 0 is 0.dcm (z −75.1), as pydicom and nibabel dft read it');
  t.equal(vol.data[65536 + 300], 4095 - 300, 'slice 1 is 1.dcm');
  t.same(vol.spacing, [3, 1.796875, 1.796875], 'slice spacing: the 3 mm between the two positions');
  // Within 1e-5: walloc normalises the direction cosines (0.999986, −0.005236 has norm 0.9999994), dft does not.
  const dft = [[-1.796875, 0, 0, 805], [0, -1.7968498, 0, 825.019119], [0, -0.0094084, 3, -75.097641], [0, 0, 0, 1]];
  t.ok(niftiAffine(vol).every((r, i) => r.every((x, j) => Math.abs(x - dft[i]![j]!) < 1e-5)), 'the affine nibabel dft builds');
  const q = niftiAffine({ ...vol, nifti: { ...vol.nifti!, sformCode: 0 } });
  t.ok(q.every((r, i) => r.every((x, j) => Math.abs(x - niftiAffine(vol)[i]![j]!) < 0.02)), 'the qform is the same rotation (within the files\' 0.3° of shear)');
  const dup = parseDicomSeries([{ name: 'x', bytes: a }], {});
  t.same(dup.shape, [1, 256, 256], 'one implicit-VR file alone');
  t.equal(dup.spacing[0], 3, 'one slice: SpacingBetweenSlices before SliceThickness');
});

t.test('a series made from a real file: sorting, spacing, fallbacks, rescale per slice', async (t) => {
  // Five slices 4 mm apart along the normal, handed over shuffled (the file's SliceThickness is 5).
  const files = [3, 0, 4, 1, 2].map((k) => ({ name: `s${k}.dcm`, bytes: madeSlice(k) }));
  const vol = parseDicomSeries(files);
  t.same(vol.shape, [5, 96, 128]);
  t.ok(Math.abs(vol.spacing[0] - 4) < 1e-5, `spacing ${vol.spacing[0]} from the positions, not SliceThickness`);
  for (let k = 0; k < 5; k++) t.equal(vol.data[k * 96 * 128 + 7], (100 * k + 7) * 2 - 4096, `slice ${k} in place`);
  const a = niftiAffine(vol);
  t.same(round([[a[0]![2]!, a[1]![2]!, a[2]![2]!]]), round([[-4 * NORMAL[0]!, -4 * NORMAL[1]!, 4 * NORMAL[2]!]]), 'slice column: the 4 mm step, LPS → RAS');
  t.same(round([[a[0]![3]!, a[1]![3]!, a[2]![3]!]]), round([[-P0[0]!, -P0[1]!, P0[2]!]]), 'origin: the lowest slice');

  // Without positions: InstanceNumber order, SliceThickness spacing, no affine.
  const blind = [2, 0, 1].map((k) => ({ name: `b${k}.dcm`, bytes: madeSlice(k, 4, { position: '' }) }));
  const v2 = parseDicomSeries(blind);
  t.same([0, 1, 2].map((k) => v2.data[k * 96 * 128 + 7]), [0, 1, 2].map((k) => (100 * k + 7) * 2 - 4096), 'sorted by InstanceNumber');
  t.equal(v2.spacing[0], 5, 'SliceThickness');
  t.equal(v2.nifti?.sformCode, 0, 'no geometry to state');

  // A different slope on one slice: the volume becomes float32, values still right.
  const mixed = [0, 1].map((k) => ({ name: `m${k}`, bytes: k ? setText(madeSlice(k), 'x00281053', '3') : madeSlice(k) }));
  const v3 = parseDicomSeries(mixed);
  t.equal(v3.dtype, 'float32');
  t.equal(v3.nifti?.sclSlope, 0);
  t.equal(v3.data[96 * 128 + 7], (100 + 7) * 3 - 4096);

  // The same series from disk: a folder, natural order, .dcm files only.
  const dir = mkdtempSync(join(tmpdir(), 'walloc-dicom-'));
  [0, 1, 2, 3, 4].forEach((k) => writeFileSync(join(dir, `IM${k + 1}.dcm`), madeSlice(4 - k)));
  writeFileSync(join(dir, 'notes.txt'), 'not a slice');
  t.ok(isDicomFolder(dir));
  t.same(listDicomFiles(dir).map((f) => f.slice(dir.length + 1)), ['IM1.dcm', 'IM2.dcm', 'IM3.dcm', 'IM4.dcm', 'IM5.dcm']);
  t.same(readDicomSeries(listDicomFiles(dir)).data, vol.data, 'read from disk (two passes) = read from memory');
  // Scanner exports without an extension count by their magic; DICOMDIR does not.
  const bare = mkdtempSync(join(tmpdir(), 'walloc-dicom-bare-'));
  writeFileSync(join(bare, 'IM0001'), madeSlice(0));
  writeFileSync(join(bare, 'DICOMDIR'), madeSlice(1));
  writeFileSync(join(bare, 'README'), 'x'.repeat(200));
  t.same(listDicomFiles(bare).map((f) => f.slice(bare.length + 1)), ['IM0001']);
  const png = mkdtempSync(join(tmpdir(), 'walloc-dicom-png-'));
  writeFileSync(join(png, 's1.png'), Buffer.alloc(10));
  t.notOk(isDicomFolder(png), 'a folder of PNG slices stays a PNG stack');
  t.throws(() => listDicomFiles(mkdtempSync(join(tmpdir(), 'walloc-dicom-empty-'))), code('WALLOC_ERR_VOLUME_FORMAT'));
});

t.test('multi-frame: a real Philips enhanced MR (.dcm.gz) placed by its per-frame functional groups', async (t) => {
  const gz = fixture('philips_mprage.dcm.gz');
  t.ok(isGzippedDicom(gz), 'a gzipped DICOM file is recognised from its first bytes');
  t.notOk(isGzippedDicom(gzipSync(Buffer.alloc(400))), 'a gzip of something else is not');
  const vol = parseDicom(gz, { source: 'philips_mprage.dcm.gz' });
  t.same(parseDicom(gunzipSync(gz)).data.length, vol.data.length, 'the same as the inflated file');
  t.same(vol.shape, [176, 256, 256], 'one slice per frame');
  t.equal(vol.dtype, 'uint16');
  t.equal(vol.nifti?.sclSlope, 2.1079365079365, 'RescaleSlope from the frames\' PixelValueTransformationSequence');
  t.ok(Math.abs(vol.spacing[0] - 1) < 1e-5 && vol.spacing[1] === 1 && vol.spacing[2] === 1, `spacing ${vol.spacing}`);
  const a = niftiAffine(vol);
  const lps = (i: number, j: number, k: number) => [0, 1, 2].map((r) => (r < 2 ? -1 : 1) * (a[r]![0]! * i + a[r]![1]! * j + a[r]![2]! * k + a[r]![3]!));
  t.same(round([[a[0]![1]!, a[1]![1]!, a[2]![1]!]], 5), round([[0.0337935, 0.0649963, -0.9973131]], 5), 'row index: nibabel\'s column, LPS → RAS');
  t.same(round([[a[0]![0]!, a[1]![0]!, a[2]![0]!]], 5), round([[0.0022011, -0.9978855, -0.064959]], 5), 'column index: nibabel\'s column, LPS → RAS');
  const ipp: Array<[number, number[]]> = [[0, [92.7090416119899, -125.12766968458, 136.495256863534]], [1, [91.7096061871852, -125.12766968458, 136.529122076928]], [175, [-82.190830214181, -125.12766968458, 142.421648465096]]];
  for (const [k, p] of ipp) t.ok(lps(0, 0, k).every((x, i) => Math.abs(x - p[i]!) < 2e-3), `slice ${k} lies at frame ${k}'s ImagePositionPatient: ${lps(0, 0, k).map((x) => x.toFixed(4))}`);
});

t.test('multi-frame: a real RT dose grid (pydicom rtdose.dcm), little and big endian', async (t) => {
  for (const name of ['rtdose.dcm', 'rtdose_expb.dcm']) {
    const vol = parseDicom(fixture(name), { source: name });
    t.same(vol.shape, [15, 10, 10], name);
    t.same(vol.spacing, [5, 10, 10], `${name}: GridFrameOffsetVector steps of 5 mm`);
    t.equal(vol.dtype, 'uint32');
    t.equal(vol.nifti?.sclSlope, 1e-6, 'DoseGridScaling as the slope (Gy)');
    t.same(Array.from(vol.data.subarray(7 * 100 + 30, 7 * 100 + 35)), [1087000, 1086000, 1083000, 1077000, 1074000].map((v) => Math.fround(v * 1e-6)), `${name}: frame 7, row 3 as pydicom reads it`);
    let sum = 0, lo = Infinity, hi = -Infinity;
    for (const v of vol.data) { sum += v; lo = Math.min(lo, v); hi = Math.max(hi, v); }
    t.ok(Math.abs(sum - 1519.91) < 1e-3 && Math.abs(lo - 0.795) < 1e-7 && Math.abs(hi - 1.254) < 1e-7, `${name}: sum ${sum}, range ${lo}–${hi}`);
    const a = niftiAffine(vol);
    t.same(round(a), round([[-10, 0, 0, -189.43125], [0, -10, 0, -199.43125], [0, 0, 5, -761.87], [0, 0, 0, 1]]), `${name}: the grid in RAS`);
  }
  // Frames 3 and 4 at the same offset (the grid rewritten in place): two frames, one position.
  const twice = setText(fixture('rtdose.dcm'), 'x3004000c', '0\\5\\10\\15\\15\\25\\30\\35\\40\\45\\50\\55\\60\\65\\70');
  t.throws(() => parseDicom(twice, { source: 'dose' }), { code: 'WALLOC_ERR_DICOM_SERIES', message: /dose \(frame 4\) and dose \(frame 5\) lie at the same position/ });
  // Absolute offsets (the first equals the z of ImagePositionPatient) place the frames the same way.
  const absolute = setText(fixture('rtdose.dcm'), 'x3004000c', Array.from({ length: 15 }, (_, k) => String(-761.87 + 5 * k)).join('\\'));
  t.same(niftiAffine(parseDicom(absolute)), niftiAffine(parseDicom(fixture('rtdose.dcm'))), 'absolute GridFrameOffsetVector');
});

t.test('pixel types: 8/16/32 bits, signed, BitsStored, big-endian (synthetic files)', async (t) => {
  const le16 = (v: number[], signed = false) => { const b = Buffer.alloc(2 * v.length); v.forEach((x, i) => (signed ? b.writeInt16LE(x, 2 * i) : b.writeUInt16LE(x, 2 * i))); return b; };
  const cases: Array<[string, Buffer, string, number[]]> = [
    ['uint8', synth({ bits: 8, pixels: Buffer.from([0, 1, 2, 253, 254, 255]) }), 'uint8', [0, 1, 2, 253, 254, 255]],
    ['int8', synth({ bits: 8, signed: true, pixels: Buffer.from([0, 1, 127, 128, 254, 255]) }), 'int8', [0, 1, 127, -128, -2, -1]],
    ['int16', synth({ signed: true, pixels: le16([-32768, -1, 0, 1, 1000, 32767], true) }), 'int16', [-32768, -1, 0, 1, 1000, 32767]],
    // CT style: 12 bits stored, signed; the bits above HighBit are a sign extension (or junk) and
    // are dropped, as PS3.5 §8 defines BitsStored/HighBit (pydicom 2.3.1 returns these raw: 4095,
    // 2048, 2047, −2048, 28673, 0). The other synthetic cases read the same in pydicom 2.3.1.
    ['int16 in 12 bits', synth({ signed: true, stored: 12, pixels: le16([0x0fff, 0x0800, 0x07ff, 0xf800, 0x7001, 0]) }), 'int16', [-1, -2048, 2047, -2048, 1, 0]],
    ['uint32', synth({ bits: 32, pixels: Buffer.from(new Uint32Array([0, 1, 70000, 4000000000, 16777216, 7]).buffer) }), 'uint32', [0, 1, 70000, 4000000000, 16777216, 7]],
    ['int32', synth({ bits: 32, signed: true, pixels: Buffer.from(new Int32Array([-5, -70000, 0, 1, 2147483647, -2147483648]).buffer) }), 'int32', [-5, -70000, 0, 1, 2147483647, -2147483648]],
    ['big-endian uint16', synth({ bigEndian: true, pixels: Buffer.from([0, 1, 1, 0, 0xff, 0xfe, 0, 0, 0x12, 0x34, 0, 9]) }), 'uint16', [1, 256, 65534, 0, 0x1234, 9]],
    ['big-endian 8-bit in OW (byte pairs swapped)', synth({ bigEndian: true, bits: 8, pixelVr: 'OW', pixels: Buffer.from([2, 1, 4, 3, 6, 5]) }), 'uint8', [1, 2, 3, 4, 5, 6]],
    ['rescaled', synth({ pixels: le16([0, 1, 2, 3, 4, 5]), slope: '0.5', intercept: '-1024' }), 'uint16', [-1024, -1023.5, -1023, -1022.5, -1022, -1021.5]],
  ];
  for (const [name, bytes, dtype, values] of cases) {
    const vol = parseDicom(bytes, { source: name });
    t.equal(vol.dtype, dtype, name);
    t.same(Array.from(vol.data), values.map((v) => Math.fround(v)), name);
    t.same(vol.shape, [1, 2, 3]);
    t.same(vol.spacing.slice(1), [0.5, 0.25], `${name}: PixelSpacing is [between rows, between columns]`);
  }
});

t.test('bad input: every refusal is a coded error', async (t) => {
  const real = fixture('decimal_rescale.dcm');
  const px = element(real, 'x7fe00010');
  const cases: Array<[string, () => unknown, string, RegExp?]> = [
    ['a Siemens mosaic (real 0.dcm)', () => parseDicom(fixture('0.dcm')), 'WALLOC_ERR_DICOM_UNSUPPORTED', /mosaic \(48 slices/],
    ['JPEG 2000 (real)', () => parseDicom(fixture('slicethickness_empty_string.dcm')), 'WALLOC_ERR_DICOM_COMPRESSED', /JPEG 2000 lossless, 1\.2\.840\.10008\.1\.2\.4\.90/],
    ['JPEG baseline', () => parseDicom(synth({ ts: '1.2.840.10008.1.2.4.50' })), 'WALLOC_ERR_DICOM_COMPRESSED', /JPEG baseline/],
    ['JPEG-LS', () => parseDicom(synth({ ts: '1.2.840.10008.1.2.4.80' })), 'WALLOC_ERR_DICOM_COMPRESSED', /JPEG-LS/],
    ['RLE', () => parseDicom(synth({ ts: '1.2.840.10008.1.2.5' })), 'WALLOC_ERR_DICOM_COMPRESSED', /RLE/],
    ['deflated', () => parseDicom(synth({ ts: '1.2.840.10008.1.2.1.99' })), 'WALLOC_ERR_DICOM_COMPRESSED', /deflated/],
    ['an unknown transfer syntax', () => parseDicom(synth({ ts: '1.2.3.4' })), 'WALLOC_ERR_DICOM_UNSUPPORTED', /transfer syntax 1\.2\.3\.4/],
    ['a multi-frame file cut inside its frames (real Philips enhanced MR)', () => parseDicom(gunzipSync(fixture('philips_mprage.dcm.gz')).subarray(0, 10_000_000)), 'WALLOC_ERR_VOLUME_TRUNCATED', /176 frames of 256×256 16-bit pixels need 23068672 bytes/],
    ['a cut .dcm.gz', () => parseDicom(fixture('philips_mprage.dcm.gz').subarray(0, 3000)), 'WALLOC_ERR_VOLUME_TRUNCATED'],
    ['a .dcm.gz over --max-pixels', () => parseDicom(fixture('philips_mprage.dcm.gz'), { limits: { maxPixels: 100_000 } }), 'WALLOC_ERR_LIMIT_EXCEEDED'],
    ['a gzip of something else', () => parseDicom(gzipSync(Buffer.from('hello, not a DICOM file'))), 'WALLOC_ERR_VOLUME_FORMAT', /no DICOM magic/],
    ['no pixel data (real csa_slice_norm.dcm)', () => parseDicom(fixture('csa_slice_norm.dcm')), 'WALLOC_ERR_VOLUME_FORMAT', /no pixel data/],
    ['colour', () => parseDicom(synth({ samples: 3 })), 'WALLOC_ERR_DICOM_UNSUPPORTED', /3 samples per pixel/],
    ['12-bit packed', () => parseDicom(synth({ bits: 12, pixels: Buffer.alloc(10) })), 'WALLOC_ERR_DICOM_UNSUPPORTED', /BitsAllocated 12/],
    ['BitsStored beyond BitsAllocated', () => parseDicom(synth({ stored: 20 })), 'WALLOC_ERR_VOLUME_FORMAT', /BitsStored 20/],
    ['pixel data shorter than Rows × Columns', () => parseDicom(synth({ pixels: Buffer.alloc(8) })), 'WALLOC_ERR_VOLUME_DIMS', /holds 8 bytes/],
    ['Rows 0', () => parseDicom(synth({ rows: 0 })), 'WALLOC_ERR_VOLUME_DIMS'],
    ['cut inside the pixel data (real)', () => parseDicom(real.subarray(0, px.dataOffset + 1000)), 'WALLOC_ERR_VOLUME_TRUNCATED', /need 24576 bytes/],
    ['cut inside the header (real)', () => parseDicom(real.subarray(0, 500)), 'WALLOC_ERR_VOLUME_TRUNCATED'],
    ['not DICOM (a NIfTI file)', () => parseDicom(readFileSync(join(packageRoot(), 'fixtures', 'volumes', 'anatomical-be.nii'))), 'WALLOC_ERR_VOLUME_FORMAT', /no DICOM magic/],
    ['not DICOM (tiny)', () => parseDicom(Buffer.from('hello')), 'WALLOC_ERR_VOLUME_FORMAT'],
    // 65535 × 65535 promised by a 200-byte file: refused from the header, nothing allocated.
    ['absurd size', () => parseDicom(synth({ rows: 65535, columns: 65535, pixels: Buffer.alloc(4) })), 'WALLOC_ERR_LIMIT_EXCEEDED'],
    ['over --max-pixels', () => parseDicom(real, { limits: { maxPixels: 10000 } }), 'WALLOC_ERR_LIMIT_EXCEEDED'],
    ['a series over --max-pixels', () => parseDicomSeries([0, 1].map((k) => ({ name: `${k}`, bytes: madeSlice(k) })), { limits: { maxPixels: 96 * 128 + 1 } }), 'WALLOC_ERR_LIMIT_EXCEEDED'],
  ];
  for (const [name, f, c, re] of cases) {
    t.throws(f, code(c), name);
    if (re) t.throws(f, { message: re }, `${name}: says why`);
  }
});

t.test('bad series: mixed series, repeated or uneven positions, mismatched slices', async (t) => {
  const s = (k: number) => ({ name: `s${k}.dcm`, bytes: madeSlice(k) });
  const cases: Array<[string, Array<{ name: string; bytes: Buffer }>, string, RegExp]> = [
    ['two series (one without SeriesInstanceUID)', [s(0), { name: '0.dcm', bytes: demosaic(fixture('0.dcm')) }], 'WALLOC_ERR_DICOM_SERIES', /2 series are mixed .*no SeriesInstanceUID.*1 file.*1\.3\.12\.2\.1107\.5\.2\.32\.35119\.2010011420292594820699190\.0\.0\.0: 1 file/],
    // A mixed folder is reported as such even when one of its files is unreadable.
    ['two series, one a mosaic', [s(0), { name: '0.dcm', bytes: fixture('0.dcm') }], 'WALLOC_ERR_DICOM_SERIES', /2 series/],
    ['the same position twice', [s(0), s(1), { name: 'again.dcm', bytes: madeSlice(1, 4, { instance: 9 }) }], 'WALLOC_ERR_DICOM_SERIES', /same position.*more than one volume/],
    ['a missing slice', [s(0), s(1), s(3)], 'WALLOC_ERR_DICOM_SERIES', /unevenly spaced \(gaps from 4\.000 to 8\.000 mm\)/],
    ['the same InstanceNumber, no positions', [0, 1].map((k) => ({ name: `n${k}`, bytes: madeSlice(k, 4, { position: '', instance: 7 }) })), 'WALLOC_ERR_DICOM_SERIES', /both have InstanceNumber 7/],
    ['another PixelSpacing', [s(0), { name: 'ps.dcm', bytes: setText(madeSlice(1), 'x00280030', '1.25\\1.25') }], 'WALLOC_ERR_DICOM_SERIES', /PixelSpacing differs/],
    ['another orientation', [s(0), { name: 'io.dcm', bytes: setText(madeSlice(1), 'x00200037', '0\\1\\0\\0\\0\\1') }], 'WALLOC_ERR_DICOM_SERIES', /ImageOrientationPatient differs/],
  ];
  for (const [name, files, c, re] of cases) {
    t.throws(() => parseDicomSeries(files), code(c), name);
    t.throws(() => parseDicomSeries(files), { message: re }, `${name}: says why`);
  }
  // Fewer Rows on one slice (its pixel data then has bytes to spare): slices of different sizes.
  const short = madeSlice(1);
  short.writeUInt16LE(48, element(short, 'x00280010').dataOffset);
  t.throws(() => parseDicomSeries([s(0), { name: 'short.dcm', bytes: short }]), { code: 'WALLOC_ERR_VOLUME_DIMS', message: /slice is 128×48/ });
});

t.test('walloc-encode / walloc-decode on DICOM (built bins): folder and file to NIfTI, bad input leaves nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-dicom-cli-'));
  const series = join(dir, 'series');
  mkdirSync(series);
  [0, 1, 2, 3, 4].forEach((k) => writeFileSync(join(series, `s${k}.dcm`), madeSlice(4 - k)));
  const ref = readDicomSeries(listDicomFiles(series));

  // No --model: volumes default to volume-mri, as for NIfTI.
  const enc = await runBin('walloc-encode', [series, '-o', join(dir, 'series.wlc')]);
  t.equal(enc.code, 0, enc.stderr);
  t.match(enc.stderr, /Mvoxels → \d+ bytes .* with volume-mri@/);
  const dec = await runBin('walloc-decode', [join(dir, 'series.wlc'), '-o', join(dir, 'series.nii')]);
  t.equal(dec.code, 0, dec.stderr);
  const out = readFileSync(join(dir, 'series.nii'));
  const h = nifti.readHeader(ab(out));
  t.same(h.dims.slice(0, 4), [3, 128, 96, 5], 'nifti-reader-js: x = columns, y = rows, z = slices');
  t.same(h.pixDims.slice(1, 4).map((x) => Number(x.toFixed(4))), [1.125, 1.125, 4], 'spacing');
  t.equal(h.datatypeCode, 512, 'uint16, as stored');
  t.same([h.scl_slope, h.scl_inter], [2, -4096], 'the rescale as scl_slope/scl_inter');
  t.same(round(h.affine, 3), round(niftiAffine(ref), 3), 'nifti-reader-js sees the DICOM geometry');
  const back = parseNifti(out);
  const p = volumePsnr(ref.data, back.data);
  t.ok(p > 18, `PSNR ${p.toFixed(2)} dB`);

  // One file, by name and on stdin.
  const one = await runBin('walloc-encode', [join(DIR, 'decimal_rescale.dcm'), '-o', join(dir, 'one.wlc')]);
  t.equal(one.code, 0, one.stderr);
  const oneBack = await runBin('walloc-decode', [join(dir, 'one.wlc'), '-o', join(dir, 'one.nii.gz')]);
  t.equal(oneBack.code, 0, oneBack.stderr);
  const h1 = nifti.readHeader(ab(gunzipSync(readFileSync(join(dir, 'one.nii.gz')))));
  t.same(h1.dims.slice(0, 4), [3, 128, 96, 1], 'a single slice is a volume of depth 1');
  t.same(h1.pixDims.slice(1, 4), [1.125, 1.125, 5]);
  t.ok(parseNifti(readFileSync(join(dir, 'one.nii.gz'))).data.every((v) => v === -4096), 'the blank slice comes back blank');
  // A multi-frame file, gzipped.
  writeFileSync(join(dir, 'rtdose.dcm.gz'), gzipSync(fixture('rtdose.dcm')));
  const dose = await runBin('walloc-encode', [join(dir, 'rtdose.dcm.gz'), '-o', join(dir, 'dose.wlc')]);
  t.equal(dose.code, 0, dose.stderr);
  const doseBack = await runBin('walloc-decode', [join(dir, 'dose.wlc'), '-o', join(dir, 'dose.nii')]);
  t.equal(doseBack.code, 0, doseBack.stderr);
  const hd = nifti.readHeader(ab(readFileSync(join(dir, 'dose.nii'))));
  t.same(hd.dims.slice(0, 4), [3, 10, 10, 15], 'the 15 frames come back as 15 slices');
  t.same(hd.pixDims.slice(1, 4), [10, 10, 5]);
  const piped = await runBin('walloc-encode', ['-', '--model', 'volume-mri-linear'], { input: fixture('decimal_rescale.dcm') });
  t.equal(piped.code, 0, piped.stderr);
  t.equal(piped.stdout.subarray(0, 4).toString('latin1'), 'WLOC', 'a .wlc stream on stdout');

  // Bad input: exit status 1, the code on one line, no stack, no output file.
  const bad = join(dir, 'bad');
  mkdirSync(bad);
  const mixed = join(bad, 'mixed');
  mkdirSync(mixed);
  writeFileSync(join(mixed, 'a.dcm'), madeSlice(0));
  writeFileSync(join(mixed, 'b.dcm'), demosaic(fixture('0.dcm')));
  const real = fixture('decimal_rescale.dcm');
  const cases: Array<[string, Buffer | null, RegExp]> = [
    ['mosaic.dcm', fixture('0.dcm'), /WALLOC_ERR_DICOM_UNSUPPORTED/],
    ['j2k.dcm', fixture('slicethickness_empty_string.dcm'), /WALLOC_ERR_DICOM_COMPRESSED/],
    ['cut.dcm', real.subarray(0, real.length - 5000), /WALLOC_ERR_VOLUME_TRUNCATED/],
    ['nopixels.dcm', fixture('csa_slice_norm.dcm'), /WALLOC_ERR_VOLUME_FORMAT/],
    ['mixed', null, /WALLOC_ERR_DICOM_SERIES/],
  ];
  for (const [name, bytes, expect] of cases) {
    if (bytes) writeFileSync(join(bad, name), bytes);
    const r = await runBin('walloc-encode', [join(bad, name), '-o', join(dir, `${name}.wlc`)]);
    t.equal(r.code, 1, name);
    t.match(r.stderr, expect, name);
    t.notMatch(r.stderr, /\n\s+at /, `${name}: no stack trace`);
  }
  t.same(readdirSync(dir).filter((f) => f.endsWith('.wlc') || f.startsWith('.')).sort(), ['dose.wlc', 'one.wlc', 'series.wlc'], 'no output for bad input');
});
