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
