/**
 * `npm run bench [-- NAME...] [-- --json]`: runs every benchmark module in this folder (a module
 * is a file exporting `bench(): Promise<BenchTable>`), each measuring walloc against a peer in the
 * same run, and prints Markdown tables (or JSON lines with --json). Timings are medians.
 */
import { readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BenchTable, renderTable } from './table.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const json = args.includes('--json');
const only = args.filter((a) => !a.startsWith('--'));
const skip = new Set(['index.ts', 'table.ts']);
const modules = readdirSync(here).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !skip.has(f)).sort();
const selected = only.length ? modules.filter((f) => only.includes(f.replace(/\.ts$/, ''))) : modules;

if (!json) {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(`walloc benchmarks — Node ${process.version}, ${cpus().length} × ${cpu}\n\n`);
}
let failed = 0;
for (const f of selected) {
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { bench?: () => Promise<BenchTable | BenchTable[]> };
  if (typeof mod.bench !== 'function') continue;
  try {
    const out = await mod.bench();
    for (const table of Array.isArray(out) ? out : [out]) {
      process.stdout.write(json ? JSON.stringify({ module: f, ...table }) + '\n' : renderTable(table) + '\n');
    }
  } catch (e) {
    failed++;
    process.stderr.write(`bench ${f} failed: ${(e as Error).stack ?? String(e)}\n`);
  }
}
process.exitCode = failed ? 1 : 0;
