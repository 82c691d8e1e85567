/**
 * Atomic writes: a file appears under its name only complete, temporaries are hidden and unique,
 * failures are coded errors that leave nothing behind, and the sweep after a kill removes only the
 * leftovers of dead processes on this host.
 */
import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { werr } from '../../../src/errors.js';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { checkModelFolder, checkOutputFolder, makeFolders, openAtomic, outputTempPath, sweepStaleTemps, tempPathFor, writeFileAtomic } from '../../../src/io/atomic.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'walloc-atomic-'));
const HOST = hostname().replace(/[^A-Za-z0-9_]/g, '_') || 'host';

t.test('tempPathFor: hidden, beside the target, unique per call; keepExt keeps the extension', (t) => {
  const a = tempPathFor('/x/out/clip.mkv');
  const b = tempPathFor('/x/out/clip.mkv');
  t.not(a, b);
  t.match(basename(a), /^\.clip\.mkv\.\d+\.wtmp-/);
  t.ok(a.startsWith('/x/out/'));
  t.match(tempPathFor('/x/out/clip.mkv', true), /\.wtmp-[A-Za-z0-9_]+-\d+-\d+\.mkv$/);
  t.end();
});

t.test('writeFileAtomic: creates folders, replaces a file whole, leaves no temporaries; a failure is WALLOC_ERR_FILE_WRITE', (t) => {
  const dir = fresh();
  const path = join(dir, 'a', 'b', 'out.bin');
  writeFileAtomic(path, Uint8Array.from([1, 2, 3]));
  writeFileAtomic(path, Uint8Array.from([9]), { fsync: false });
  t.same([...readFileSync(path)], [9]);
  t.same(readdirSync(join(dir, 'a', 'b')), ['out.bin']);
  // The target is a folder: the rename fails, the temporary goes.
  mkdirSync(join(dir, 'taken'));
  t.throws(() => writeFileAtomic(join(dir, 'taken'), Uint8Array.from([1])), { code: 'WALLOC_ERR_FILE_WRITE' });
  t.same(readdirSync(dir).sort(), ['a', 'taken']);
  t.end();
});

t.test('openAtomic: invisible until commit; abort removes the partial file; bytes counted', async (t) => {
  const dir = fresh();
  const path = join(dir, 'big.wlc');
  const f = await openAtomic(path);
  await f.write(Uint8Array.from([1, 2]));
  await f.write(Uint8Array.from([3]));
  t.equal(f.bytes, 3);
  t.notOk(readdirSync(dir).includes('big.wlc'), 'not visible before commit');
  f.commit();
  f.abort();
  t.same([...readFileSync(path)], [1, 2, 3], 'abort after commit keeps the file');
  const g = await openAtomic(join(dir, 'gone.wlc'));
  await g.write(Uint8Array.from([5]));
  g.abort();
  t.same(readdirSync(dir), ['big.wlc']);
  t.end();
});

t.test('openAtomic on a FIFO: waits for its reader without blocking Node (Ctrl-C is heard), and a slow reader gets every byte', async (t) => {
  const dir = fresh();
  const fifo = join(dir, 'pipe');
  execFileSync('mkfifo', [fifo]);
  const ac = new AbortController();
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const opening = openAtomic(fifo, { signal: ac.signal });
  await sleep(150);
  ac.abort(werr('WALLOC_ERR_INTERRUPTED', { signal: 'SIGINT' }));
  await t.rejects(opening, { code: 'WALLOC_ERR_INTERRUPTED' });
  clearInterval(timer);
  t.ok(ticks >= 5, `the event loop ran while it waited (${ticks} ticks)`);
  // A reader that opens later: 1 MB through a 64 KB pipe, so writes meet a full pipe and wait.
  const reader = spawn('sh', ['-c', 'sleep 0.2; exec cat "$0"', fifo]);
  let got = 0;
  reader.stdout.on('data', (c: Buffer) => { got += c.length; });
  const closed = new Promise((resolve) => reader.on('close', resolve));
  const f = await openAtomic(fifo);
  const data = Buffer.alloc(1 << 20, 7);
  await f.write(data);
  await f.write(data.subarray(0, 5));
  f.commit();
  await closed;
  t.equal(got, (1 << 20) + 5);
  t.ok(statSync(fifo).isFIFO(), 'the FIFO is left as it was');
});

t.test('sweepStaleTemps: removes this host\'s leftovers of dead processes only', (t) => {
  const dir = fresh();
  mkdirSync(join(dir, 'sub'));
  // A pid far above any pid_max is never alive.
  const dead = [`.a.wlc.1.wtmp-${HOST}-99999999-0`, `sub/.b.mkv.2.wtmp-${HOST}-99999998-3.mkv`];
  const kept = [`.c.wlc.1.wtmp-${HOST}-${process.pid}-0`, '.d.wlc.1.wtmp-otherhost-99999999-0', 'e.wlc', '.hidden-note'];
  for (const f of [...dead, ...kept]) writeFileSync(join(dir, f), 'x');
  t.equal(sweepStaleTemps(dir), 2);
  t.same(readdirSync(dir).filter((f) => f !== 'sub').sort(), kept.sort());
  t.same(readdirSync(join(dir, 'sub')), []);
  t.end();
});

t.test('checkOutputFolder / outputTempPath: an output\'s folder must exist and be a folder', (t) => {
  const dir = fresh();
  writeFileSync(join(dir, 'file'), 'x');
  t.doesNotThrow(() => checkOutputFolder(join(dir, 'out.png')));
  t.match(outputTempPath(join(dir, 'out.mkv'), true), /\.mkv$/);
  t.throws(() => checkOutputFolder(join(dir, 'nodir', 'out.png')), { code: 'WALLOC_ERR_FILE_WRITE', message: /out\.png: cannot write \(the folder .*nodir does not exist\)/ });
  t.throws(() => outputTempPath(join(dir, 'file', 'out.png')), { code: 'WALLOC_ERR_FILE_WRITE', message: /is not a folder/ });
  t.same(readdirSync(dir), ['file'], 'nothing created');
  t.end();
});

t.test('tempPathFor: a target name near the 255-byte limit still gets a legal temporary name', (t) => {
  const name = `long ü 日本語 ${'x'.repeat(232)}.png`;
  t.ok(Buffer.byteLength(name) <= 255 && Buffer.byteLength(name) > 240);
  const tmp = basename(tempPathFor(`/x/${name}`, true));
  t.ok(Buffer.byteLength(tmp) <= 255, `${Buffer.byteLength(tmp)} bytes`);
  t.match(tmp, /^\.long ü 日本語 x+\.\d+\.wtmp-.*\.png$/);
  const dir = fresh();
  writeFileAtomic(join(dir, name), Uint8Array.from([1]));
  t.same(readdirSync(dir), [name]);
  t.end();
});

t.test('makeFolders makes the missing levels one at a time and stops with a coded error; checkModelFolder creates nothing', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-folders-'));
  makeFolders(join(dir, 'a', 'b', 'c'));
  t.ok(statSync(join(dir, 'a', 'b', 'c')).isDirectory());
  makeFolders(join(dir, 'a'));
  writeFileSync(join(dir, 'f'), 'x');
  t.throws(() => makeFolders(join(dir, 'f', 'g')), { code: 'WALLOC_ERR_FILE_WRITE', message: /cannot create .*f[/\\]g/ });
  t.throws(() => makeFolders(join(dir, 'f')), { code: 'WALLOC_ERR_FILE_WRITE', message: /not a folder/ });
  checkModelFolder(join(dir, 'new', 'deeper'));
  t.notOk(existsSync(join(dir, 'new')), 'checking makes nothing');
  t.throws(() => checkModelFolder(join(dir, 'f')), { code: 'WALLOC_ERR_FILE_WRITE', message: /exists and is not a folder/ });
  t.throws(() => checkModelFolder(join(dir, 'f', 'x')), { code: 'WALLOC_ERR_FILE_WRITE', message: /is a file, not a folder/ });
  t.throws(() => checkModelFolder(' '), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  t.end();
});

t.test('checkModelFolder refuses to replace a model unless the run resumes it or is forced', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-model-folder-'));
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ name: 'my-codec', kind: 'codec' }));
  // No checkpoint (a finished or bundled model): --resume would start afresh and replace it.
  t.throws(() => checkModelFolder(dir), { code: 'WALLOC_ERR_MODEL_EXISTS', message: `${dir} holds a model already (my-codec, a codec); --force replaces it, or give another --out` });
  t.throws(() => checkModelFolder(dir, { resume: true }), { code: 'WALLOC_ERR_MODEL_EXISTS', message: /there is no checkpoint to resume from, so the run would replace it: --force/ });
  t.doesNotThrow(() => checkModelFolder(dir, { force: true }));
  t.doesNotThrow(() => checkModelFolder(dir, { resume: true, checkpoint: 'model.json' }), 'a trainer that resumes from the model itself');
  writeFileSync(join(dir, 'train-state.json'), '{}');
  t.throws(() => checkModelFolder(dir), { message: /--resume continues its training, --force replaces it/ });
  t.doesNotThrow(() => checkModelFolder(dir, { resume: true }));
  t.end();
});
