/** How a command's failure is reported: coded errors, operating-system write errors, bugs. */
import t from 'tap';
import { PassThrough } from 'node:stream';
import { reportError } from '../../../src/cli/run.js';
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
