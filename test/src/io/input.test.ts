/** openInput: kind sniffed from the first bytes, every byte still read, and readAll's bound. */
import t from 'tap';
import { Readable } from 'node:stream';
import { openInput } from '../../../src/io/input.js';

t.test('a pipe: the sniffed bytes are put back in front; readAll refuses more than its bound with a coded error', async (t) => {
  const bytes = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(9000, 7)]);
  const a = await openInput('-', Readable.from([bytes.subarray(0, 100), bytes.subarray(100)]));
  t.ok((await a.readAll()).equals(bytes), 'every byte, detection included');
  const b = await openInput('-', Readable.from([bytes]));
  await t.rejects(b.readAll(4096), { code: 'WALLOC_ERR_UNSUPPORTED_INPUT', message: /more than 4096 bytes.*give the file's path/ });
});

t.test('an empty input and a folder are refused', async (t) => {
  await t.rejects(openInput('-', Readable.from([])), { code: 'WALLOC_ERR_UNSUPPORTED_INPUT', message: /empty/ });
  await t.rejects(openInput('.', Readable.from([])), { code: 'WALLOC_ERR_FILE_READ', message: /folder/ });
});

t.test('/dev/fd/N and /dev/stdin are streams, not files a child process could open by name', { skip: process.platform === 'linux' ? false : '/dev/fd is Linux' }, async (t) => {
  const { closeSync, mkdtempSync, openSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const file = join(mkdtempSync(join(tmpdir(), 'walloc-input-')), 'a.bin');
  writeFileSync(file, Buffer.alloc(5000, 3));
  const plain = await openInput(file, Readable.from([]));
  t.equal(plain.seekable, true, 'a regular file by its own name');
  plain.stream.destroy();
  const fd = openSync(file, 'r');
  try {
    const viaFd = await openInput(`/dev/fd/${fd}`, Readable.from([]));
    t.equal(viaFd.seekable, false);
    t.equal((await viaFd.readAll()).length, 5000, 'read through the descriptor');
  } finally {
    try { closeSync(fd); } catch { /* closed by the stream */ }
  }
});
