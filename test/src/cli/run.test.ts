/** How a command's failure is reported: coded errors, operating-system write errors, bugs. */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { EXIT_BROKEN_PIPE, reportError } from '../../../src/cli/run.js';
import { packageRoot } from '../../../src/paths.js';
import { runBin } from '../../helpers/io.js';
import { werr } from '../../../src/errors.js';

const capture = () => {
  const s = new PassThrough();
  let text = '';
  s.on('data', (c: Buffer) => { text += c; });
  return { s, text: () => text };
};

t.test('coded errors, write errors of the system, and bugs each get their line and status', async (t) => {
  const a = capture();
  t.equal(reportError('walloc-decode', werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: 'r' }), a.s, {}), 2);
  t.match(a.text(), /^walloc-decode: invalid argument: r \[WALLOC_ERR_INVALID_ARGUMENT\]\n$/);
  // A full disk or a FIFO whose reader left, as a stream reports it: the output's failure.
  const b = capture();
  const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write', path: '/mnt/full/x.wlc' });
  t.equal(reportError('walloc-encode', full, b.s, {}), 1);
  t.equal(b.text(), 'walloc-encode: /mnt/full/x.wlc: cannot write (ENOSPC) [WALLOC_ERR_FILE_WRITE]\n');
  const c = capture();
  t.equal(reportError('walloc-encode', new TypeError('x is not a function'), c.s, {}), 1);
  t.match(c.text(), /internal error: x is not a function \[WALLOC_ERR_INTERNAL\]\n.*this is a bug/);
});

t.test('a reader that closes the pipe early (| head -c 100): exit 141 as for SIGPIPE, nothing on stderr', async (t) => {
  const wlc = join(mkdtempSync(join(tmpdir(), 'walloc-epipe-')), 'music.wlc');
  t.equal((await runBin('walloc-encode', [join(packageRoot(), 'fixtures', 'audio', 'music_stereo_44k_1s.wav'), '-o', wlc])).code, 0);
  // 1 s of 16-bit stereo is 176 KB of WAV: more than a pipe holds, so the writer meets the closed end.
  const p = spawn(process.execPath, [join(packageRoot(), 'dist', 'src', 'cli', 'bin', 'walloc-decode.js'), wlc, '-o', '-']);
  let stderr = '';
  p.stderr.on('data', (c: Buffer) => { stderr += c; });
  p.stdout.once('data', () => p.stdout.destroy());
  const code = await new Promise((resolve) => p.on('close', resolve));
  t.equal(code, EXIT_BROKEN_PIPE);
  t.equal(stderr, '');
});
