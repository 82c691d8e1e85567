/**
 * Many machines through BullMQ on a real Redis (a private redis-server on a free port): enqueueing
 * is idempotent; two `walloc worker` processes split the work with no file done twice; files that
 * cannot be converted are dead-lettered (at once when a retry cannot help, after retries with
 * back-off when it might); and a worker killed with SIGKILL mid-job has that job taken over by
 * another once its lock expires (BullMQ's stalled-job recovery, with short timings here).
 */
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { readWlcSync } from '../../../src/container/index.js';
import type { ManifestRecord } from '../../../src/batch/manifest.js';
import { DEFAULT_EXTENSIONS, planTasks, walkTree } from '../../../src/batch/plan.js';
import { enqueueBatch, jobIdFor, listFailed, parseQueueUrl, queueCounts, waitForQueue } from '../../../src/batch/queue.js';
import { runBatch } from '../../../src/batch/batch.js';
import { hasRedis, jsonLines, listFiles, makeDataset, MODEL, runWalloc, spawnWalloc, startRedis, tempDir, treeBytes, waitFor } from './helpers.js';

// Several child processes loading the TypeScript sources: slow to start on a busy machine.
t.setTimeout(500_000);

if (!hasRedis()) {
  t.plan(0, 'redis-server is not installed (apt-get install redis-server); the queue tests need a real Redis');
} else {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  t.before(async () => {
    redis = await startRedis();
  });
  t.teardown(async () => {
    await redis?.stop();
  });

  t.test('parseQueueUrl', async (t) => {
    t.same(parseQueueUrl('redis://10.0.0.5:6380/2'), { host: '10.0.0.5', port: 6380, db: 2 });
    t.match(parseQueueUrl('rediss://u:p%40ss@q'), { host: 'q', port: 6379, username: 'u', password: 'p@ss', tls: {} });
    t.throws(() => parseQueueUrl('http://x'), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  });

  t.test('two workers split the queue: each file done once; bad files dead-lettered, transient failures retried first', async (t) => {
    const dir = tempDir('queue');
    const input = join(dir, 'in');
    const out = join(dir, 'out');
    const n = 12;
    const rels = await makeDataset(input, n, { bad: true });
    const queue = 'split';
    const common = ['--queue', redis.url, '--queue-name', queue, '--jobs', '1'];

    // Workers first, so both are there when the jobs arrive (and both get some).
    const w1 = spawnWalloc(['worker', ...common, '--manifest', join(dir, 'w1.jsonl'), '--errors', join(dir, 'dead.tsv')], { WALLOC_BATCH_SLOW_MS: '300' });
    const w2 = spawnWalloc(['worker', ...common, '--manifest', join(dir, 'w2.jsonl'), '--errors', join(dir, 'dead.tsv')], { WALLOC_BATCH_SLOW_MS: '300' });
    t.ok(await waitFor(() => /waiting for jobs/.test(w1.output()) && /waiting for jobs/.test(w2.output()), 200_000), 'both workers up');
    await new Promise((r) => setTimeout(r, 1000));

    const enq = await runWalloc(['batch', input, out, '--model', MODEL, '--queue', redis.url, '--queue-name', queue]);
    t.equal(enq.code, 0, enq.output);
    t.match(enq.output, new RegExp(`${n + 2} files submitted .*: ${n + 2} new jobs`));
    // Enqueueing the same batch again adds nothing: same deterministic job ids.
    const plan = planTasks(walkTree(input, DEFAULT_EXTENSIONS.encode), { inRoot: input, outRoot: out, mode: 'encode' });
    const again = await enqueueBatch(plan.tasks, { url: redis.url, queue, settings: { model: MODEL } });
    t.same(again, { submitted: n + 2, added: 0 });

    // A job that fails for a reason a retry might fix (its output folder is a file): retried with
    // back-off, then dead-lettered.
    writeFileSync(join(dir, 'blocked'), 'not a folder');
    const blocked = planTasks([rels[0]!], { inRoot: input, outRoot: join(dir, 'blocked'), mode: 'encode' }).tasks;
    await enqueueBatch(blocked, { url: redis.url, queue, settings: { model: MODEL }, attempts: 2, backoffMs: 200 });

    const counts = await waitForQueue(redis.url, queue, { pollMs: 200 });
    t.match(counts, { completed: n, failed: 3 });
    w1.kill('SIGTERM');
    w2.kill('SIGTERM');
    // Each worker's status says whether it gave up on a job (as walloc batch's does for a file).
    let deadTotal = 0;
    for (const w of [w1, w2]) {
      const code = await w.done;
      const dead = Number(/(\d+) dead-lettered/.exec(w.output())?.[1] ?? NaN);
      deadTotal += dead;
      t.equal(code, dead > 0 ? 1 : 0, w.output());
    }
    t.equal(deadTotal, 3, 'three dead letters between them');

    const m1 = jsonLines<ManifestRecord>(join(dir, 'w1.jsonl'));
    const m2 = jsonLines<ManifestRecord>(join(dir, 'w2.jsonl'));
    const done1 = m1.filter((r) => r.status === 'done').map((r) => r.rel);
    const done2 = m2.filter((r) => r.status === 'done').map((r) => r.rel);
    t.ok(done1.length > 0 && done2.length > 0, `both workers did work (${done1.length} + ${done2.length})`);
    t.same([...done1, ...done2].sort(), rels, 'every file done, none twice');
    t.same(listFiles(out), rels.map((r) => r.replace(/\.(png|jpg)$/, '.wlc')));
    const ref = join(dir, 'ref');
    await runBatch({ input, output: ref, model: MODEL, jobs: 0 });
    t.same(treeBytes(out), treeBytes(ref), 'the same bytes as a local batch');

    const failed = await listFailed(redis.url, queue);
    const byRel = new Map(failed.map((f) => [f.input.endsWith('blocked') ? 'blocked' : f.rel, f]));
    t.match(byRel.get('truncated.png'), { attempts: 1, reason: /WALLOC_ERR_UNSUPPORTED_INPUT/ }, 'not an image: dead at once');
    t.match(byRel.get('not-an-image.png'), { attempts: 1 });
    const blockedJob = failed.find((f) => f.id === jobIdFor(blocked[0]!, MODEL));
    t.match(blockedJob, { attempts: 2, reason: /WALLOC_ERR_FILE_WRITE/ }, 'a write failure: retried, then dead');
    const dead = readFileSync(join(dir, 'dead.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t')[0]).sort();
    t.same(dead, [rels[0], 'not-an-image.png', 'truncated.png'].sort(), 'dead letters listed in the errors file');
  });

  t.test('a worker killed mid-job: another worker takes the job over and finishes it', async (t) => {
    const dir = tempDir('stalled');
    const input = join(dir, 'in');
    const out = join(dir, 'out');
    const rels = await makeDataset(input, 3);
    const queue = 'stalled';
    const plan = planTasks(rels, { inRoot: input, outRoot: out, mode: 'encode' });
    await enqueueBatch(plan.tasks, { url: redis.url, queue, settings: { model: MODEL } });
    // A 1 s lock (renewed every 0.5 s while alive) and a 0.5 s stalled check: a dead worker's job
    // is free again about a second after it died.
    const timing = ['--lock-ms', '1000', '--stalled-ms', '500'];
    const common = ['--queue', redis.url, '--queue-name', queue, '--jobs', '1', ...timing];

    const a = spawnWalloc(['worker', ...common, '--manifest', join(dir, 'a.jsonl')], { WALLOC_BATCH_SLOW_MS: '4000' });
    const q = new Queue(queue, { connection: parseQueueUrl(redis.url) });
    try {
      let active = 0;
      t.ok(await waitFor(() => {
        void q.getActiveCount().then((c) => { active = c; });
        return active > 0;
      }, 200_000, 200), 'worker A has a job');
      a.kill('SIGKILL');
      await a.done;
      t.same(jsonLines(join(dir, 'a.jsonl')), [], 'A died before finishing anything');
      t.equal(await q.getActiveCount(), 1, 'its job is still marked active, locked by a dead worker');

      const b = await runWalloc(['worker', ...common, '--manifest', join(dir, 'b.jsonl'), '--exit-when-idle']);
      t.equal(b.code, 0, b.output);
      const done = jsonLines<ManifestRecord>(join(dir, 'b.jsonl')).filter((r) => r.status === 'done').map((r) => r.rel).sort();
      t.same(done, rels, 'B did all three, including the one A was killed on');
      t.match(await queueCounts(redis.url, queue), { completed: 3, failed: 0, active: 0 });
      for (const r of rels) t.ok(readWlcSync(readFileSync(join(out, r.replace(/\.(png|jpg)$/, '.wlc'))), { strict: true }).terminated, `${r}: complete`);
      t.same(listFiles(out).filter((f) => f.split('/').pop()!.startsWith('.')), [], 'no partial files in sight');
    } finally {
      await q.close();
    }
  });
}

t.test('walloc worker --out-root: a job may write only under the root', async (t) => {
  const { jobOutputOutside } = await import('../../../src/batch/queue.js');
  t.equal(jobOutputOutside({ rel: 'a/b.png', output: '/data/out/a/b.wlc' }, '/data/out'), undefined);
  t.match(jobOutputOutside({ rel: 'b.png', output: '/home/u/.bashrc' }, '/data/out'), /not under \/data\/out/);
  t.match(jobOutputOutside({ rel: 'x.png', output: '/data/out-evil/x.wlc' }, '/data/out'), /not under/, 'a sibling with the same prefix is outside');
  t.match(jobOutputOutside({ rel: '../x.png', output: '/data/out/sub/../x.wlc' }, '/data/out'), /\.\." segment/);
});
