/**
 * `runBatch` on real photos: the mirrored tree, the errors file and the manifest, resume (skip what
 * is done, redo what changed or is damaged), decode back, dataset archives (.wlc and .tar) that
 * read back to the very same files, and worker threads giving the same bytes as the inline path.
 */
import t from 'tap';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeHeader, encodeHeader, readWlcSync } from '../../../src/container/index.js';
import { runBatch } from '../../../src/batch/batch.js';
import { readArchive, ARCHIVE_TAG } from '../../../src/batch/archive.js';
import { sha256Hex } from '../../../src/batch/encode-file.js';
import type { ManifestRecord } from '../../../src/batch/manifest.js';
import { fixture, jsonLines, listFiles, makeDataset, MODEL, tempDir, treeBytes } from './helpers.js';

const dir = tempDir('run');
const input = join(dir, 'in');
let rels: string[] = [];

t.before(async () => {
  rels = await makeDataset(input, 9, { bad: true });
});

t.test('encodes a tree: mirrored .wlc files, failures listed in the errors file, every input in the manifest', async (t) => {
  const out = join(dir, 'out');
  const s = await runBatch({ input, output: out, model: MODEL, jobs: 0, manifest: join(dir, 'm.jsonl'), errors: join(dir, 'errors.tsv') });
  t.match(s, { files: 11, done: 9, skipped: 0, failed: 2, interrupted: false });
  t.same(listFiles(out), rels.map((r) => r.replace(/\.(png|jpg)$/, '.wlc')), 'one .wlc per good input, same tree, no temporaries');
  t.ok(s.bytesOut > 0 && s.bytesOut < s.bytesIn / 3, `ratio ${(s.bytesIn / s.bytesOut).toFixed(1)}:1`);

  const errors = readFileSync(join(dir, 'errors.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
  t.same(errors.map((e) => e[0]).sort(), ['not-an-image.png', 'truncated.png']);
  t.ok(errors.every((e) => e[1] === 'WALLOC_ERR_UNSUPPORTED_INPUT' && e[2]!.length > 0), 'code and message per failure');

  const m = jsonLines<ManifestRecord>(join(dir, 'm.jsonl'));
  t.equal(m.length, 11);
  const rec = m.find((r) => r.rel === rels[0])!;
  const wlc = readFileSync(join(out, rels[0]!.replace(/\.png$/, '.wlc')));
  const src = readFileSync(join(input, rels[0]!));
  t.match(rec, { mode: 'encode', status: 'done', inBytes: src.length, outBytes: wlc.length, inSha256: sha256Hex(src), outSha256: sha256Hex(wlc), output: join(out, rels[0]!.replace(/\.png$/, '.wlc')) });
  t.ok(rec.width! > 0 && rec.height! > 0 && typeof rec.time === 'string' && typeof rec.by === 'string');
  t.match(m.find((r) => r.rel === 'truncated.png'), { status: 'failed', error: { code: 'WALLOC_ERR_UNSUPPORTED_INPUT' } });

  // The header says where the file came from and what it was: the resume check's evidence.
  const { header, frames } = readWlcSync(wlc, { strict: true });
  t.match(header, { model: MODEL, source: rels[0], sourceBytes: src.length, sourceSha256: sha256Hex(src), frames: 1 });
  t.equal(frames.length, 1);
});

t.test('a rerun skips complete outputs, redoes changed inputs and damaged outputs, and stays byte-identical', async (t) => {
  const out = join(dir, 'out');
  const before = treeBytes(out);
  const s = await runBatch({ input, output: out, model: MODEL, jobs: 0, errors: join(dir, 'errors.tsv') });
  t.match(s, { done: 0, skipped: 9, failed: 2 });
  t.same(treeBytes(out), before);

  // Change one input (same size would fool a size-only check: flip bytes in a PNG's pixel data
  // by re-encoding it flipped), and damage one output.
  const changed = rels.find((r) => r.endsWith('.png'))!;
  const flipped = await sharp(join(input, changed)).flip().png().toBuffer();
  writeFileSync(join(input, changed), flipped);
  const damaged = rels.find((r) => r.endsWith('.jpg'))!.replace(/\.jpg$/, '.wlc');
  const good = readFileSync(join(out, damaged));
  writeFileSync(join(out, damaged), good.subarray(0, good.length - 10));
  const s2 = await runBatch({ input, output: out, model: MODEL, jobs: 0 });
  t.match(s2, { done: 2, skipped: 7, failed: 2 });
  t.ok(readFileSync(join(out, damaged)).equals(good), 'the damaged output is rewritten with the same bytes');
  t.equal(readWlcSync(readFileSync(join(out, changed.replace(/\.png$/, '.wlc')))).header.sourceSha256, sha256Hex(flipped));

  const s3 = await runBatch({ input, output: out, model: MODEL, jobs: 0, force: true });
  t.match(s3, { done: 9, skipped: 0 }, '--force redoes everything');
});

t.test('worker threads write the same bytes as the inline path', async (t) => {
  const out = join(dir, 'out-threads');
  const s = await runBatch({ input, output: out, model: MODEL, jobs: 2 });
  t.match(s, { jobs: 2, done: 9, failed: 2 });
  t.same(treeBytes(out), treeBytes(join(dir, 'out')));
});

t.test('--shard: the shards together do the whole batch, each file once', async (t) => {
  const out = join(dir, 'out-shards');
  const m = join(dir, 'shards.jsonl');
  for (let k = 0; k < 3; k++) await runBatch({ input, output: out, model: MODEL, jobs: 0, shard: { index: k, count: 3 }, manifest: m });
  const recs = jsonLines<ManifestRecord>(m);
  t.equal(recs.length, 11);
  t.equal(new Set(recs.map((r) => r.rel)).size, 11, 'no file in two shards');
  t.same(treeBytes(out), treeBytes(join(dir, 'out')));
});

t.test('decodes a .wlc tree back to PNG at the original sizes', async (t) => {
  const out = join(dir, 'decoded');
  const s = await runBatch({ input: join(dir, 'out'), output: out, decode: true, jobs: 0 });
  t.match(s, { done: 9, failed: 0 });
  for (const r of rels) {
    const a = await sharp(join(input, r)).metadata();
    const b = await sharp(join(out, r.replace(/\.(png|jpg)$/, '.png'))).metadata();
    t.same([b.width, b.height, b.format], [a.width, a.height, 'png'], r);
  }
});

for (const ext of ['wlc', 'tar'] as const) {
  t.test(`a .${ext} dataset archive holds every output and extracts back to identical files`, async (t) => {
    const out = join(dir, 'out');
    const archive = join(dir, `dataset.${ext}`);
    const s = await runBatch({ input, output: out, model: MODEL, jobs: 0, archive });
    t.match(s.archive, { path: archive, entries: 9 });
    const entries = [...readArchive(archive)];
    t.same(entries.map((e) => e.name), listFiles(out), 'entries in path order');
    t.same(entries.map((e) => e.source), rels, 'each entry names its original input');
    for (const e of entries) t.ok(e.wlc.equals(readFileSync(join(out, e.name))), `${e.name} reads back byte-identical`);
    if (ext === 'wlc') {
      const c = readWlcSync(readFileSync(archive), { strict: true });
      t.match(c.header, { archive: ARCHIVE_TAG, entries: 9, model: MODEL });
      t.equal(c.frames.length, 9, 'an ordinary .wlc reader streams the frames');
      t.same(c.meta.map((m) => (m.data as { path: string }).path), listFiles(out));
    }
    // Extracting is a batch too: resumable, sharded, or decoded straight to PNG.
    const x = join(dir, `extracted-${ext}`);
    t.match(await runBatch({ input: archive, output: x, jobs: 0 }), { done: 9, failed: 0 });
    t.same(treeBytes(x), treeBytes(out));
    t.match(await runBatch({ input: archive, output: x, jobs: 0 }), { done: 0, skipped: 9 });
    const png = join(dir, `from-archive-${ext}`);
    t.match(await runBatch({ input: archive, output: png, jobs: 0, decode: true }), { done: 9 });
    t.same(listFiles(png), listFiles(join(dir, 'decoded')));
    // An interrupted extraction, or one that fails before its first task, closes the archive.
    const openHere = () => readdirSync('/proc/self/fd').filter((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`) === archive; } catch { return false; } }).length;
    const stop = new AbortController();
    stop.abort();
    t.match(await runBatch({ input: archive, output: join(dir, `stopped-${ext}`), jobs: 0, signal: stop.signal }), { interrupted: true, done: 0 });
    await t.rejects(runBatch({ input: archive, output: join(dir, `failed-${ext}`), jobs: 0, manifest: dir }), { code: 'WALLOC_ERR_FILE_WRITE' }, 'a manifest that is a folder');
    if (process.platform === 'linux') t.equal(openHere(), 0, 'the archive is not left open');
  });
}

t.test('a damaged archive is refused with a coded error', async (t) => {
  const archive = join(dir, 'dataset.wlc');
  const bad = join(dir, 'bad.wlc');
  const b = readFileSync(archive);
  writeFileSync(bad, b.subarray(0, b.length >> 1));
  appendFileSync(bad, Buffer.alloc(3));
  t.throws(() => [...readArchive(bad)], { code: /^WALLOC_ERR_CONTAINER_/ });
  t.notOk(existsSync(join(dir, 'nope')));
});

t.test('archive layouts: version 1 is still read, an unknown version is refused by name', async (t) => {
  const b = readFileSync(join(dir, 'dataset.wlc'));
  const { header, bytes } = decodeHeader(b);
  const retag = (tag: string) => {
    const p = join(dir, `retag-${tag.replace('/', '-')}.wlc`);
    writeFileSync(p, Buffer.concat([encodeHeader({ ...header, archive: tag }), b.subarray(bytes)]));
    return p;
  };
  t.equal([...readArchive(retag('walloc-batch/1'))].length, 9, 'a version-1 archive of single-frame entries');
  t.throws(() => [...readArchive(retag('walloc-batch/9'))], { code: 'WALLOC_ERR_ARCHIVE', message: /walloc-batch\/9.*newer walloc/ });
});

t.test('walloc batch on the command line: summary, exit statuses, --contents, usage errors', async (t) => {
  const { wallocMain } = await import('../../../src/cli/walloc.js');
  const { memoryIo } = await import('../../helpers/io.js');
  const out = join(dir, 'cli-out');
  let io = memoryIo();
  t.equal(await wallocMain(['batch', input, out, '--model', MODEL, '--jobs', '0', '--errors', join(dir, 'cli-errors.tsv'), '--archive', join(dir, 'cli.tar')], io), 1, 'some inputs failed: status 1');
  t.match(io.err(), /walloc batch: truncated\.png: unsupported input .*\[WALLOC_ERR_UNSUPPORTED_INPUT\]/);
  t.match(io.err(), /11 files: 9 done, 0 skipped, 2 failed; .* in, .* out \(\d+\.\d:1\); .* MP; .* s on the main thread/);
  t.match(io.err(), /archive .*cli\.tar: 9 entries/);
  t.match(io.err(), /failed inputs are listed in .*cli-errors\.tsv/);

  // Retrying only the good files (the errors file is a list; here the complement) succeeds.
  io = memoryIo();
  t.equal(await wallocMain(['batch', input, out, '--model', MODEL, '--jobs', '0', '--ext', 'jpg'], io), 0, io.err());
  t.match(io.err(), /3 files: 0 done, 3 skipped, 0 failed/);

  io = memoryIo();
  t.equal(await wallocMain(['batch', join(dir, 'cli.tar'), '--contents'], io), 0, io.err());
  const lines = io.out().trim().split('\n').map((l) => JSON.parse(l) as { name: string; source: string; bytes: number });
  t.same(lines.map((l) => l.source), rels);

  for (const [args, code] of [[['batch'], 2], [['batch', input], 2], [['batch', input, out, '--shard', '3/3'], 2], [['batch', join(dir, 'nope'), out, '--jobs', '0'], 1]] as const) {
    io = memoryIo();
    t.equal(await wallocMain([...args], io), code, `${args.join(' ')}: ${io.err().trim()}`);
  }
});

t.test('a model that does not load fails the batch at start, with its own coded error, on threads as inline, and stops the threads', async (t) => {
  const { wallocMain } = await import('../../../src/cli/walloc.js');
  const { memoryIo } = await import('../../helpers/io.js');
  for (const jobs of ['0', '2']) {
    const io = memoryIo();
    t.equal(await wallocMain(['batch', input, join(dir, `nomodel-${jobs}`), '--model', 'no-such-model', '--jobs', jobs], io), 1);
    t.match(io.err(), /model "no-such-model" not found.*\[WALLOC_ERR_MODEL_NOT_FOUND\]/, `--jobs ${jobs}`);
    t.notMatch(io.err(), /internal error/);
    t.notOk(existsSync(join(dir, `nomodel-${jobs}`)), 'no output tree');
  }
});

t.test('an animated image: every page is a frame of its .wlc and of its archive entry; a rerun skips it', async (t) => {
  const root = tempDir('anim');
  const input = join(root, 'in');
  mkdirSync(input);
  const [w, h, n] = [40, 32, 3];
  const rgba = Buffer.alloc(w * h * n * 4);
  for (let p = 0; p < n; p++) for (let i = 0; i < w * h; i++) rgba.set([p * 100, 50, 200 - p * 60, 255], (p * w * h + i) * 4);
  await sharp(rgba, { raw: { width: w, height: h * n, channels: 4, pageHeight: h } }).gif({ loop: 0 }).toFile(join(input, 'anim.gif'));
  await sharp(fixture('chelsea_128x96.png')).toFile(join(input, 'still.png'));
  const out = join(root, 'out');
  const s = await runBatch({ input, output: out, model: MODEL, jobs: 0, archive: join(root, 'all.wlc'), extensions: new Set(['.gif', '.png']) });
  t.match(s, { done: 2, failed: 0 });
  const anim = readWlcSync(readFileSync(join(out, 'anim.wlc')));
  t.equal(anim.frames.length, 3, 'three pages, three frames');
  t.equal(anim.header.frames, 3);
  const entries = [...readArchive(join(root, 'all.wlc'))];
  t.same(entries.map((e) => [e.name, readWlcSync(e.wlc).frames.length]), [['anim.wlc', 3], ['still.wlc', 1]]);
  t.ok(entries[0]!.wlc.equals(readFileSync(join(out, 'anim.wlc'))), 'extracting the entry gives back the file the batch wrote');
  const again = await runBatch({ input, output: out, model: MODEL, jobs: 0, extensions: new Set(['.gif', '.png']) });
  t.match(again, { done: 0, skipped: 2 }, 'a complete multi-frame output is not redone');
});

t.test('archive entries cannot write outside OUT ("zip slip"), repeat a name, or hide a damaged .wlc', async (t) => {
  const { writeArchive } = await import('../../../src/batch/archive.js');
  const { readdirSync } = await import('node:fs');
  const root = tempDir('slip');
  const good = readFileSync(join(dir, 'out', listFiles(join(dir, 'out')).find((f) => f.endsWith('.wlc'))!));
  const damaged = Buffer.from(good);
  damaged[damaged.length - 20] ^= 0xff;
  for (const ext of ['wlc', 'tar'] as const) {
    const evil = join(root, `evil.${ext}`);
    await writeArchive(evil, [
      { name: '../../pwned.wlc', wlc: good }, { name: '/abs.wlc', wlc: good }, { name: 'ok/a.wlc', wlc: good },
      { name: 'ok/a.wlc', wlc: good }, { name: 'ok/a', wlc: good }, { name: 'ok/./b.wlc', wlc: good },
      ...(ext === 'tar' ? [{ name: 'ok/damaged.wlc', wlc: damaged }] : []),
    ]);
    const out = join(root, `x-${ext}`, 'out');
    const failed: string[] = [];
    const s = await runBatch({ input: evil, output: out, jobs: 0, onResult: (r) => { if (r.status === 'failed') failed.push(`${r.rel}: ${r.error!.code}`); } });
    t.equal(s.done, 1, `${ext}: only the good entry is extracted`);
    t.same(failed.sort(), ['../../pwned.wlc: WALLOC_ERR_ARCHIVE', '/abs.wlc: WALLOC_ERR_ARCHIVE', 'ok/./b.wlc: WALLOC_ERR_ARCHIVE', 'ok/a.wlc: WALLOC_ERR_ARCHIVE',
      // (tar members not named .wlc are not entries at all)
      ...(ext === 'tar' ? ['ok/damaged.wlc: WALLOC_ERR_ARCHIVE'] : ['ok/a: WALLOC_ERR_ARCHIVE'])].sort());
    t.same(readdirSync(root).filter((f) => f.includes('pwned')), [], 'nothing written above OUT');
    t.same(listFiles(out), ['ok/a.wlc']);
  }
  // A tar whose size field announces more than the file holds is refused before allocating it.
  const tar = readFileSync(join(root, 'evil.tar'));
  const big = Buffer.from(tar);
  big.write('77777777777\0', 124, 'ascii');
  let sum = 0;
  big.fill(' ', 148, 156);
  for (let i = 0; i < 512; i++) sum += big[i]!;
  big.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  writeFileSync(join(root, 'big.tar'), big);
  t.throws(() => [...readArchive(join(root, 'big.tar'))], { code: 'WALLOC_ERR_ARCHIVE', message: /truncated/ });
});

t.test('a .wlc archive damaged mid-way stops the extraction with a coded error and leaves no temporary file', async (t) => {
  const { readdirSync } = await import('node:fs');
  const root = tempDir('cut');
  const whole = readFileSync(join(dir, 'dataset.wlc'));
  const cut = join(root, 'cut.wlc');
  writeFileSync(cut, whole.subarray(0, whole.length - 20));
  const out = join(root, 'out');
  await t.rejects(runBatch({ input: cut, output: out, jobs: 2 }), { code: /^WALLOC_ERR_CONTAINER_/ });
  const all: string[] = [];
  const walk = (d: string) => { for (const e of readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(join(d, e.name)) : all.push(e.name); };
  walk(out);
  t.same(all.filter((n) => n.includes('.wtmp-')), [], 'no temporaries');
});
