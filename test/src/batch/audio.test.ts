/**
 * `walloc batch` on a tree of real recordings with an audio model: the same .wlc walloc-encode
 * writes (but for the batch's source fields), readable by walloc-decode and classify; --decode back
 * to 16-bit WAV at the source's rate, byte for byte what walloc-decode writes; coded per-file
 * errors for a truncated recording, a photo forced in with --ext, and damaged .wlc files; resume
 * (skip, redo what is damaged) and an interrupted CLI run ending byte-identical; threads writing
 * what the main thread writes; audio archives; the CLI summary in seconds of audio.
 * Built bins (dist/) run walloc-encode, walloc-decode, classify and the interrupted batch.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBatch } from '../../../src/batch/batch.js';
import { ARCHIVE_TAG_STREAMS, readArchive } from '../../../src/batch/archive.js';
import { sha256Hex } from '../../../src/batch/encode-file.js';
import type { ManifestRecord } from '../../../src/batch/manifest.js';
import { batchCommand } from '../../../src/cli/batch.js';
import { runCommand } from '../../../src/cli/run.js';
import { decodeHeader, readWlcSync } from '../../../src/container/index.js';
import { parseWavHeader, wavHeader } from '../../../src/io/wav.js';
import { packageRoot } from '../../../src/paths.js';
import { memoryIo, runBin } from '../../helpers/io.js';
import { fixture, jsonLines, listFiles, tempDir, treeBytes, waitFor } from './helpers.js';

const MODEL = 'stereo-5x';
const audioFixture = (name: string) => join(packageRoot(), 'fixtures', 'audio', name);
const MUSIC = audioFixture('music_stereo_44k_1s.wav');
const SPEECH = audioFixture('speech_mono_8k_2s.wav');

const dir = tempDir('audio');
const input = join(dir, 'in');

/** A WAV of the music fixture's sample frames [from, to). */
function musicSlice(from: number, to: number): Buffer {
  const bytes = readFileSync(MUSIC);
  const { info, dataOffset } = parseWavHeader(bytes)!;
  const data = bytes.subarray(dataOffset + 4 * from, dataOffset + 4 * to);
  return Buffer.concat([wavHeader({ sampleRate: info.sampleRate, channels: 2, format: 's16le', dataBytes: data.length }), data]);
}

/** 16-bit samples of a canonical WAV, and its rate and channels. */
function wavSamples(bytes: Buffer): { rate: number; channels: number; samples: Int16Array } {
  const { info, dataOffset } = parseWavHeader(bytes)!;
  if (info.format !== 's16le') throw new Error(`expected a 16-bit WAV, got ${info.format}`);
  const data = bytes.subarray(dataOffset);
  return { rate: info.sampleRate, channels: info.channels, samples: new Int16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length)) };
}

/** SNR in dB of `b` against `a`. */
function snr(a: Int16Array, b: Int16Array): number {
  let s = 0, n = 0;
  for (let i = 0; i < a.length; i++) { s += a[i]! ** 2; n += (a[i]! - b[i]!) ** 2; }
  return 10 * Math.log10(s / n);
}

const GOOD = ['a/music.wav', 'a/speech.wav', 'b/head.wav', 'b/tail.wav'];
/** Their lengths in seconds: 1 s of music, 2 s of speech, and two slices of the music. */
const SECONDS = 1 + 2 + 26_000 / 44_100 + 24_100 / 44_100;

t.before(() => {
  mkdirSync(join(input, 'a'), { recursive: true });
  mkdirSync(join(input, 'b'), { recursive: true });
  copyFileSync(MUSIC, join(input, 'a/music.wav'));
  copyFileSync(SPEECH, join(input, 'a/speech.wav'));
  writeFileSync(join(input, 'b/head.wav'), musicSlice(0, 26_000));
  writeFileSync(join(input, 'b/tail.wav'), musicSlice(20_000, 44_100));
  // A recording cut short (its header announces 1 s), a photo and a note: not all of them audio.
  writeFileSync(join(input, 'broken.wav'), readFileSync(MUSIC).subarray(0, 5000));
  copyFileSync(fixture('coffee_255x171.jpg'), join(input, 'photo.jpg'));
  writeFileSync(join(input, 'notes.txt'), 'not audio\n');
});

t.test('encodes a tree of recordings: what walloc-encode writes, plus the source fields; manifest in seconds', async (t) => {
  const out = join(dir, 'out');
  const s = await runBatch({ input, output: out, model: MODEL, jobs: 0, manifest: join(dir, 'm.jsonl'), errors: join(dir, 'errors.tsv') });
  // Audio extensions only: the photo and the note are not picked up.
  t.match(s, { files: 5, done: 4, skipped: 0, failed: 1, modality: 'audio', megapixels: 0, megavoxels: 0 });
  t.ok(Math.abs(s.audioSeconds - SECONDS) < 1e-6, `${s.audioSeconds} s of audio`);
  t.same(listFiles(out), GOOD.map((r) => r.replace(/\.wav$/, '.wlc')));
  const errors = readFileSync(join(dir, 'errors.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
  t.same(errors.map((e) => [e[0], e[1]]), [['broken.wav', 'WALLOC_ERR_AUDIO_TRUNCATED']]);

  const m = jsonLines<ManifestRecord>(join(dir, 'm.jsonl'));
  const speech = m.find((r) => r.rel === 'a/speech.wav')!;
  t.match(speech, { status: 'done', modality: 'audio', seconds: 2, inSha256: sha256Hex(readFileSync(SPEECH)) });
  t.notOk('width' in speech || 'height' in speech, 'no width/height for audio');

  for (const rel of ['a/speech.wav', 'a/music.wav']) {
    // walloc-encode on a copy elsewhere: the bytes depend on the content only, not on the path.
    const ref = join(dir, `ref-${rel.replace('/', '-')}.wlc`);
    const r = await runBin('walloc-encode', [join(input, rel), '-o', ref, '--model', MODEL, '-q']);
    t.equal(r.code, 0, r.stderr);
    const mine = readFileSync(join(out, rel.replace(/\.wav$/, '.wlc')));
    const theirs = readFileSync(ref);
    const hm = decodeHeader(mine);
    const ht = decodeHeader(theirs);
    const src = readFileSync(join(input, rel));
    t.match(hm.header, { source: rel, sourceBytes: src.length, sourceSha256: sha256Hex(src) });
    const { source: _s, sourceBytes: _b, sourceSha256: _h, ...restMine } = hm.header;
    const { source: _t, ...restTheirs } = ht.header;
    t.same(restMine, restTheirs, `${rel}: the same header but for the source fields`);
    t.ok(restMine.sourceRate === (rel.includes('speech') ? 8000 : 44100) && restMine.audioStream, 'source rate and stream plan recorded');
    t.ok(mine.subarray(hm.bytes).equals(theirs.subarray(ht.bytes)), `${rel}: the same records (frames and trailer), byte for byte`);
  }

  // classify reads batch outputs: one line per 1 s window of the 2 s recording.
  const c = await runBin('classify', [join(out, 'a/speech.wlc')]);
  t.equal(c.code, 0, c.stderr);
  const lines = c.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as { label: string; t: number });
  t.ok(lines.length >= 1 && lines.every((l) => typeof l.label === 'string' && typeof l.t === 'number'), c.stdout.toString());
});

t.test('--decode: WAV at the source rate and channels, what walloc-decode writes, close to the original', async (t) => {
  const out = join(dir, 'out');
  const back = join(dir, 'back');
  const s = await runBatch({ input: out, output: back, decode: true, jobs: 0, manifest: join(dir, 'dec.jsonl') });
  t.match(s, { files: 4, done: 4, failed: 0, megapixels: 0 });
  t.ok(Math.abs(s.audioSeconds - SECONDS) < 1e-6, `${s.audioSeconds} s`);
  t.same(listFiles(back), GOOD);
  t.match(jsonLines<ManifestRecord>(join(dir, 'dec.jsonl')).find((r) => r.rel === 'a/speech.wlc'), { modality: 'audio', seconds: 2, output: join(back, 'a/speech.wav') });

  for (const [rel, rate, channels, minSnr] of [['a/speech', 8000, 1, 15], ['a/music', 44100, 2, 8], ['b/tail', 44100, 2, 8]] as const) {
    const mine = readFileSync(join(back, `${rel}.wav`));
    const ref = join(dir, `ref-${rel.replace('/', '-')}.wav`);
    const r = await runBin('walloc-decode', [join(out, `${rel}.wlc`), '-o', ref]);
    t.equal(r.code, 0, r.stderr);
    t.ok(mine.equals(readFileSync(ref)), `${rel}: byte-identical to walloc-decode's WAV`);
    const a = wavSamples(readFileSync(join(input, `${rel}.wav`)));
    const b = wavSamples(mine);
    t.same([b.rate, b.channels, b.samples.length], [rate, channels, a.samples.length], `${rel}: same rate, channels and length as the source`);
    const q = snr(a.samples, b.samples);
    t.ok(q > minSnr, `${rel}: SNR ${q.toFixed(1)} dB > ${minSnr}`);
  }
});

t.test('a file of the wrong kind, or a damaged .wlc, is a coded error of its own; the batch carries on', async (t) => {
  // --ext forces the photo and the note in: each fails with a code, the recordings are done.
  const s = await runBatch({ input, output: join(dir, 'forced'), model: MODEL, jobs: 0, extensions: new Set(['.wav', '.jpg', '.txt']), errors: join(dir, 'forced.tsv') });
  t.match(s, { files: 7, done: 4, failed: 3 });
  const codes = Object.fromEntries(readFileSync(join(dir, 'forced.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t').slice(0, 2)));
  t.same(codes, { 'broken.wav': 'WALLOC_ERR_AUDIO_TRUNCATED', 'photo.jpg': 'WALLOC_ERR_UNSUPPORTED_INPUT', 'notes.txt': 'WALLOC_ERR_FFMPEG_FAILED' });

  // A volume model on recordings: refused per file, not a crash.
  const v = await runBatch({ input: join(input, 'a'), output: join(dir, 'as-volume'), model: 'volume-mri-linear', jobs: 0, extensions: new Set(['.wav']), errors: join(dir, 'vol.tsv') });
  t.match(v, { files: 2, done: 0, failed: 2 });
  t.match(readFileSync(join(dir, 'vol.tsv'), 'utf8'), /^music\.wav\tWALLOC_ERR_UNSUPPORTED_INPUT\t.*not a volume/m);

  // Decoding: a file whose header is garbage fails at planning, one cut short fails in its task.
  const wlcs = join(dir, 'damaged');
  mkdirSync(wlcs);
  const good = readFileSync(join(dir, 'out', 'a/speech.wlc'));
  writeFileSync(join(wlcs, 'good.wlc'), good);
  const badHeader = Buffer.from(good);
  badHeader[20] ^= 0xff;
  writeFileSync(join(wlcs, 'bad-header.wlc'), badHeader);
  writeFileSync(join(wlcs, 'cut.wlc'), good.subarray(0, good.length - 40));
  writeFileSync(join(wlcs, 'not-wlc.wlc'), 'hello');
  // A filter graph's audio .wlc (whole clips, no chunk layout in the header) decodes like walloc-decode's.
  const { runGraph } = await import('../../../filters/graph.js');
  await runGraph(`load=file=${MUSIC},wpt=levels=8,analysis=model=stereo-5x,quantize,pack,save=file=${join(wlcs, 'graph.wlc')}`);
  const d = await runBatch({ input: wlcs, output: join(dir, 'damaged-back'), decode: true, jobs: 0, errors: join(dir, 'dec.tsv') });
  t.match(d, { files: 5, done: 2, failed: 3 });
  const ref = join(dir, 'graph-ref.wav');
  const r = await runBin('walloc-decode', [join(wlcs, 'graph.wlc'), '-o', ref]);
  t.equal(r.code, 0, r.stderr);
  t.ok(readFileSync(join(dir, 'damaged-back', 'graph.wav')).equals(readFileSync(ref)), 'a graph-made .wlc: the WAV walloc-decode writes');
  const dec = Object.fromEntries(readFileSync(join(dir, 'dec.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t').slice(0, 2)));
  t.same(Object.keys(dec).sort(), ['bad-header.wlc', 'cut.wlc', 'not-wlc.wlc']);
  t.equal(dec['bad-header.wlc'], 'WALLOC_ERR_CONTAINER_HEADER');
  t.equal(dec['not-wlc.wlc'], 'WALLOC_ERR_CONTAINER_MAGIC');
  t.match(dec['cut.wlc'], /^WALLOC_ERR_CONTAINER_/);
  t.same(listFiles(join(dir, 'damaged-back')), ['good.wav', 'graph.wav'], 'only the good files written, no temporaries');
});

t.test('resume: complete outputs are skipped, damaged ones redone to the same bytes; threads write the same bytes', async (t) => {
  const out = join(dir, 'out');
  const before = treeBytes(out);
  const s = await runBatch({ input, output: out, model: MODEL, jobs: 0 });
  t.match(s, { done: 0, skipped: 4, failed: 1, audioSeconds: 0 });
  t.same(treeBytes(out), before);

  // The trailer is what says an audio stream is complete: cut it (and the end record) off.
  const victim = join(out, 'b/head.wlc');
  const c = readWlcSync(before.get('b/head.wlc')!, { strict: true });
  t.ok(c.meta.length === 1 && c.frames.length >= 1, 'a trailer meta record after the frames');
  const trailerless = before.get('b/head.wlc')!.subarray(0, before.get('b/head.wlc')!.length - 60);
  writeFileSync(victim, trailerless);
  const s2 = await runBatch({ input, output: out, model: MODEL, jobs: 0 });
  t.match(s2, { done: 1, skipped: 3 });
  t.same(treeBytes(out), before, 'redone to the very same bytes');

  const threads = await runBatch({ input, output: join(dir, 'out-threads'), model: MODEL, jobs: 2 });
  t.match(threads, { jobs: 2, done: 4, failed: 1 });
  t.same(treeBytes(join(dir, 'out-threads')), before, 'worker threads: same bytes');
});

t.test('an interrupted CLI batch resumes and ends byte-identical to an uninterrupted one', async (t) => {
  const out = join(dir, 'out-int');
  const manifest = join(dir, 'int.jsonl');
  const bin = join(packageRoot(), 'dist', 'src', 'cli', 'bin', 'walloc.js');
  const args = [bin, 'batch', input, out, '--model', MODEL, '--jobs', '1', '--manifest', manifest];
  const done = () => jsonLines<ManifestRecord>(manifest).filter((r) => r.status === 'done').length;
  const p = spawn(process.execPath, args, { env: { ...process.env, WALLOC_BATCH_SLOW_MS: '500' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  p.stderr.on('data', (c: Buffer) => { text += c.toString(); });
  const exit = new Promise<number | null>((resolve) => p.on('close', (code) => resolve(code)));
  t.ok(await waitFor(() => done() >= 1, 60_000), 'one file done');
  p.kill('SIGINT');
  t.equal(await exit, 130, text);
  t.match(text, /INTERRUPTED/);
  const partial = listFiles(out).length;
  t.ok(partial >= 1 && partial < 4, `stopped mid-way (${partial}/4)`);

  const io = memoryIo();
  t.equal(await runCommand(batchCommand, [input, out, '--model', MODEL, '--jobs', '0', '--manifest', manifest], io), 1, 'exit 1: broken.wav still fails');
  t.same(treeBytes(out), treeBytes(join(dir, 'out')), 'byte-identical to the uninterrupted batch');
  // The summary speaks in seconds of audio, not megapixels.
  const line = io.err().split('\n').find((l) => /^walloc batch: 5 files:/.test(l)) ?? io.err();
  t.match(line, new RegExp(`5 files: ${4 - partial} done, ${partial} skipped, 1 failed; .* s of audio; .*× real time`));
  t.notMatch(line, /MP/);
  t.match(io.err(), /broken\.wav: .*\[WALLOC_ERR_AUDIO_TRUNCATED\]/);
});

t.test('audio archives: layout 3 keeps each entry\'s records and trailer; extracting and decoding give the same files', async (t) => {
  const out = join(dir, 'out');
  const archive = join(dir, 'rec.wlc');
  const s = await runBatch({ input, output: out, model: MODEL, jobs: 0, archive });
  t.match(s.archive, { entries: 4 });
  t.equal(decodeHeader(readFileSync(archive)).header.archive, ARCHIVE_TAG_STREAMS);
  const entries = [...readArchive(archive)];
  t.same(entries.map((e) => [e.name, e.source]), GOOD.map((r) => [r.replace(/\.wav$/, '.wlc'), r]));
  for (const e of entries) t.ok(e.wlc.equals(readFileSync(join(out, e.name))), `${e.name}: rebuilt byte for byte`);

  const x = await runBatch({ input: archive, output: join(dir, 'extracted'), jobs: 0 });
  t.match(x, { done: 4, failed: 0 });
  t.same(treeBytes(join(dir, 'extracted')), treeBytes(out));
  const d = await runBatch({ input: archive, output: join(dir, 'archive-back'), decode: true, jobs: 0 });
  t.match(d, { done: 4, failed: 0 });
  t.same(treeBytes(join(dir, 'archive-back')), treeBytes(join(dir, 'back')), 'decoded from the archive: the same WAVs as from the tree');
});
