/**
 * Crash safety, as a user meets it: `walloc batch` as a real process is killed with SIGKILL mid-way
 * (nothing runs on the way out), rerun and interrupted again with SIGINT, rerun to the end; the
 * result is byte-identical to an uninterrupted batch, with no partial or temporary file left.
 * `WALLOC_BATCH_SLOW_MS` slows each task so that the kills land mid-batch.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readWlcSync } from '../../../src/container/index.js';
import { runBatch } from '../../../src/batch/batch.js';
import type { ManifestRecord } from '../../../src/batch/manifest.js';
import { jsonLines, listFiles, makeDataset, MODEL, spawnWalloc, tempDir, treeBytes, waitFor } from './helpers.js';

// Three child processes, each loading the TypeScript sources: slow to start on a busy machine.
t.setTimeout(400_000);

t.test('killed with SIGKILL, then SIGINT, a batch resumes and ends byte-identical to an uninterrupted one', async (t) => {
  const dir = tempDir('interrupt');
  const input = join(dir, 'in');
  const n = 24;
  const rels = await makeDataset(input, n);
  const ref = join(dir, 'ref');
  t.match(await runBatch({ input, output: ref, model: MODEL, jobs: 0 }), { done: n });

  const out = join(dir, 'out');
  const manifest = join(dir, 'm.jsonl');
  const args = ['batch', input, out, '--model', MODEL, '--jobs', '2', '--manifest', manifest];
  const doneCount = () => jsonLines<ManifestRecord>(manifest).filter((r) => r.status === 'done').length;

  // 1. SIGKILL once a few files are done.
  const first = spawnWalloc(args, { WALLOC_BATCH_SLOW_MS: '300' });
  t.ok(await waitFor(() => doneCount() >= 3, 200_000), 'some files done before the kill');
  first.kill('SIGKILL');
  t.equal(await first.done, -1, 'killed');
  const afterKill = listFiles(out).filter((f) => !f.split('/').pop()!.startsWith('.'));
  t.ok(afterKill.length > 0 && afterKill.length < n, `killed mid-way (${afterKill.length}/${n} outputs)`);
  for (const f of afterKill) {
    const bytes = readFileSync(join(out, f));
    t.ok(readWlcSync(bytes, { strict: true }).terminated && bytes.equals(readFileSync(join(ref, f))), `${f}: complete and final`);
  }

  // 2. Rerun, interrupted by SIGINT: running tasks finish, the rest is left, exit status 130.
  const killedAt = doneCount();
  const second = spawnWalloc(args, { WALLOC_BATCH_SLOW_MS: '300' });
  t.ok(await waitFor(() => doneCount() >= killedAt + 2, 200_000), 'the rerun makes progress');
  second.kill('SIGINT');
  t.equal(await second.done, 130, second.output());
  t.match(second.output(), /INTERRUPTED/);
  const manifestAfter2 = jsonLines<ManifestRecord>(manifest);
  t.ok(manifestAfter2.some((r) => r.status === 'skipped'), 'the rerun skipped what the killed run had finished');

  // 3. Rerun to the end.
  const third = spawnWalloc(args);
  t.equal(await third.done, 0, third.output());
  t.match(third.output(), new RegExp(`${n} files: \\d+ done, \\d+ skipped, 0 failed`));
  t.same(listFiles(out), listFiles(ref), 'same files, and no temporary files left (stale ones were swept)');
  t.same(treeBytes(out), treeBytes(ref), 'byte-identical to the uninterrupted batch');

  // Across the three runs, every input was encoded at most once: resumed runs skip, never redo.
  // (SIGKILL can land between a thread's rename of an output and the main thread's manifest line:
  // that input has no 'done' line, and the rerun finds it complete and records it 'skipped'.)
  const recs = jsonLines<ManifestRecord>(manifest);
  const done = recs.filter((r) => r.status === 'done').map((r) => r.rel);
  const accounted = new Set([...done, ...recs.filter((r) => r.status === 'skipped').map((r) => r.rel)]);
  t.same([...accounted].sort(), rels, 'every input done by one of the runs, or found complete by a rerun');
  t.equal(new Set(done).size, done.length, 'and none done twice');
});
