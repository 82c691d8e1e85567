/**
 * NIfTI in and out on real volumes: a crop of the Colin27 T1 template (mricron-data, uint8,
 * sform only) and nibabel's anatomical.nii (big-endian int16, qform and sform), checked against
 * nifti-reader-js as the independent reader; then every kind of bad file the issue names.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as nifti from 'nifti-reader-js';
import { encodeNifti, niftiAffine, parseNifti } from '../../../src/io/nifti.js';
import { packageRoot } from '../../../src/paths.js';

const fixture = (name: string) => readFileSync(join(packageRoot(), 'fixtures', 'volumes', name));
const ab = (b: Uint8Array) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

/** Voxels as nifti-reader-js reads them (raw stored values, x fastest). */
function referenceVoxels(bytes: Uint8Array): { h: nifti.NIFTI1 | nifti.NIFTI2; values: number[] } {
  const raw = bytes[0] === 0x1f ? gunzipSync(bytes) : Buffer.from(bytes);
  const h = nifti.readHeader(ab(raw));
  const img = nifti.readImage(h, ab(raw));
  const view = new DataView(img);
  const n = h.dims[1]! * h.dims[2]! * h.dims[3]!;
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    values.push(h.datatypeCode === 2 ? view.getUint8(i) : h.datatypeCode === 4 ? view.getInt16(2 * i, h.littleEndian) : view.getFloat32(4 * i, h.littleEndian));
  }
  return { h, values };
}

const code = (c: string) => ({ code: c });

t.test('reads a gzipped uint8 volume exactly as nifti-reader-js does', async (t) => {
  const bytes = fixture('ch2-crop.nii.gz');
  const vol = parseNifti(bytes, { source: 'ch2-crop' });
  const ref = referenceVoxels(bytes);
  t.same(vol.shape, [ref.h.dims[3], ref.h.dims[2], ref.h.dims[1]], 'shape is [z, y, x]');
  t.same(vol.spacing, [ref.h.pixDims[3], ref.h.pixDims[2], ref.h.pixDims[1]]);
  t.equal(vol.dtype, 'uint8');
  t.same(Array.from(vol.data), ref.values);
  t.ok(new Set(vol.data).size > 50, 'real anatomy, not a constant');
  t.same(niftiAffine(vol), ref.h.affine, 'sform affine as a standard reader derives it');
});

t.test('reads a big-endian int16 volume (nibabel anatomical.nii) with qform and sform', async (t) => {
  const bytes = fixture('anatomical-be.nii');
  const vol = parseNifti(bytes);
  const ref = referenceVoxels(bytes);
  t.equal(ref.h.littleEndian, false, 'the fixture really is big-endian');
  t.equal(vol.dtype, 'int16');
  t.same(vol.shape, [25, 41, 33]);
  t.same(Array.from(vol.data), ref.values);
  t.same(niftiAffine(vol).map((r) => r.map((x) => Number(x.toFixed(4)))), ref.h.affine.map((r) => r.map((x) => Number(x.toFixed(4)))));
});

for (const gzip of [false, true]) {
  t.test(`round trip through encodeNifti (${gzip ? '.nii.gz' : '.nii'}) keeps voxels, dims, spacing and the affine`, async (t) => {
    for (const name of ['ch2-crop.nii.gz', 'anatomical-be.nii']) {
      const vol = parseNifti(fixture(name));
      const out = encodeNifti(vol, { gzip });
      t.equal(out[0] === 0x1f, gzip, 'gzip only when asked');
      const back = parseNifti(out);
      t.same(back.shape, vol.shape, name);
      t.same(back.spacing, vol.spacing);
      t.equal(back.dtype, vol.dtype);
      t.same(back.data, vol.data);
      t.same(niftiAffine(back), niftiAffine(vol));
      // An independent reader opens what we wrote and sees the same geometry.
      const ref = referenceVoxels(out);
      t.equal(ref.h.vox_offset, 352);
      t.same(ref.values, Array.from(vol.data));
      t.same(ref.h.affine.map((r) => r.map((x) => Number(x.toFixed(4)))), niftiAffine(vol).map((r) => r.map((x) => Number(x.toFixed(4)))));
    }
  });
}

t.test('intensity scaling: scl_slope/scl_inter apply on read and survive a write', async (t) => {
  const vol = parseNifti(fixture('ch2-crop.nii.gz'));
  const scaled = { ...vol, dtype: 'int16' as const, data: vol.data.map((v) => v * 0.5 + 10), nifti: { ...vol.nifti!, sclSlope: 0.5, sclInter: 10 } };
  const out = encodeNifti(scaled);
  const ref = referenceVoxels(out);
  t.equal(ref.h.scl_slope, 0.5);
  t.same(ref.values, Array.from(vol.data), 'stored integers are the unscaled values');
  t.same(parseNifti(out).data, scaled.data, 'read back as scaled intensities');
});

t.test('float volumes keep their values', async (t) => {
  const vol = parseNifti(fixture('ch2-crop.nii.gz'));
  const f = { ...vol, dtype: 'float32' as const, data: vol.data.map((v) => v / 7) };
  t.same(parseNifti(encodeNifti(f, { gzip: true })).data, f.data);
});

t.test('bad input gets coded errors', async (t) => {
  const gz = fixture('ch2-crop.nii.gz');
  const nii = gunzipSync(gz);
  t.throws(() => parseNifti(gz.subarray(0, gz.length >> 1)), code('WALLOC_ERR_VOLUME_TRUNCATED'), 'truncated .nii.gz');
  t.throws(() => parseNifti(nii.subarray(0, 1000)), code('WALLOC_ERR_VOLUME_TRUNCATED'), 'truncated .nii');
  t.throws(() => parseNifti(nii.subarray(0, 200)), code('WALLOC_ERR_VOLUME_TRUNCATED'), 'shorter than a header');
  t.throws(() => parseNifti(Buffer.from('not a volume at all, just some text that is long enough'.repeat(10))), code('WALLOC_ERR_VOLUME_FORMAT'));
  t.throws(() => parseNifti(gzipSync(Buffer.alloc(400, 7))), code('WALLOC_ERR_VOLUME_FORMAT'), 'gzip of something else');

  const edit = (f: (v: DataView) => void, extra = 0) => {
    const b = Buffer.concat([nii, Buffer.alloc(extra)]);
    f(new DataView(b.buffer, b.byteOffset, 352));
    return b;
  };
  // 4-D where 3-D is expected: two time points.
  const four = edit((v) => { v.setInt16(40, 4, true); v.setInt16(48, 2, true); }, nii.length - 352);
  t.throws(() => parseNifti(four), code('WALLOC_ERR_VOLUME_DIMS'), '4-D is refused');
  const second = parseNifti(four, { volumeIndex: 1 });
  t.same(second.shape, [36, 48, 40], 'but one volume of it can be asked for');
  t.throws(() => parseNifti(edit((v) => v.setInt16(44, 0, true))), code('WALLOC_ERR_VOLUME_DIMS'), 'a zero dimension');
  t.throws(() => parseNifti(edit((v) => v.setInt16(40, 9, true))), code('WALLOC_ERR_VOLUME_FORMAT'), 'dim[0] out of range');
  t.throws(() => parseNifti(edit((v) => v.setInt16(70, 32, true))), code('WALLOC_ERR_VOLUME_FORMAT'), 'complex voxels');
  // Absurd sizes are refused from the header, before any allocation.
  const huge = edit((v) => { v.setInt16(42, 30000, true); v.setInt16(44, 30000, true); v.setInt16(46, 30000, true); });
  t.throws(() => parseNifti(huge), code('WALLOC_ERR_LIMIT_EXCEEDED'));
  t.throws(() => parseNifti(nii, { limits: { maxPixels: 1000 } }), code('WALLOC_ERR_LIMIT_EXCEEDED'), 'limits are configurable');
});
