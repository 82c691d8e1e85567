/**
 * A pool of worker threads (node:worker_threads) that runs batch tasks on all cores. Encoding is
 * plain TypeScript over typed arrays plus sharp, so one thread per core is what scales; the main
 * thread only plans, dispatches and writes the manifest.
 *
 * How the thread finds its code: the worker module is `worker-thread.js` beside this file in the
 * compiled package (`dist/`), and `worker-thread.ts` when the sources run under a TypeScript
 * loader (tests, `npm run bench`: `--import tsx`); the extension is taken from this module's own
 * URL. tsx's loader does not reach worker threads by itself (privatenumber/tsx#354), so a thread
 * of the sources registers it first and then imports the .ts module. No build step is needed for
 * tests, and the built package needs no loader.
 */
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { codes, werr, WallocError, type ErrorCode } from '../errors.js';
import { CodecCache, runTask, type TaskResult, type TaskSettings, type WorkItem } from './task.js';

const WORKER_URL = new URL(`./worker-thread${extname(fileURLToPath(import.meta.url)) || '.js'}`, import.meta.url);

/** What a thread runs: the built module, or (from the .ts sources) a bootstrap that loads it through tsx. */
function workerScript(): { script: URL | string; eval: boolean } {
  if (!WORKER_URL.pathname.endsWith('.ts')) return { script: WORKER_URL, eval: false };
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return { script: `import(${api}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); })`, eval: true };
}

/** The default `--jobs`: one thread per core the process may use. */
export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

export interface PoolOptions {
  /** Threads (default: the core count). 0 runs tasks on the calling thread, one at a time. */
  jobs?: number;
  settings: TaskSettings;
}

interface Slot {
  worker: Worker;
  busy?: { id: number; item: WorkItem; resolve: (r: TaskResult) => void };
}

/**
 * Runs tasks on N threads, each task on the next free one; `run` resolves with the task's result.
 *
 * @example
 * const pool = await TaskPool.start({ jobs: 4, settings: { model: 'rgb-16x' } });
 * const results = await Promise.all(tasks.map((t) => pool.run(t)));
 * await pool.close();
 */
export class TaskPool {
  readonly jobs: number;
  private readonly slots: Slot[] = [];
  private readonly waiting: Array<{ item: WorkItem; resolve: (r: TaskResult) => void }> = [];
  private nextId = 0;
  private closed = false;
  private inline?: CodecCache;
  private inlineChain: Promise<unknown> = Promise.resolve();

  private constructor(private readonly opts: PoolOptions) {
    this.jobs = opts.jobs ?? defaultJobs();
  }

  /** Starts the threads and waits until each has loaded its codec (a bad model fails here, once). */
  static async start(opts: PoolOptions): Promise<TaskPool> {
    const pool = new TaskPool(opts);
    if (pool.jobs === 0) {
      pool.inline = new CodecCache();
      if (opts.settings.model !== undefined) pool.inline.get(opts.settings.model);
      return pool;
    }
    try {
      await Promise.all(Array.from({ length: pool.jobs }, () => pool.spawn()));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  private spawn(): Promise<void> {
    // Parallelism comes from files: libvips is held to one thread per process here, so that
    // `--jobs N` means N cores (libvips's own pool would otherwise use every core on top of ours,
    // oversubscribing with N > 1 and making `--jobs 1` not mean one core).
    const { script, eval: isEval } = workerScript();
    const worker = new Worker(script, { eval: isEval, workerData: { settings: this.opts.settings, vipsThreads: 1 } });
    const slot: Slot = { worker };
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on('message', (msg: { type: 'ready'; error?: { code: string; message: string; details?: unknown } } | { type: 'result'; id: number; result: TaskResult }) => {
        if (msg.type === 'ready') {
          if (msg.error) {
            // The thread could not load the codec (a bad --model): stop it, or it keeps the process
            // alive, and raise its error as the user's coded error, not an internal one.
            void worker.terminate();
            const { code, message, details } = msg.error;
            reject(Object.hasOwn(codes, code) ? new WallocError(code as ErrorCode, (details ?? {}) as Record<string, unknown>) : werr('WALLOC_ERR_INTERNAL', { reason: message }));
            return;
          }
          ready = true;
          // The pool gave up starting (another thread failed) before this one was ready.
          if (this.closed) {
            void worker.terminate();
            return;
          }
          this.slots.push(slot);
          resolve();
          this.pump();
          return;
        }
        const busy = slot.busy;
        slot.busy = undefined;
        busy?.resolve(msg.result);
        this.pump();
      });
      worker.on('error', (e) => {
        if (!ready) {
          reject(werr('WALLOC_ERR_INTERNAL', { reason: `batch worker thread failed to start: ${e.message}` }, e));
          return;
        }
        // A crash takes its task with it: report that task as failed and replace the thread.
        const busy = slot.busy;
        slot.busy = undefined;
        this.slots.splice(this.slots.indexOf(slot), 1);
        busy?.resolve({ mode: busy.item.mode, rel: busy.item.rel, input: busy.item.input, output: busy.item.output, status: 'failed', ms: 0, error: { code: 'WALLOC_ERR_INTERNAL', message: `worker thread crashed: ${e.message}` } });
        if (!this.closed) void this.spawn().catch(() => {});
      });
    });
  }

  /** Runs one task; resolves with its result (failures included, never rejects). */
  run(item: WorkItem): Promise<TaskResult> {
    if (this.closed) return Promise.reject(new Error('pool is closed'));
    if (this.inline) {
      const cache = this.inline;
      const p = this.inlineChain.then(() => runTask(item, this.opts.settings, cache));
      this.inlineChain = p;
      return p;
    }
    return new Promise((resolve) => {
      this.waiting.push({ item, resolve });
      this.pump();
    });
  }

  /** Tasks accepted but not yet finished. */
  get pending(): number {
    return this.waiting.length + this.slots.filter((s) => s.busy).length;
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const next = this.waiting.shift();
      if (!next) return;
      const id = this.nextId++;
      slot.busy = { id, ...next };
      slot.worker.postMessage({ type: 'task', id, item: next.item });
    }
  }

  /**
   * Stops the threads. Callers wait for the tasks they started first (the batch drains on SIGINT);
   * a thread stopped mid-task can at worst leave a temporary dot-file, never a partial output.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.inline?.dispose();
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }
}
