/**
 * Replays every input saved under fixtures/fuzz/<target>/ (crashes, hangs and over-allocations
 * that `npm run fuzz` found and minimised, and hand-made ones): each must now succeed or end in a
 * coded error, within its target's time limit and the allocation bound.
 */
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/paths.js';
import { runOne } from '../fuzz/harness.js';
import { TARGETS } from '../fuzz/targets/index.js';

const root = join(packageRoot(), 'fixtures', 'fuzz');
const dirs = existsSync(root) ? readdirSync(root).filter((d) => d in TARGETS) : [];

t.test('every saved fuzz input is handled', async (t) => {
  let n = 0;
  for (const d of dirs) {
    const target = await TARGETS[d]!();
    for (const f of readdirSync(join(root, d)).filter((f) => !f.endsWith('.json') && !f.endsWith('.md')).sort()) {
      const bytes = readFileSync(join(root, d, f));
      const input = target.input === 'string' ? bytes.toString('utf8') : new Uint8Array(bytes);
      const o = await runOne(target, input);
      t.ok(o.kind === 'ok' || o.kind === 'error', `${d}/${f}: ${JSON.stringify({ ...o, stack: undefined })}`);
      n++;
    }
  }
  t.comment(`${n} saved inputs replayed`);
});
