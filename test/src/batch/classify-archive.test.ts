/**
 * A converted dataset shipped as one file and streamed into `classify`: one JSON line per image,
 * each naming the file it came from.
 */
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBin } from '../../helpers/io.js';
import { packageRoot } from '../../../src/paths.js';

t.test('walloc batch --archive, then classify the archive into JSON lines with sources', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-arc-'));
  const archive = join(dir, 'photos.wlc');
  const b = await runBin('walloc', ['batch', join(packageRoot(), 'fixtures', 'images'), join(dir, 'out'), '--archive', archive, '--jobs', '1']);
  t.equal(b.code, 1, 'exit 1: the two broken fixtures are reported, the rest converted');
  const c = await runBin('classify', [archive, '--top', '2']);
  t.equal(c.code, 0, c.stderr);
  const lines = c.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as { source: string; label: string; top: unknown[] });
  t.same(lines.map((l) => l.source).sort(), ['astronaut_97x131.wlc', 'chelsea_128x96.wlc', 'coffee_255x171.wlc', 'nagasaki_201x133.wlc']);
  t.ok(lines.every((l) => typeof l.label === 'string' && l.top.length === 2));
});
