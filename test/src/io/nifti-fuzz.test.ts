/**
 * Hostile NIfTI files (issue 11's rule for every reader): random byte edits in the header, random
 * truncations and corrupted gzip streams of a real volume either parse into a consistent volume
 * or fail with a coded WallocError; never a TypeError, RangeError or a huge allocation.
 */
import t from 'tap';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseNifti } from '../../../src/io/nifti.js';
import { isWallocError } from '../../../src/errors.js';
import { packageRoot } from '../../../src/paths.js';

const gz = readFileSync(join(packageRoot(), 'fixtures', 'volumes', 'ch2-crop.nii.gz'));
const nii = gunzipSync(gz);
// Small limits, so that a mutated header asking for a big volume is refused, not allocated.
const limits = { maxPixels: 1 << 22, maxSide: 4096 };

function check(bytes: Uint8Array): boolean {
  try {
    const v = parseNifti(bytes, { limits });
    return v.data.length === v.shape[0] * v.shape[1] * v.shape[2] && v.spacing.every((s) => s > 0 && Number.isFinite(s));
  } catch (e) {
    if (isWallocError(e)) return true;
    throw e;
  }
}

t.test('header bytes edited at random', async (t) => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 351 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (edits) => {
    const b = Buffer.from(nii);
    for (const [i, v] of edits) b[i] = v;
    return check(b);
  }), { numRuns: 400, seed: 9 });
  t.pass('every edited header parsed consistently or failed with a coded error');
});

t.test('truncated and corrupted files', async (t) => {
  fc.assert(fc.property(fc.integer({ min: 0, max: nii.length - 1 }), (n) => check(nii.subarray(0, n))), { numRuns: 150, seed: 3 });
  fc.assert(fc.property(fc.integer({ min: 0, max: gz.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.boolean(), (i, v, cut) => {
    const b = Buffer.from(gz);
    b[i] = v;
    return check(cut ? b.subarray(0, i + 1) : b);
  }), { numRuns: 150, seed: 4 });
  t.pass('no uncoded failure');
});
