/**
 * The body of one pool thread (see pool.ts): loads codecs once, then runs tasks one at a time as
 * the main thread sends them. Plain messages in and out; a task's failure is a result, not a crash.
 */
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { CodecCache, runTask, type TaskSettings, type WorkItem } from './task.js';

interface Init {
  settings: TaskSettings;
  /** libvips threads for this process; 1 when files, not pixels, are what runs in parallel. */
  vipsThreads?: number;
}

const init = workerData as Init;
if (init.vipsThreads !== undefined) sharp.concurrency(init.vipsThreads);
const codecs = new CodecCache();
// Load the encoding codec before saying "ready", so that a bad --model fails the pool at start,
// once, rather than every task.
let startError: { code: string; message: string; details?: unknown } | undefined;
try {
  if (init.settings.model !== undefined) codecs.get(init.settings.model);
} catch (e) {
  const err = e as { code?: string; message?: string; details?: unknown };
  startError = { code: err.code ?? 'WALLOC_ERR_INTERNAL', message: err.message ?? String(e), details: err.details };
}
parentPort!.postMessage({ type: 'ready', error: startError });

parentPort!.on('message', (msg: { type: 'task'; id: number; item: WorkItem } | { type: 'close' }) => {
  if (msg.type === 'close') {
    codecs.dispose();
    parentPort!.close();
    return;
  }
  void runTask(msg.item, init.settings, codecs).then((result) => parentPort!.postMessage({ type: 'result', id: msg.id, result }));
});
