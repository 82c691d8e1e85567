/**
 * `walloc batch` on a tree of real NIfTI volumes with a volume model: `.nii` and `.nii.gz` picked
 * up and named as one extension (`b.nii.gz` → `b.wlc`, `--ext nii.gz`), the same .wlc walloc-encode
 * writes (but for the batch's source fields), --decode to the `.nii.gz` walloc-decode writes,
 * collisions and wrong kinds as coded per-file errors, resume to the same bytes, archives, and a
 * mixed decode tree (images, audio, volumes) whose outputs are named by each header, with the CLI
 * summary in megapixels, seconds of audio and megavoxels.
 */
import t from 'tap';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import { runBatch } from '../../../src/batch/batch.js';
import { ARCHIVE_TAG, readArchive } from '../../../src/batch/archive.js';
import { sha256Hex } from '../../../src/batch/encode-file.js';
import type { ManifestRecord } from '../../../src/batch/manifest.js';
import { extensionOf, outputPath, walkTree } from '../../../src/batch/plan.js';
import { batchCommand } from '../../../src/cli/batch.js';
import { runCommand } from '../../../src/cli/run.js';
import { decodeHeader } from '../../../src/container/index.js';
import { parseNifti } from '../../../src/io/nifti.js';
import { packageRoot } from '../../../src/paths.js';
import { memoryIo, runBin } from '../../helpers/io.js';
import { fixture, jsonLines, listFiles, tempDir, treeBytes } from './helpers.js';

const MODEL = 'volume-mri-linear';
const volumeFixture = (name: string) => join(packageRoot(), 'fixtures', 'volumes', name);
const CH2 = volumeFixture('ch2-crop.nii.gz'); // 40×48×36 uint8
const ANAT = volumeFixture('anatomical-be.nii'); // 33×41×25 int16, big-endian

const dir = tempDir('volume');
const input = join(dir, 'in');

t.before(() => {
  mkdirSync(join(input, 's1'), { recursive: true });
  mkdirSync(join(input, 's2'), { recursive: true });
  copyFileSync(CH2, join(input, 's1/ch2.nii.gz'));
  copyFileSync(ANAT, join(input, 's2/anat.nii'));
  // The same scan unpacked beside another: both would become s2/ch2.wlc.
  writeFileSync(join(input, 's2/ch2.nii'), gunzipSync(readFileSync(CH2)));
  copyFileSync(CH2, join(input, 's2/ch2.nii.gz'));
  copyFileSync(join(packageRoot(), 'fixtures', 'audio', 'speech_mono_8k_2s.wav'), join(input, 's2/voice.wav'));
  writeFileSync(join(input, 'notes.txt'), 'not a volume\n');
});

t.test('.nii.gz is one extension: walked, matched by --ext and replaced whole', async (t) => {
  t.equal(extensionOf('a/b.nii.gz'), '.nii.gz');
  t.equal(extensionOf('B.NII.GZ'), '.nii.gz');
  t.equal(extensionOf('b.tar.gz'), '.gz');
  t.equal(outputPath('s1/ch2.nii.gz', '/o', 'encode'), '/o/s1/ch2.wlc');
  t.equal(outputPath('s1/ch2.wlc', '/o', 'decode', '.nii.gz'), '/o/s1/ch2.nii.gz');
  t.same(walkTree(input, new Set(['.nii.gz'])), ['s1/ch2.nii.gz', 's2/ch2.nii.gz']);
  t.same(walkTree(input, new Set(['.gz'])), ['s1/ch2.nii.gz', 's2/ch2.nii.gz'], '--ext gz still finds them');
  t.same(walkTree(input, new Set(['.nii'])), ['s2/anat.nii', 's2/ch2.nii']);
});

t.test('encodes a tree of volumes: what walloc-encode writes, plus the source fields; collisions refused', async (t) => {
  const out = join(dir, 'out');
  const s = await runBatch({ input, output: out, model: MODEL, jobs: 0, manifest: join(dir, 'm.jsonl'), errors: join(dir, 'errors.tsv') });
  // .nii and .nii.gz by default; s2/ch2.nii and s2/ch2.nii.gz both want s2/ch2.wlc: path order wins.
  t.match(s, { files: 4, done: 3, failed: 1, modality: 'volume', megapixels: 0, audioSeconds: 0 });
  t.ok(Math.abs(s.megavoxels - (2 * 40 * 48 * 36 + 33 * 41 * 25) / 1e6) < 1e-9, `${s.megavoxels} Mvoxels`);
  t.same(listFiles(out), ['s1/ch2.wlc', 's2/anat.wlc', 's2/ch2.wlc']);
  t.match(readFileSync(join(dir, 'errors.tsv'), 'utf8'), /^s2\/ch2\.nii\.gz\tWALLOC_ERR_BATCH_COLLISION\t/);
  const m = jsonLines<ManifestRecord>(join(dir, 'm.jsonl'));
  const anat = m.find((r) => r.rel === 's2/anat.nii')!;
  t.match(anat, { status: 'done', modality: 'volume', shape: [25, 41, 33] });
  t.notOk('width' in anat, 'no width/height for a volume');

  for (const rel of ['s1/ch2.nii.gz', 's2/anat.nii']) {
    const ref = join(dir, `ref-${rel.replace('/', '-')}.wlc`);
    const r = await runBin('walloc-encode', [join(input, rel), '-o', ref, '--model', MODEL, '-q']);
    t.equal(r.code, 0, r.stderr);
    const mine = readFileSync(join(out, rel.replace(/\.nii(\.gz)?$/, '.wlc')));
    const theirs = readFileSync(ref);
    const hm = decodeHeader(mine);
    const ht = decodeHeader(theirs);
    const src = readFileSync(join(input, rel));
    t.match(hm.header, { source: rel, sourceBytes: src.length, sourceSha256: sha256Hex(src), frames: 1 });
    const { source: _s, sourceBytes: _b, sourceSha256: _h, ...restMine } = hm.header;
    const { source: _t, ...restTheirs } = ht.header;
    t.same(restMine, restTheirs, `${rel}: same header (shape, volume facts) but for the source fields`);
    t.ok(mine.subarray(hm.bytes).equals(theirs.subarray(ht.bytes)), `${rel}: the same record, byte for byte`);
  }

  // --ext nii.gz: only the gzipped ones; a recording forced in is refused with a code.
  const g = await runBatch({ input, output: join(dir, 'gz'), model: MODEL, jobs: 0, extensions: new Set(['.nii.gz', '.wav']), errors: join(dir, 'gz.tsv') });
  t.match(g, { files: 3, done: 2, failed: 1 });
  t.match(readFileSync(join(dir, 'gz.tsv'), 'utf8'), /^s2\/voice\.wav\tWALLOC_ERR_UNSUPPORTED_INPUT\t.*not a volume/);
  t.ok(readFileSync(join(dir, 'gz', 's1/ch2.wlc')).equals(readFileSync(join(out, 's1/ch2.wlc'))), 'same bytes whatever else is in the batch');
});

t.test('--decode: the .nii.gz walloc-decode writes, same geometry and type, close to the original', async (t) => {
  const out = join(dir, 'out');
  const back = join(dir, 'back');
  const s = await runBatch({ input: out, output: back, decode: true, jobs: 0 });
  t.match(s, { files: 3, done: 3, failed: 0, megapixels: 0 });
  t.same(listFiles(back), ['s1/ch2.nii.gz', 's2/anat.nii.gz', 's2/ch2.nii.gz']);
  for (const [rel, src] of [['s1/ch2', CH2], ['s2/anat', ANAT]] as const) {
    const ref = join(dir, `ref-${rel.replace('/', '-')}.nii.gz`);
    const r = await runBin('walloc-decode', [join(out, `${rel}.wlc`), '-o', ref]);
    t.equal(r.code, 0, r.stderr);
    const mine = readFileSync(join(back, `${rel}.nii.gz`));
    t.ok(mine.equals(readFileSync(ref)), `${rel}: byte-identical to walloc-decode's`);
    const a = parseNifti(readFileSync(src));
    const b = parseNifti(mine);
    t.same([b.shape, b.dtype, b.spacing], [a.shape, a.dtype, a.spacing], `${rel}: same shape, voxel type and spacing`);
    let lo = Infinity, hi = -Infinity, se = 0;
    for (let i = 0; i < a.data.length; i++) { lo = Math.min(lo, a.data[i]!); hi = Math.max(hi, a.data[i]!); se += (a.data[i]! - b.data[i]!) ** 2; }
    const psnr = 10 * Math.log10((hi - lo) ** 2 / (se / a.data.length));
    t.ok(psnr > 25, `${rel}: PSNR ${psnr.toFixed(1)} dB over the voxel range`);
  }
});

t.test('resume: skips complete outputs, redoes missing and damaged ones to the same bytes', async (t) => {
  const out = join(dir, 'out');
  const before = treeBytes(out);
  t.match(await runBatch({ input, output: out, model: MODEL, jobs: 0 }), { done: 0, skipped: 3, failed: 1, megavoxels: 0 });
  const anat = before.get('s2/anat.wlc')!;
  writeFileSync(join(out, 's2/anat.wlc'), anat.subarray(0, anat.length - 30));
  writeFileSync(join(out, 's1/ch2.wlc'), Buffer.alloc(0));
  t.match(await runBatch({ input, output: out, model: MODEL, jobs: 1 }), { jobs: 1, done: 2, skipped: 1 });
  t.same(treeBytes(out), before, 'byte-identical, on a worker thread too');
});

t.test('a mixed .wlc tree decodes by each header: .png, .wav and .nii.gz; the summary counts each', async (t) => {
  const mixed = join(dir, 'mixed');
  mkdirSync(join(mixed, 'img'), { recursive: true });
  mkdirSync(join(mixed, 'rec'), { recursive: true });
  await sharp(fixture('chelsea_128x96.png')).extract({ left: 0, top: 0, width: 64, height: 48 }).png().toFile(join(mixed, 'img', 'cat.png'));
  copyFileSync(join(packageRoot(), 'fixtures', 'audio', 'speech_mono_8k_2s.wav'), join(mixed, 'rec', 'voice.wav'));
  const wlcs = join(dir, 'mixed-wlc');
  t.match(await runBatch({ input: join(mixed, 'img'), output: join(wlcs, 'img'), model: 'rgb-16x-linear', jobs: 0 }), { done: 1 });
  t.match(await runBatch({ input: join(mixed, 'rec'), output: join(wlcs, 'rec'), model: 'stereo-5x', jobs: 0 }), { done: 1 });
  copyFileSync(join(dir, 'out', 's2/anat.wlc'), join(wlcs, 'anat.wlc'));
  // Same stem as anat.wlc, under another extension: refused whatever it decodes to.
  copyFileSync(join(dir, 'out', 's1/ch2.wlc'), join(wlcs, 'anat.wlc2'));

  const io = memoryIo();
  const code = await runCommand(batchCommand, [wlcs, join(dir, 'mixed-back'), '--decode', '--jobs', '0', '--ext', 'wlc,wlc2', '--errors', join(dir, 'mixed.tsv')], io);
  t.equal(code, 1, io.err());
  t.same(listFiles(join(dir, 'mixed-back')), ['anat.nii.gz', 'img/cat.png', 'rec/voice.wav']);
  t.match(readFileSync(join(dir, 'mixed.tsv'), 'utf8'), /^anat\.wlc2\tWALLOC_ERR_BATCH_COLLISION\tanat\.wlc2: output anat\.\* is also the output of anat\.wlc/);
  t.match(io.err(), /walloc batch: 4 files: 3 done, 0 skipped, 1 failed; .*; 0\.00 MP, 2\.0 s of audio, 0\.03 Mvoxels; /);
  const png = await sharp(join(dir, 'mixed-back', 'img/cat.png')).metadata();
  t.same([png.width, png.height], [64, 48]);

  // The CLI picks volumes by the model alone, and speaks in megavoxels.
  const io2 = memoryIo();
  t.equal(await runCommand(batchCommand, [join(input, 's1'), join(dir, 'cli-out'), '--model', MODEL, '--jobs', '0'], io2), 0, io2.err());
  t.match(io2.err(), /walloc batch: 1 file: 1 done, 0 skipped, 0 failed; .*; 0\.07 Mvoxels; .*Mvoxels\/s\)/);
  t.notMatch(io2.err(), /MP/);
  t.same(listFiles(join(dir, 'cli-out')), ['ch2.wlc']);
});

t.test('volume archives (.wlc and .tar) read back to the same files and decode like the tree', async (t) => {
  const out = join(dir, 'out');
  const archive = join(dir, 'mri.wlc');
  const s = await runBatch({ input, output: out, model: MODEL, jobs: 0, archive });
  t.match(s.archive, { entries: 3 });
  t.equal(decodeHeader(readFileSync(archive)).header.archive, ARCHIVE_TAG, 'one record per entry: layout 2, readable by older walloc');
  for (const e of readArchive(archive)) t.ok(e.wlc.equals(readFileSync(join(out, e.name))), `${e.name} rebuilt`);
  t.match(await runBatch({ input: archive, output: join(dir, 'mri-back'), decode: true, jobs: 0 }), { done: 3 });
  t.same(treeBytes(join(dir, 'mri-back')), treeBytes(join(dir, 'back')));
  const tar = join(dir, 'mri.tar');
  await runBatch({ input, output: out, model: MODEL, jobs: 0, archive: tar });
  t.same([...readArchive(tar)].map((e) => [e.name, e.source]), [['s1/ch2.wlc', 's1/ch2.nii.gz'], ['s2/anat.wlc', 's2/anat.nii'], ['s2/ch2.wlc', 's2/ch2.nii']]);
});
