/**
 * Planning a batch: the shard partition (every file in exactly one shard, stable when files are
 * added), the tree walk, list files (an errors file is one), output paths and collisions.
 */
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { outputPath, parseExtensions, parseShard, planTasks, readList, shardOf, walkTree, DEFAULT_EXTENSIONS } from '../../../src/batch/plan.js';
import { tempDir } from './helpers.js';

const names = Array.from({ length: 1000 }, (_, i) => `set${i % 7}/class${i % 13}/img${i}.jpg`);

t.test('--shard K/N partitions the files: each in exactly one shard, evenly, the same everywhere', async (t) => {
  for (const n of [1, 2, 3, 8]) {
    const shards = Array.from({ length: n }, (_, k) => planTasks(names, { inRoot: '/in', outRoot: '/out', mode: 'encode', shard: { index: k, count: n } }).tasks.map((x) => x.rel));
    const all = shards.flat();
    t.equal(all.length, names.length, `N=${n}: no file lost or duplicated`);
    t.same(new Set(all).size, names.length);
    for (const s of shards) t.ok(s.length > (names.length / n) * 0.8 && s.length < (names.length / n) * 1.2, `N=${n}: balanced (${s.length})`);
  }
  // A file keeps its shard when others are added: the partition is by path, not by position.
  const before = new Map(names.map((r) => [r, shardOf(r, 4)]));
  const more = [...names, 'new/a.jpg', 'aaa/first.jpg'];
  const after = planTasks(more, { inRoot: '/in', outRoot: '/out', mode: 'encode', shard: { index: 1, count: 4 } }).tasks.map((x) => x.rel);
  for (const r of after) if (before.has(r)) t.equal(before.get(r), 1);
  t.same(parseShard('3/8'), { index: 3, count: 8 });
  for (const bad of ['8/8', '1', '-1/2', 'a/b', '0/0']) t.throws(() => parseShard(bad), { code: 'WALLOC_ERR_INVALID_ARGUMENT' }, bad);
});

t.test('walkTree: sorted relative paths, by extension, skipping dot-files and temporaries', async (t) => {
  const dir = tempDir('walk');
  mkdirSync(join(dir, 'b', 'c'), { recursive: true });
  mkdirSync(join(dir, '.hidden'), { recursive: true });
  for (const f of ['b/c/z.PNG', 'a.jpg', 'b/x.png', 'b/notes.txt', '.b.png.1.wtmp-h-1-0', '.hidden/y.png']) writeFileSync(join(dir, f), 'x');
  t.same(walkTree(dir, DEFAULT_EXTENSIONS.encode), ['a.jpg', 'b/c/z.PNG', 'b/x.png']);
  t.same(walkTree(dir, parseExtensions('png', DEFAULT_EXTENSIONS.encode)), ['b/c/z.PNG', 'b/x.png']);
  t.throws(() => walkTree(join(dir, 'nope'), DEFAULT_EXTENSIONS.encode), { code: 'WALLOC_ERR_FILE_NOT_FOUND' });
});

t.test('list files: relative or absolute under the root, comments skipped, an errors file works as a list', async (t) => {
  const dir = tempDir('list');
  const text = `# retry these\nb/x.png\n${join(dir, 'a.jpg')}\n\nc/bad.png\tWALLOC_ERR_UNSUPPORTED_INPUT\tc/bad.png: unsupported input\n`;
  t.same(readList('list.txt', dir, text), ['a.jpg', 'b/x.png', 'c/bad.png']);
  t.throws(() => readList('list.txt', dir, '/etc/passwd\n'), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
});

t.test('list files as `find IN` prints them (relative to the current folder, starting with IN) name the same files', async (t) => {
  const base = tempDir('find');
  mkdirSync(join(base, 'data', 'photos', 'sub'), { recursive: true });
  for (const f of ['a.png', 'sub/b.png']) writeFileSync(join(base, 'data', 'photos', f), 'x');
  writeFileSync(join(base, 'data', 'other.png'), 'x');
  const cwd = process.cwd();
  process.chdir(base);
  try {
    t.same(readList('-', 'data/photos', 'data/photos/a.png\ndata/photos/sub/b.png\nsub/b.png\n'), ['a.png', 'sub/b.png']);
    t.same(readList('-', 'data/photos', 'data/other.png\n'), ['data/other.png'], 'a file outside IN is not taken: the entry stays IN-relative (and missing)');
    t.throws(() => readList('-', 'data/photos', '../other.png\n'), { code: 'WALLOC_ERR_INVALID_ARGUMENT' }, 'still only under IN');
  } finally {
    process.chdir(cwd);
  }
});

t.test('outputs mirror the tree; two inputs that want one output are refused, not overwritten', async (t) => {
  t.equal(outputPath('a/b.jpg', '/out', 'encode'), '/out/a/b.wlc');
  t.equal(outputPath('a/b.wlc', '/out', 'decode'), '/out/a/b.png');
  const plan = planTasks(['x/p.jpg', 'x/p.png', 'x/q.png'], { inRoot: '/in', outRoot: '/out', mode: 'encode' });
  t.same(plan.tasks.map((x) => x.rel), ['x/p.jpg', 'x/q.png']);
  t.equal(plan.refused.length, 1);
  t.equal(plan.refused[0]!.code, 'WALLOC_ERR_BATCH_COLLISION');
  t.match(plan.refused[0]!.message, /x\/p\.png: output x\/p\.wlc is also the output of x\/p\.jpg/);
});
