/**
 * Issue 11, item 5: a damaged record in the middle of a real multi-frame .wlc (made by
 * walloc-encode from fixtures/video) is reported; with skipCorrupt / `walloc-decode --skip-corrupt`
 * decoding carries on with the next good record, and without it the error stays fatal.
 */
import t from 'tap';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { WlcParser, WlcReader, readWlcSync, type WlcCorruption } from '../../src/container/index.js';
import type { Frame } from '../../src/frame.js';
import { readY4m } from '../../src/io/y4m.js';
import { packageRoot } from '../../src/paths.js';
import { runBin } from '../helpers/io.js';

// A 9-frame y4m: the fixture clip's 3 frames, three times over.
const clip = readFileSync(join(packageRoot(), 'fixtures', 'video', 'chelsea_pan_96x64.y4m'));
const headerEnd = clip.indexOf(0x0a) + 1;
const y4m = Buffer.concat([clip, clip.subarray(headerEnd), clip.subarray(headerEnd)]);
const enc = await runBin('walloc-encode', ['-', '--model', 'rgb-16x-linear'], { input: y4m });
if (enc.code !== 0) throw new Error(enc.stderr);
const wlc = enc.stdout;
const good = readWlcSync(wlc, { strict: true });

/** Byte offset of each record (the last is the end record). */
const starts: number[] = [];
for (let p = 13 + wlc.readUInt32LE(5); p < wlc.length; p += 13 + wlc.readUInt32LE(p)) starts.push(p);
const K = 4; // the record damaged in the middle
const s = starts[K]!;
const payloadLen = wlc.readUInt32LE(s);

type Damage = [string, (b: Buffer) => Buffer, string];
const damages: Damage[] = [
  ['a flipped payload byte', (b) => { b[s + 9 + (payloadLen >> 1)]! ^= 0x40; return b; }, 'WALLOC_ERR_CONTAINER_CRC'],
  ['a flipped CRC byte', (b) => { b[s + 9 + payloadLen + 1]! ^= 0xff; return b; }, 'WALLOC_ERR_CONTAINER_CRC'],
  ['a length that grew by 1000', (b) => { b.writeUInt32LE(payloadLen + 1000, s); return b; }, 'WALLOC_ERR_CONTAINER_CRC'],
  ['a length of 4 GB', (b) => { b.writeUInt32LE(0xffffffff, s); return b; }, 'WALLOC_ERR_CONTAINER_LENGTH'],
  ['an unknown record type', (b) => { b[s + 4] = 9; return b; }, 'WALLOC_ERR_CONTAINER_RECORD_TYPE'],
  ['a wrong sequence number', (b) => { b.writeUInt32LE(77, s + 5); return b; }, 'WALLOC_ERR_CONTAINER_SEQUENCE'],
  ['10 bytes lost inside the payload', (b) => Buffer.concat([b.subarray(0, s + 40), b.subarray(s + 50)]), 'WALLOC_ERR_CONTAINER_CRC'],
  ['a run of zeros over the prefix', (b) => { b.fill(0, s, s + 30); return b; }, 'WALLOC_ERR_CONTAINER_RECORD_TYPE'],
];

const same = (a: Frame, b: Frame) => Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength));

function parseChunked(bytes: Buffer, size: number): { frames: Frame[]; corrupt: WlcCorruption[] } {
  const p = new WlcParser({ skipCorrupt: true });
  const frames: Frame[] = [];
  const corrupt: WlcCorruption[] = [];
  const see = (ev: ReturnType<WlcParser['write']> extends Generator<infer E> ? E : never) => {
    if (ev.type === 'frame') frames.push(ev.frame);
    if (ev.type === 'corrupt') corrupt.push(ev.corrupt);
  };
  for (let i = 0; i < bytes.length; i += size) for (const ev of p.write(bytes.subarray(i, i + size))) see(ev);
  for (const ev of p.finish()) see(ev);
  p.end();
  return { frames, corrupt };
}

t.test(`a real ${good.frames.length}-frame stream from walloc-encode`, async (t) => {
  t.equal(good.frames.length, 9);
  t.equal(starts.length, 10, '9 frame records and an end record');
});

for (const [what, damage, code] of damages) {
  t.test(`record ${K} damaged by ${what}`, async (t) => {
    const bad = damage(Buffer.from(wlc));
    t.throws(() => readWlcSync(bad), { code }, 'fatal without skipCorrupt');
    for (const size of [bad.length, 1, 7, 4096]) {
      const r = size === bad.length ? readWlcSync(bad, { skipCorrupt: true }) : parseChunked(bad, size);
      t.equal(r.frames.length, 8, `chunks of ${size}: the 8 good frames`);
      t.ok(r.frames.every((f, i) => same(f, good.frames[i < K ? i : i + 1]!)), 'each equal to the original');
      t.equal(r.corrupt!.length, 1);
      t.match(r.corrupt![0], { record: K, nextRecord: K + 1, code }, 'reported with the record and the error');
      t.ok(r.corrupt![0]!.start <= s && r.corrupt![0]!.end >= starts[K + 1]! - (what.startsWith('10 bytes') ? 10 : 0), `bytes ${r.corrupt![0]!.start}–${r.corrupt![0]!.end}`);
    }
  });
}

t.test('two damaged records, garbage between records, and a damaged end record', async (t) => {
  const two = Buffer.from(wlc);
  two[starts[2]! + 30]! ^= 1;
  two[starts[6]! + 30]! ^= 1;
  const r = readWlcSync(two, { skipCorrupt: true });
  t.same(r.corrupt!.map((c) => [c.record, c.nextRecord]), [[2, 3], [6, 7]]);
  t.equal(r.frames.length, 7);
  t.ok(r.terminated);
  const garbage = Buffer.concat([wlc.subarray(0, s), Buffer.alloc(50, 0xab), wlc.subarray(s)]);
  t.throws(() => readWlcSync(garbage), { code: 'WALLOC_ERR_CONTAINER_LENGTH' });
  const g = readWlcSync(garbage, { skipCorrupt: true });
  t.equal(g.frames.length, 9, 'no frame lost');
  t.match(g.corrupt, [{ record: K, nextRecord: K }]);
  const tail = Buffer.from(wlc);
  tail[tail.length - 2]! ^= 1;
  const e = readWlcSync(tail, { skipCorrupt: true });
  t.equal(e.frames.length, 9);
  t.equal(e.terminated, false, 'the end record is lost: unterminated');
  t.match(e.corrupt, [{ record: 9, nextRecord: undefined }]);
  const cut = readWlcSync(wlc.subarray(0, starts[7]! + 100), { skipCorrupt: true });
  t.equal(cut.frames.length, 7, 'a cut inside record 7 is reported as damage to the end');
  t.match(cut.corrupt, [{ record: 7, nextRecord: undefined, code: 'WALLOC_ERR_CONTAINER_TRUNCATED' }]);
  t.throws(() => readWlcSync(wlc.subarray(0, starts[7]! + 100)), { code: 'WALLOC_ERR_CONTAINER_TRUNCATED' });
});

t.test('WlcReader emits corrupt before the next good frame', async (t) => {
  const bad = damages[0]![1](Buffer.from(wlc));
  const reader = new WlcReader({ skipCorrupt: true });
  const order: string[] = [];
  reader.on('corrupt', (c: WlcCorruption) => order.push(`corrupt ${c.record}`));
  reader.on('data', (f: Frame) => order.push(`frame ${f.meta.pts}`));
  await new Promise<void>((resolve, reject) => {
    reader.on('end', resolve).on('error', reject);
    Readable.from([bad.subarray(0, 1000), bad.subarray(1000)]).pipe(reader);
  });
  t.same(order, ['frame 0', 'frame 1', 'frame 2', 'frame 3', 'corrupt 4', 'frame 5', 'frame 6', 'frame 7', 'frame 8']);
});

t.test('walloc-decode: fatal by default, --skip-corrupt carries on', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-skip-'));
  const file = join(dir, 'damaged.wlc');
  writeFileSync(file, damages[0]![1](Buffer.from(wlc)));
  const strict = await runBin('walloc-decode', [file, '-o', join(dir, 'strict.y4m')]);
  t.equal(strict.code, 1);
  t.match(strict.stderr, /record 4: CRC-32 mismatch.*WALLOC_ERR_CONTAINER_CRC/);
  t.notOk(existsSync(join(dir, 'strict.y4m')), 'no partial output');
  const skip = await runBin('walloc-decode', [file, '--skip-corrupt', '-o', join(dir, 'skip.y4m')]);
  t.equal(skip.code, 0, skip.stderr);
  t.match(skip.stderr, /warning: record 4: CRC-32 mismatch .*skipped bytes \d+–\d+ \(record 4\)/);
  const frames = readY4m(readFileSync(join(dir, 'skip.y4m')));
  t.equal(frames.length, 8, 'the 8 good frames decoded');
  const full = await runBin('walloc-decode', ['-', '--format', 'y4m'], { input: wlc });
  const all = readY4m(full.stdout);
  t.ok(frames.every((f, i) => same(f, all[i < K ? i : i + 1]!)), 'each the same as decoding the undamaged stream');
  const quiet = await runBin('walloc-decode', [file, '--skip-corrupt', '-q', '-o', join(dir, 'quiet.y4m')]);
  t.equal(quiet.code, 0, quiet.stderr);
  t.equal(quiet.stderr, '', '-q: no warning on stderr');
  t.same(readFileSync(join(dir, 'quiet.y4m')), readFileSync(join(dir, 'skip.y4m')), 'the same output');
  t.same(readdirSync(dir).sort(), ['damaged.wlc', 'quiet.y4m', 'skip.y4m']);
});
