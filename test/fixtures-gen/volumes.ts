/**
 * Regenerates fixtures/volumes/ch2-crop.nii.gz: a 36×48×40 (z, y, x) crop of the Colin27 T1
 * template `ch2.nii.gz` from Debian's mricron-data (BSD-3-Clause), through the centre of the
 * brain and out into the background, with the sform translated so the crop keeps its place in
 * world space. Run: node --import tsx test/fixtures-gen/volumes.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { encodeNifti, parseNifti } from '../../src/io/nifti.js';
import type { Volume } from '../../src/io/volume.js';

const src = parseNifti(readFileSync('/usr/share/mricron/templates/ch2.nii.gz'), { source: 'ch2.nii.gz' });
const [D, H, W] = src.shape;
const size = [36, 48, 40] as const;
const at = [70, 120, 20] as const; // z, y, x: mid-brain, reaching the edge of the head in x
const data = new Float32Array(size[0] * size[1] * size[2]);
for (let z = 0; z < size[0]; z++) for (let y = 0; y < size[1]; y++) {
  const o = ((at[0] + z) * H + at[1] + y) * W + at[2];
  data.set(src.data.subarray(o, o + size[2]), (z * size[1] + y) * size[2]);
}
void D;
const n = src.nifti!;
const srow = [...n.srow];
// World position of the new voxel (0,0,0) = old affine applied to (x0, y0, z0).
for (let r = 0; r < 3; r++) srow[r * 4 + 3] = n.srow[r * 4]! * at[2] + n.srow[r * 4 + 1]! * at[1] + n.srow[r * 4 + 2]! * at[0] + n.srow[r * 4 + 3]!;
const vol: Volume = { data, shape: [...size], spacing: src.spacing, dtype: src.dtype, nifti: { ...n, srow, descrip: 'crop of mricron-data ch2 (Colin27), BSD-3' } };
writeFileSync('fixtures/volumes/ch2-crop.nii.gz', encodeNifti(vol, { gzip: true }));
