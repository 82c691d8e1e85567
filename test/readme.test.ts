/**
 * The README's TypeScript examples run as written, against the built package, the way a user's
 * script would import it (`from 'walloc'`, resolved through package.json's exports).
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/paths.js';

const root = packageRoot();
const blocks = [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

t.test('the README has TypeScript examples, and they run in order in one folder', async (t) => {
  t.ok(blocks.length >= 2, `${blocks.length} blocks`);
  const dir = mkdtempSync(join(tmpdir(), 'walloc-readme-'));
  copyFileSync(join(root, 'fixtures', 'images', 'chelsea_128x96.png'), join(dir, 'photo.png'));
  for (const [i, code] of blocks.entries()) {
    // Imports resolve from the package root ('walloc' is the package itself); the code then works
    // in the scratch folder (import declarations are hoisted above the chdir).
    const script = `process.chdir(${JSON.stringify(dir)});\n${code}`;
    const p = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => { out += c; });
    p.stderr.on('data', (c: Buffer) => { out += c; });
    const code2 = await new Promise((r) => p.on('close', r));
    t.equal(code2, 0, `block ${i + 1} runs: ${out.slice(-600)}`);
    if (i === blocks.length - 1) t.match(out, /label: '/, 'the classifier printed its prediction');
  }
  t.same(readdirSync(dir).sort(), ['back.png', 'photo.png', 'photo.wlc', 'photo2.wlc']);
  const { readImage } = await import('../src/io/image.js');
  const back = await readImage(join(dir, 'back.png'));
  t.same(back.shape, [3, 96, 128]);
});
