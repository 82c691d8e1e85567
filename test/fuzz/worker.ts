/**
 * One fuzz target in a worker thread. Before each input it copies the input into shared memory and
 * bumps a heartbeat counter, so that the runner's watchdog can kill a worker stuck in a loop and
 * still know which input did it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { fuzzTarget, type FuzzInput } from './harness.js';
import { TARGETS } from './targets/index.js';

export interface WorkerData {
  target: string;
  inputs: number;
  seconds: number;
  seed: number;
  /** [0]: heartbeat (inputs started), [1]: input length, [2]: 1 for a string; bytes from offset 16. */
  shared: SharedArrayBuffer;
}

const data = workerData as WorkerData;
const meta = new Int32Array(data.shared, 0, 4);
const bytes = new Uint8Array(data.shared, 16);

const target = await TARGETS[data.target]!();
const stats = await fuzzTarget(target, {
  inputs: data.inputs,
  seconds: data.seconds,
  seed: data.seed,
  onInput(input: FuzzInput) {
    const b = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
    const n = Math.min(b.length, bytes.length);
    bytes.set(b.subarray(0, n));
    Atomics.store(meta, 1, n);
    Atomics.store(meta, 2, typeof input === 'string' ? 1 : 0);
    Atomics.add(meta, 0, 1);
  },
});
parentPort!.postMessage({
  ...stats,
  failures: stats.failures.map((f) => ({ outcome: f.outcome, input: typeof f.input === 'string' ? { s: f.input } : { b: Buffer.from(f.input).toString('base64') } })),
});
