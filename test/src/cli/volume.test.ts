/**
 * walloc-encode / walloc-decode on volumes as a user runs them (built bins): NIfTI round trips
 * that keep dims, spacing and the affine (checked with nifti-reader-js, a standard reader), raw
 * volumes, PNG stacks on a pipe in slabs, and bad input that must end in a coded error with no
 * output file left behind.
 */
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as nifti from 'nifti-reader-js';
import { runBin } from '../../helpers/io.js';
import { packageRoot } from '../../../src/paths.js';
import { niftiAffine, parseNifti } from '../../../src/io/nifti.js';
import { writePngStack } from '../../../src/io/png-stack.js';
import { encodeVoxels, parseRawVolume } from '../../../src/io/volume.js';
import { volumePsnr } from '../../../src/eval/volume-eval.js';

const fixture = (name: string) => join(packageRoot(), 'fixtures', 'volumes', name);
const MODEL = ['--model', 'volume-mri-linear'];
const ab = (b: Uint8Array) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

t.test('NIfTI file → .wlc → .nii.gz keeps dims, spacing, type and affine; a standard reader opens it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-vol-'));
  for (const name of ['ch2-crop.nii.gz', 'anatomical-be.nii']) {
    const enc = await runBin('walloc-encode', [fixture(name), '-o', join(dir, 'v.wlc'), ...MODEL]);
    t.equal(enc.code, 0, enc.stderr);
    t.match(enc.stderr, /Mvoxels → \d+ bytes \([\d.]+:1 against 16-bit voxels(; [\d.]+:1 against its own \w+ voxels)?\)/);
    const dtype = parseNifti(readFileSync(fixture(name))).dtype;
    if (dtype !== 'int16' && dtype !== 'uint16') t.match(enc.stderr, new RegExp(`against its own ${dtype} voxels`), `${name} is ${dtype}: its own ratio too`);
    const dec = await runBin('walloc-decode', [join(dir, 'v.wlc'), '-o', join(dir, 'back.nii.gz')]);
    t.equal(dec.code, 0, dec.stderr);
    const src = parseNifti(readFileSync(fixture(name)));
    const out = readFileSync(join(dir, 'back.nii.gz'));
    const back = parseNifti(out);
    t.same(back.shape, src.shape, `${name}: dims`);
    t.same(back.spacing, src.spacing, 'spacing');
    t.equal(back.dtype, src.dtype, 'voxel type');
    t.same(niftiAffine(back), niftiAffine(src), 'affine');
    const h = nifti.readHeader(ab(gunzipSync(out)));
    t.equal(h.dims[0], 3);
    t.same(h.affine.map((r) => r.map((x) => Number(x.toFixed(3)))), niftiAffine(src).map((r) => r.map((x) => Number(x.toFixed(3)))), 'nifti-reader-js sees the same affine');
    const p = volumePsnr(src.data, back.data);
    t.ok(p > 18, `${name}: PSNR ${p.toFixed(2)} dB`);
  }
  t.same(readdirSync(dir).sort(), ['back.nii.gz', 'v.wlc'], 'no temporary files');
});

t.test('raw volume in, raw and PNG slices out; stdin to stdout', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-vol-raw-'));
  const vol = parseNifti(readFileSync(fixture('ch2-crop.nii.gz')));
  writeFileSync(join(dir, 'v.raw'), encodeVoxels(vol.data, 'uint8'));
  const enc = await runBin('walloc-encode', [join(dir, 'v.raw'), '--shape', vol.shape.join(','), '--dtype', 'u8', '--spacing', '3,1,1', '-o', join(dir, 'v.wlc'), ...MODEL]);
  t.equal(enc.code, 0, enc.stderr);
  const raw = await runBin('walloc-decode', [join(dir, 'v.wlc'), '-o', join(dir, 'back.raw')]);
  t.equal(raw.code, 0, raw.stderr);
  t.equal(readFileSync(join(dir, 'back.raw')).length, vol.data.length, 'one byte per uint8 voxel');
  const png = await runBin('walloc-decode', [join(dir, 'v.wlc'), '-o', join(dir, 's%03d.png')]);
  t.equal(png.code, 0, png.stderr);
  for (const out of ['nodir/s%03d.png', 'nodir/v.nii.gz']) {
    const missing = await runBin('walloc-decode', [join(dir, 'v.wlc'), '-o', join(dir, out)]);
    t.match(missing.stderr, /cannot write \(the folder .*nodir does not exist\) \[WALLOC_ERR_FILE_WRITE\]/, out);
  }
  t.notOk(readdirSync(dir).includes('nodir'), 'no folder made');
  t.equal(readdirSync(dir).filter((f) => f.endsWith('.png')).length, vol.shape[0]);
  const stdin = await runBin('walloc-encode', ['-', ...MODEL], { input: readFileSync(fixture('ch2-crop.nii.gz')) });
  t.equal(stdin.code, 0, stdin.stderr);
  const stdout = await runBin('walloc-decode', ['-'], { input: stdin.stdout });
  t.equal(stdout.code, 0, stdout.stderr);
  t.same(parseNifti(stdout.stdout).shape, vol.shape, 'NIfTI on stdout');
  const backRaw = parseRawVolume(readFileSync(join(dir, 'back.raw')), vol.shape, 'uint8');
  t.ok(volumePsnr(vol.data, backRaw.data) > 18, 'the raw output holds the decoded voxels');
});

t.test('PNG slices on a pipe are encoded in slabs as they arrive', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-vol-png-'));
  const vol = parseNifti(readFileSync(fixture('ch2-crop.nii.gz')));
  const files = await writePngStack(vol, join(dir, 's%03d.png'));
  const enc = await runBin('walloc-encode', ['-', '--stack', '--slab', '8', ...MODEL], { input: Buffer.concat(files.map((f) => readFileSync(f))) });
  t.equal(enc.code, 0, enc.stderr);
  const dec = await runBin('walloc-decode', ['-', '-o', join(dir, 'back.nii')], { input: enc.stdout });
  t.equal(dec.code, 0, dec.stderr);
  const back = parseNifti(readFileSync(join(dir, 'back.nii')));
  t.same(back.shape, vol.shape);
  t.ok(volumePsnr(vol.data, back.data) > 18);
  const folder = await runBin('walloc-encode', [dir, '-o', join(dir, 'f.wlc'), ...MODEL]);
  t.equal(folder.code, 0, `a folder of slices: ${folder.stderr}`);
});

t.test('bad input: coded errors, exit status 1, no partial files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-vol-bad-'));
  const gz = readFileSync(fixture('ch2-crop.nii.gz'));
  const nii = gunzipSync(gz);
  const four = Buffer.concat([nii, nii.subarray(352)]);
  four.writeInt16LE(4, 40);
  four.writeInt16LE(2, 48);
  const huge = Buffer.from(nii);
  for (const o of [42, 44, 46]) huge.writeInt16LE(30000, o);
  const cases: Array<[string, Buffer, RegExp, string[]?]> = [
    ['truncated.nii.gz', gz.subarray(0, gz.length >> 1), /WALLOC_ERR_VOLUME_TRUNCATED/],
    ['four-d.nii', four, /WALLOC_ERR_VOLUME_DIMS/],
    ['huge.nii', huge, /WALLOC_ERR_LIMIT_EXCEEDED/],
    ['short.raw', Buffer.alloc(1000), /WALLOC_ERR_VOLUME_TRUNCATED/, ['--shape', '36,48,40', '--dtype', 'u8']],
    ['wrongdims.raw', Buffer.alloc(36 * 48 * 40 + 7), /WALLOC_ERR_VOLUME_DIMS/, ['--shape', '36,48,40', '--dtype', 'u8']],
  ];
  for (const [name, bytes, expect, extra] of cases) {
    writeFileSync(join(dir, name), bytes);
    const r = await runBin('walloc-encode', [join(dir, name), '-o', join(dir, `${name}.wlc`), ...MODEL, ...(extra ?? [])]);
    t.equal(r.code, 1, name);
    t.match(r.stderr, expect, name);
    t.notMatch(r.stderr, /\n\s+at /, `${name}: no stack trace`);
  }
  t.same(readdirSync(dir).filter((f) => f.endsWith('.wlc') || f.startsWith('.')), [], 'no output files');
  const enc = await runBin('walloc-encode', [fixture('ch2-crop.nii.gz'), '-o', join(dir, 'ok.wlc'), ...MODEL]);
  t.equal(enc.code, 0);
  const bad = await runBin('walloc-decode', [join(dir, 'ok.wlc'), '-o', join(dir, 'out.mp4')]);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /WALLOC_ERR_INVALID_ARGUMENT/);
  const cut = readFileSync(join(dir, 'ok.wlc'));
  writeFileSync(join(dir, 'cut.wlc'), cut.subarray(0, cut.length - 100));
  const trunc = await runBin('walloc-decode', [join(dir, 'cut.wlc'), '-o', join(dir, 'cut.nii.gz')]);
  t.equal(trunc.code, 1);
  t.match(trunc.stderr, /WALLOC_ERR_CONTAINER_TRUNCATED/);
  t.notOk(readdirSync(dir).some((f) => f.startsWith('cut.nii') || f.startsWith('out.mp4') || f.startsWith('.')), 'no partial outputs');
});
