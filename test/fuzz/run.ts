/**
 * `npm run fuzz`: every parser under a large budget (issue 11).
 *
 *   npm run fuzz -- [--inputs N] [--seconds S] [--seed N] [--targets a,b] [--hang-ms MS] [--json FILE]
 *
 * Each target runs in its own worker thread for N inputs (default 1,000,000) or S seconds (default
 * 150), whichever comes first. A watchdog kills a worker that makes no progress for --hang-ms
 * (default 30000) and records the input it was on as a hang; the worker is then restarted for the
 * rest of the budget. Crashes, hangs and over-allocations are minimised (byte/character deletion)
 * and saved under fixtures/fuzz/<target>/, where test/robustness/regressions.test.ts replays them.
 * Prints a table: target, inputs tried, inputs/s, distinct error codes, crashes, hangs.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../../src/paths.js';
import { minimise, type FuzzInput, type Outcome, type TargetStats } from './harness.js';
import { TARGETS } from './targets/index.js';

const { values } = parseArgs({
  options: {
    inputs: { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '150' },
    seed: { type: 'string', default: String(Date.now() % 2 ** 31) },
    targets: { type: 'string', default: Object.keys(TARGETS).join(',') },
    'hang-ms': { type: 'string', default: '30000' },
    json: { type: 'string' },
  },
});
const inputs = Number(values.inputs);
const seconds = Number(values.seconds);
const seed = Number(values.seed);
const hangMs = Number(values['hang-ms']);
const names = values.targets!.split(',').filter(Boolean);
for (const n of names) if (!(n in TARGETS)) throw new Error(`unknown target ${n}; known: ${Object.keys(TARGETS).join(', ')}`);

interface WorkerResult extends Omit<TargetStats, 'failures'> {
  failures: Array<{ outcome: Outcome; input: { s: string } | { b: string } }>;
}

const decodeInput = (i: { s: string } | { b: string }): FuzzInput => ('s' in i ? i.s : new Uint8Array(Buffer.from(i.b, 'base64')));

/** Runs one worker; resolves with its stats, or with a hang record if the watchdog had to kill it. */
function runWorker(target: string, budget: { inputs: number; seconds: number }, workerSeed: number): Promise<{ stats?: WorkerResult; hang?: { input: FuzzInput; heartbeat: number } ; died?: string }> {
  const shared = new SharedArrayBuffer(16 + (4 << 20));
  const meta = new Int32Array(shared, 0, 4);
  const worker = new Worker(new URL('./worker.ts', import.meta.url), {
    workerData: { target, inputs: budget.inputs, seconds: budget.seconds, seed: workerSeed, shared },
  });
  return new Promise((resolve) => {
    let last = -1;
    let since = Date.now();
    let settled = false;
    const done = (v: Parameters<typeof resolve>[0]) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      resolve(v);
    };
    const timer = setInterval(() => {
      const beat = Atomics.load(meta, 0);
      if (beat !== last) {
        last = beat;
        since = Date.now();
        return;
      }
      if (Date.now() - since > hangMs) {
        const n = Atomics.load(meta, 1);
        const bytes = new Uint8Array(shared, 16, n).slice();
        const input = Atomics.load(meta, 2) === 1 ? Buffer.from(bytes).toString('utf8') : bytes;
        void worker.terminate();
        done({ hang: { input, heartbeat: beat } });
      }
    }, 250);
    worker.on('message', (m: WorkerResult) => done({ stats: m }));
    worker.on('error', (e) => done({ died: `${e.name}: ${e.message}` }));
    worker.on('exit', (code) => done({ died: `worker exited with code ${code}` }));
  });
}

async function save(targetName: string, input: FuzzInput, outcome: Outcome): Promise<string> {
  const target = await TARGETS[targetName]!();
  // Hangs and allocations are not re-run in this thread (a hang would hang the runner): saved as found.
  const small = outcome.kind === 'crash' ? await minimise(target, input, outcome) : input;
  const buf = typeof small === 'string' ? Buffer.from(small, 'utf8') : Buffer.from(small);
  const id = createHash('sha256').update(buf).digest('hex').slice(0, 12);
  const dir = join(packageRoot(), 'fixtures', 'fuzz', targetName);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${outcome.kind}-${id}.${typeof small === 'string' ? 'txt' : 'bin'}`);
  writeFileSync(file, buf);
  writeFileSync(`${file}.json`, `${JSON.stringify({ target: targetName, outcome: { ...outcome, stack: undefined }, originalLength: input.length, minimisedLength: small.length, found: new Date().toISOString().slice(0, 10) }, null, 2)}\n`);
  return file;
}

const rows: Array<{ target: string; inputs: number; rate: number; codes: number; errors: Record<string, number>; ok: number; crashes: number; hangs: number; allocs: number; seconds: number }> = [];
for (const [ti, name] of names.entries()) {
  const total: WorkerResult = { target: name, inputs: 0, ok: 0, errors: {}, crashes: 0, hangs: 0, allocs: 0, seconds: 0, failures: [] };
  const started = Date.now();
  let round = 0;
  while (total.inputs < inputs && (Date.now() - started) / 1000 < seconds - 1) {
    const left = { inputs: inputs - total.inputs, seconds: seconds - (Date.now() - started) / 1000 };
    const r = await runWorker(name, left, seed + 7919 * ti + 104729 * round++);
    if (r.stats) {
      total.inputs += r.stats.inputs;
      total.ok += r.stats.ok;
      total.crashes += r.stats.crashes;
      total.hangs += r.stats.hangs;
      total.allocs += r.stats.allocs;
      for (const [c, k] of Object.entries(r.stats.errors)) total.errors[c] = (total.errors[c] ?? 0) + k;
      for (const f of r.stats.failures) console.error(`${name}: ${f.outcome.kind} ${JSON.stringify({ ...f.outcome, stack: undefined })} → ${await save(name, decodeInput(f.input), f.outcome)}`);
      break;
    }
    if (r.hang) {
      total.inputs += r.hang.heartbeat;
      total.hangs++;
      console.error(`${name}: no progress for ${hangMs} ms → ${await save(name, r.hang.input, { kind: 'hang', ms: hangMs })}`);
      continue;
    }
    console.error(`${name}: ${r.died}`);
    total.crashes++;
    break;
  }
  total.seconds = (Date.now() - started) / 1000;
  const row = { target: name, inputs: total.inputs, rate: total.inputs / total.seconds, codes: Object.keys(total.errors).length, errors: total.errors, ok: total.ok, crashes: total.crashes, hangs: total.hangs, allocs: total.allocs, seconds: total.seconds };
  rows.push(row);
  console.error(`${name}: ${row.inputs} inputs in ${row.seconds.toFixed(0)} s, ${row.crashes} crashes, ${row.hangs} hangs, ${row.allocs} over-allocations`);
}

const pad = (s: string | number, n: number) => String(s).padStart(n);
console.log(`\nfuzz seed ${seed}, budget ${inputs} inputs or ${seconds} s per target\n`);
console.log(`| target    |    inputs |  inputs/s | ok        | distinct error codes | crashes | hangs | over-alloc |`);
console.log(`|-----------|----------:|----------:|----------:|---------------------:|--------:|------:|-----------:|`);
for (const r of rows) console.log(`| ${r.target.padEnd(9)} | ${pad(r.inputs, 9)} | ${pad(r.rate.toFixed(0), 9)} | ${pad(r.ok, 9)} | ${pad(r.codes, 20)} | ${pad(r.crashes, 7)} | ${pad(r.hangs, 5)} | ${pad(r.allocs, 10)} |`);
console.log('\nerror codes seen per target:');
for (const r of rows) console.log(`  ${r.target}: ${Object.entries(r.errors).sort((a, b) => b[1] - a[1]).map(([c, k]) => `${c.replace('WALLOC_ERR_', '')} ${k}`).join(', ') || '(none)'}`);
if (values.json) writeFileSync(values.json, `${JSON.stringify({ seed, inputs, seconds, rows }, null, 2)}\n`);
process.exitCode = rows.some((r) => r.crashes + r.hangs + r.allocs > 0) ? 1 : 0;
