/**
 * Raw volumes, PNG-slice stacks (folder, pattern, and PNGs back to back on a pipe) and the
 * intensity window, on the real ch2 crop.
 */
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { parseNifti } from '../../../src/io/nifti.js';
import { listSliceFiles, pngSlices, readPngStack, splitPngStream, writePngStack } from '../../../src/io/png-stack.js';
import { encodeVoxels, frameToIntensities, parseRawVolume, parseShape3, parseVoxelType, percentiles, volumeToFrame, volumeWindow } from '../../../src/io/volume.js';
import { packageRoot } from '../../../src/paths.js';

/** Largest absolute difference (t.same on long arrays that differ spends minutes on the diff). */
const maxDiff = (a: Float32Array, b: Float32Array) => {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
const ch2 = () => parseNifti(readFileSync(join(packageRoot(), 'fixtures', 'volumes', 'ch2-crop.nii.gz')));

t.test('raw volumes: --shape/--dtype round trip and size checks', async (t) => {
  const vol = ch2();
  for (const dtype of ['uint8', 'int16', 'uint16', 'float32', 'float64'] as const) {
    const bytes = encodeVoxels(vol.data, dtype);
    const back = parseRawVolume(bytes, vol.shape, dtype, { spacing: [3, 1, 1] });
    t.equal(maxDiff(back.data, vol.data), 0, dtype);
    t.same(back.spacing, [3, 1, 1]);
  }
  const bytes = encodeVoxels(vol.data, 'int16');
  t.throws(() => parseRawVolume(bytes.subarray(0, 100), vol.shape, 'int16'), { code: 'WALLOC_ERR_VOLUME_TRUNCATED' });
  t.throws(() => parseRawVolume(bytes, [vol.shape[0] - 1, vol.shape[1], vol.shape[2]], 'int16'), { code: 'WALLOC_ERR_VOLUME_DIMS' }, 'wrong shape for the bytes');
  t.throws(() => parseRawVolume(bytes, [100000, 100000, 100000], 'int16'), { code: 'WALLOC_ERR_LIMIT_EXCEEDED' });
  t.same(parseShape3('36,48,40'), [36, 48, 40]);
  t.throws(() => parseShape3('36,48'), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  t.equal(parseVoxelType('i16'), 'int16');
  t.throws(() => parseVoxelType('complex64'), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
});

t.test('window: minimum to 99.9th percentile, and the frame mapping inverts', async (t) => {
  const vol = ch2();
  const sorted = Float32Array.from(vol.data).sort();
  const [lo, hi] = volumeWindow(vol.data);
  t.equal(lo, sorted[0]);
  const exact = sorted[Math.floor(0.999 * (sorted.length - 1))]!;
  t.ok(Math.abs(hi - exact) <= 1, `p99.9 ${hi} vs sorted ${exact}`);
  t.same(percentiles(vol.data, [0, 100]), [sorted[0], sorted[sorted.length - 1]]);
  const f = volumeToFrame(vol, [lo, hi]);
  t.same(f.shape, [1, ...vol.shape]);
  t.same(f.meta.window, [lo, hi]);
  const back = frameToIntensities(f, [lo, hi]);
  let err = 0;
  for (let i = 0; i < back.length; i++) err = Math.max(err, Math.abs(back[i]! - vol.data[i]!));
  t.ok(err < 1e-3, `max error ${err}`);
});

t.test('PNG stacks: write slices, read them back from a folder, a pattern and a pipe', async (t) => {
  const vol = ch2();
  const dir = mkdtempSync(join(tmpdir(), 'walloc-stack-'));
  const losses: string[] = [];
  const written = await writePngStack(vol, join(dir, 's%03d.png'), (m) => losses.push(m));
  t.equal(written.length, vol.shape[0]);
  t.same(losses, [], 'uint8 values fit: nothing to report');
  // Decoded (lossy) values of a uint8 volume are fractional: rounding them back to uint8 is no loss
  // to report; in a float volume it is.
  const decoded = { ...vol, data: vol.data.map((v) => v + 0.3) };
  await writePngStack(decoded, join(mkdtempSync(join(tmpdir(), 'walloc-stack-')), 'd%03d.png'), (m) => losses.push(m));
  t.same(losses, [], 'uint8: rounding decoded values is not reported');
  await writePngStack({ ...decoded, dtype: 'float32' }, join(mkdtempSync(join(tmpdir(), 'walloc-stack-')), 'f%03d.png'), (m) => losses.push(m));
  t.match(losses, [/float32 voxel\(s\) were rounded to integers/], 'float32: reported');
  const meta = await sharp(written[0]!).metadata();
  t.equal(meta.channels, 1, 'an 8-bit slice is written grey, not RGB');
  t.same(readdirSync(dir).filter((f) => f.startsWith('.')), [], 'no temporary files');
  const fromDir = await readPngStack(listSliceFiles(dir));
  t.same(fromDir.shape, vol.shape);
  t.equal(maxDiff(fromDir.data, vol.data), 0, 'uint8 slices are lossless');
  t.equal(maxDiff((await readPngStack(listSliceFiles(join(dir, 's%03d.png')))).data, vol.data), 0);
  // PNGs back to back, cut into odd-sized chunks as a pipe would deliver them.
  const all = Buffer.concat(written.map((f) => readFileSync(f)));
  const chunks: Buffer[] = [];
  for (let i = 0; i < all.length; i += 1013) chunks.push(all.subarray(i, i + 1013));
  const fromPipe = await readPngStack(splitPngStream(Readable.from(chunks)));
  t.equal(maxDiff(fromPipe.data, vol.data), 0);
  await t.rejects(readPngStack(splitPngStream(Readable.from([all.subarray(0, all.length - 20)]))), { code: 'WALLOC_ERR_VOLUME_TRUNCATED' });
  await t.rejects(readPngStack(splitPngStream(Readable.from([Buffer.from('definitely not png data')]))), { code: 'WALLOC_ERR_VOLUME_FORMAT' });
});

t.test('16-bit volumes survive a PNG stack; slices of different sizes are refused', async (t) => {
  const signed = parseNifti(readFileSync(join(packageRoot(), 'fixtures', 'volumes', 'anatomical-be.nii')));
  // PNG holds unsigned samples: shift the int16 scan so that its minimum is 0.
  let min = Infinity;
  for (const v of signed.data) min = Math.min(min, v);
  const vol = { ...signed, dtype: 'uint16' as const, data: signed.data.map((v) => v - min) };
  t.ok(vol.data.some((v) => v > 255), 'needs more than 8 bits');
  const dir = mkdtempSync(join(tmpdir(), 'walloc-stack16-'));
  const files = await writePngStack(vol, join(dir, 'a%02d.png'));
  const back = await readPngStack(files);
  t.equal(back.dtype, 'uint16');
  t.equal(maxDiff(back.data, vol.data), 0, '16-bit slices are lossless');
  const losses: string[] = [];
  await writePngStack(signed, join(dir, 'signed%02d.png'), (m) => losses.push(m));
  t.match(losses.join('\n'), new RegExp(`voxel\\(s\\) below 0 \\(down to ${min}\\) were written as 0: PNG slices hold 0…65535; write \\.nii\\.gz`), 'the clipping of negative values is said');
  const other = await writePngStack(ch2(), join(dir, 'b%02d.png'));
  const mixed = async () => { for await (const s of pngSlices([files[0]!, other[0]!])) void s; };
  await t.rejects(mixed(), { code: 'WALLOC_ERR_VOLUME_DIMS' });
});
