import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { openOutput } from '../../../src/io/output.js';

t.test('a file output appears only on commit, complete', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-out-'));
  const out = openOutput(join(dir, 'a.bin'), { stdout: new PassThrough() });
  out.stream.write(Buffer.from('hello '));
  t.same(readdirSync(dir).filter((f) => f === 'a.bin'), [], 'not visible while being written');
  out.stream.end(Buffer.from('world'));
  await out.commit();
  t.equal(readFileSync(join(dir, 'a.bin'), 'utf8'), 'hello world');
  t.same(readdirSync(dir), ['a.bin'], 'no temporary file left');
});

t.test('abort removes the partial output, even right after opening', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-out-'));
  const a = openOutput(join(dir, 'a.bin'), { stdout: new PassThrough() });
  a.abort();
  const b = openOutput(join(dir, 'b.bin'), { stdout: new PassThrough() });
  b.stream.write(Buffer.alloc(1000));
  await new Promise((r) => setTimeout(r, 20));
  b.abort();
  await new Promise((r) => setTimeout(r, 50));
  t.same(readdirSync(dir), []);
});

t.test('stdout refuses binary on a terminal unless forced', async (t) => {
  const tty = Object.assign(new PassThrough(), { isTTY: true });
  t.throws(() => openOutput('-', { stdout: tty }), { code: 'WALLOC_ERR_BINARY_TO_TTY' });
  t.equal(openOutput('-', { stdout: tty, force: true }).label, '-');
});

t.test('a FIFO, a device or a link as output: written through, never replaced', async (t) => {
  const { execFileSync, spawn } = await import('node:child_process');
  const { lstatSync, symlinkSync, writeFileSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'walloc-out-'));
  const fifo = join(dir, 'pipe.bin');
  execFileSync('mkfifo', [fifo]);
  const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
  let got = '';
  reader.stdout.on('data', (c: Buffer) => { got += c; });
  const out = openOutput(fifo, { stdout: new PassThrough() });
  await new Promise<void>((r) => out.stream.write('through the pipe', () => r()));
  await out.commit();
  await new Promise((r) => reader.on('close', r));
  t.equal(got, 'through the pipe', 'the reader got the bytes');
  t.ok(lstatSync(fifo).isFIFO(), 'the FIFO is still a FIFO');
  // /dev/null: written, still a device, nothing left beside it (the test does not need root).
  const dev = openOutput('/dev/null', { stdout: new PassThrough() });
  dev.stream.write('x');
  await dev.commit();
  t.ok(lstatSync('/dev/null').isCharacterDevice());
  // A link to a file is replaced, not followed: a link planted in a shared folder must not
  // redirect the write into another file.
  writeFileSync(join(dir, 'real.txt'), 'old');
  symlinkSync(join(dir, 'real.txt'), join(dir, 'link.txt'));
  const viaLink = openOutput(join(dir, 'link.txt'), { stdout: new PassThrough() });
  viaLink.stream.write('new');
  await viaLink.commit();
  t.ok(lstatSync(join(dir, 'link.txt')).isFile());
  t.equal(readFileSync(join(dir, 'link.txt'), 'utf8'), 'new');
  t.equal(readFileSync(join(dir, 'real.txt'), 'utf8'), 'old', 'the file the link pointed at is untouched');
  // A link to a device (/dev/stdout is one when stdout is a pipe) is written through.
  symlinkSync('/dev/null', join(dir, 'null-link'));
  const viaDevLink = openOutput(join(dir, 'null-link'), { stdout: new PassThrough() });
  viaDevLink.stream.write('x');
  await viaDevLink.commit();
  t.ok(lstatSync(join(dir, 'null-link')).isSymbolicLink(), 'the link to a device stays');
  t.same(readdirSync(dir).sort(), ['link.txt', 'null-link', 'pipe.bin', 'real.txt'], 'no temporary files');
  const { writeFileAtomic, openAtomic } = await import('../../../src/io/atomic.js');
  writeFileAtomic('/dev/null', Buffer.from('y'));
  const a = await openAtomic('/dev/null');
  await a.write(Buffer.from('z'));
  a.commit();
  t.ok(lstatSync('/dev/null').isCharacterDevice(), 'writeFileAtomic and openAtomic too');
});
