/** The eval folders' one policy for broken files: coded errors are skipped and named, bugs are not. */
import t from 'tap';
import { readOrSkip } from '../../../src/eval/skip.js';
import { werr } from '../../../src/errors.js';

t.test('a coded error skips the file and names it; without a listener, or for any other error, the run ends', async (t) => {
  const seen: string[] = [];
  const onSkip = (f: string, why: string) => seen.push(`${f}: ${why}`);
  t.equal(await readOrSkip('a.png', () => 7, onSkip), 7);
  t.equal(await readOrSkip('b.png', async () => { throw werr('WALLOC_ERR_UNSUPPORTED_INPUT', { path: 'b.png', reason: 'truncated' }); }, onSkip), undefined);
  t.equal(seen.length, 1);
  t.match(seen[0], /^b\.png: .*truncated/);
  await t.rejects(readOrSkip('c.png', () => { throw new TypeError('a bug'); }, onSkip), TypeError);
  await t.rejects(readOrSkip('d.png', () => { throw werr('WALLOC_ERR_UNSUPPORTED_INPUT', { path: 'd.png', reason: 'x' }); }), { code: 'WALLOC_ERR_UNSUPPORTED_INPUT' }, 'no listener: nobody would learn it was dropped, so it stands');
});
