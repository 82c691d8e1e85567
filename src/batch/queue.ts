/**
 * Batches across machines through BullMQ on Redis: an existing, well-tested distributed job queue,
 * not a home-made one. `enqueueBatch` adds one job per input file; `runQueueWorker` (one per
 * machine, any number of them) takes jobs and runs them on its thread pool.
 *
 * What BullMQ gives us, and how it is used:
 * - idempotent enqueueing: the job id is a hash of (mode, input, output, model), and BullMQ ignores
 *   an add whose id already exists; completed and failed jobs are kept (not auto-removed) so that
 *   enqueueing the same dataset again is a no-op;
 * - exactly one worker per job at a time: a worker holds a lock on its job, renewed while it runs;
 * - crash recovery: a job whose worker died (lock expired) is "stalled" and moved back to the
 *   waiting list by any live worker's stalled-job checker, then retried;
 * - retries with exponential back-off (`attempts`, `backoff`), and dead-lettering: a job that
 *   fails all its attempts, or fails in a way a retry cannot fix (not an image, too large), stays
 *   in the queue's failed set, which `listFailed` reports and `retryFailed` re-queues.
 *
 * Every machine must see the input and output paths under the same names (a shared or network
 * file system); outputs are written atomically, and each job also runs the resume check, so a job
 * that is redone after a crash finds complete work and skips it.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve, sep } from 'node:path';
import type { ConnectionOptions, Job, Queue } from 'bullmq';
import { werr } from '../errors.js';
import { ErrorsFile, JsonLinesFile } from './manifest.js';
import { unsafeRelativeName, type BatchTask } from './plan.js';
import { TaskPool } from './pool.js';
import type { TaskResult, TaskSettings } from './task.js';

/** bullmq (and Redis's client under it) is loaded when a queue is used: other commands do not pay ~0.2 s for it. */
const bullmq = () => import('bullmq');

/** The queue name used when none is given. */
export const DEFAULT_QUEUE = 'walloc-batch';

/** What one job carries. */
export interface BatchJobData {
  task: BatchTask;
  settings: TaskSettings;
}

/**
 * Parses `redis://[user:password@]host[:port][/db]` (or `rediss://` for TLS) into BullMQ
 * connection options.
 *
 * @example
 * parseQueueUrl('redis://10.0.0.5:6379/2'); // { host: '10.0.0.5', port: 6379, db: 2 }
 */
export function parseQueueUrl(url: string): ConnectionOptions & { host: string; port: number } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--queue must be a URL like redis://HOST:PORT, got "${url}"` });
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--queue must be a redis:// or rediss:// URL, got "${url}"` });
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined;
  if (db !== undefined && !Number.isInteger(db)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `bad database number in "${url}"` });
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(db !== undefined ? { db } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** The deterministic job id of a task: the same file, output and model always give the same id. */
export function jobIdFor(task: BatchTask, model: string | undefined): string {
  // A hex digest prefixed with a letter: BullMQ refuses integer-looking custom ids and ':'.
  return `f${createHash('sha256').update(JSON.stringify([task.mode, task.input, task.output, task.entry ?? null, model ?? null])).digest('hex').slice(0, 40)}`;
}

/** Waits for the connection, failing with a clear error instead of retrying forever. */
async function ready(q: { waitUntilReady(): Promise<unknown> }, url: string, timeoutMs = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      q.waitUntilReady(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(werr('WALLOC_ERR_QUEUE', { url, reason: `no connection after ${timeoutMs / 1000} s (is redis-server running there?)` })), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const countAll = async (q: Queue): Promise<number> => Object.values(await q.getJobCounts()).reduce((a, b) => a + b, 0);

export interface EnqueueOptions {
  url: string;
  queue?: string;
  settings: TaskSettings;
  /** Tries per job before it is dead-lettered (default 3). */
  attempts?: number;
  /** First retry delay in ms; doubles each time (default 1000). */
  backoffMs?: number;
}

/**
 * Adds one job per task. Enqueueing the same tasks again adds nothing (same job ids).
 * Returns how many jobs were new.
 *
 * @example
 * const plan = planTasks(walkTree('/nfs/photos', exts), { inRoot: '/nfs/photos', outRoot: '/nfs/latents', mode: 'encode' });
 * await enqueueBatch(plan.tasks, { url: 'redis://queue:6379', settings: { model: 'rgb-16x' } });
 */
export async function enqueueBatch(tasks: Iterable<BatchTask>, opts: EnqueueOptions): Promise<{ submitted: number; added: number }> {
  const { Queue } = await bullmq();
  const queue = new Queue<BatchJobData>(opts.queue ?? DEFAULT_QUEUE, { connection: parseQueueUrl(opts.url) });
  queue.on('error', () => {});
  try {
    await ready(queue, opts.url);
    const before = await countAll(queue);
    let submitted = 0;
    let chunk: Array<{ name: string; data: BatchJobData; opts: Record<string, unknown> }> = [];
    const flush = async () => {
      if (chunk.length) await queue.addBulk(chunk as Parameters<typeof queue.addBulk>[0]);
      chunk = [];
    };
    for (const task of tasks) {
      submitted++;
      chunk.push({
        name: task.mode,
        data: { task, settings: opts.settings },
        opts: {
          jobId: jobIdFor(task, opts.settings.model),
          attempts: opts.attempts ?? 3,
          backoff: { type: 'exponential', delay: opts.backoffMs ?? 1000 },
          // Kept, not removed: a finished job's id is what makes re-enqueueing a no-op, and failed
          // jobs are the dead letters.
          removeOnComplete: false,
          removeOnFail: false,
        },
      });
      if (chunk.length >= 500) await flush();
    }
    await flush();
    return { submitted, added: (await countAll(queue)) - before };
  } finally {
    await queue.close();
  }
}

/** Jobs per state (waiting, active, delayed, completed, failed, …). */
export async function queueCounts(url: string, name = DEFAULT_QUEUE): Promise<Record<string, number>> {
  const { Queue } = await bullmq();
  const queue = new Queue(name, { connection: parseQueueUrl(url) });
  queue.on('error', () => {});
  try {
    await ready(queue, url);
    return await queue.getJobCounts();
  } finally {
    await queue.close();
  }
}

/** A dead-lettered job. */
export interface FailedJob {
  id: string;
  rel: string;
  input: string;
  attempts: number;
  reason: string;
}

/**
 * Lists the dead letters: jobs that failed all their attempts (or failed for good).
 *
 * @example
 * for (const f of await listFailed('redis://queue:6379')) console.log(f.rel, f.reason);
 */
export async function listFailed(url: string, name = DEFAULT_QUEUE): Promise<FailedJob[]> {
  const { Queue } = await bullmq();
  const queue = new Queue<BatchJobData>(name, { connection: parseQueueUrl(url) });
  queue.on('error', () => {});
  try {
    await ready(queue, url);
    const jobs = await queue.getFailed(0, -1);
    return jobs.map((j) => ({ id: String(j.id), rel: j.data.task.rel, input: j.data.task.input, attempts: j.attemptsMade, reason: j.failedReason }));
  } finally {
    await queue.close();
  }
}

/** Moves every failed job back to waiting (after fixing the inputs); returns how many. */
export async function retryFailed(url: string, name = DEFAULT_QUEUE): Promise<number> {
  const { Queue } = await bullmq();
  const queue = new Queue<BatchJobData>(name, { connection: parseQueueUrl(url) });
  queue.on('error', () => {});
  try {
    await ready(queue, url);
    const jobs = await queue.getFailed(0, -1);
    for (const j of jobs) await j.retry('failed');
    return jobs.length;
  } finally {
    await queue.close();
  }
}

/**
 * Waits until no job of the queue is waiting, delayed or running, then returns the counts.
 *
 * @example
 * await enqueueBatch(tasks, opts); const counts = await waitForQueue(opts.url);
 */
export async function waitForQueue(url: string, name = DEFAULT_QUEUE, opts: { pollMs?: number; signal?: AbortSignal; onPoll?: (c: Record<string, number>) => void } = {}): Promise<Record<string, number>> {
  const { Queue } = await bullmq();
  const queue = new Queue(name, { connection: parseQueueUrl(url) });
  queue.on('error', () => {});
  try {
    await ready(queue, url);
    for (;;) {
      const c = await queue.getJobCounts();
      opts.onPoll?.(c);
      if (!c.waiting && !c.active && !c.delayed && !c.prioritized && !c['waiting-children']) return c;
      if (opts.signal?.aborted) return c;
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
    }
  } finally {
    await queue.close();
  }
}

/**
 * Errors that a retry cannot fix: the job goes straight to the dead letters. Damaged recordings and
 * volumes are among them; an ffmpeg failure is not (it may be a lack of memory or processes).
 */
const PERMANENT = /^WALLOC_ERR_(UNSUPPORTED_INPUT|LIMIT_EXCEEDED|FRAME_|CONTAINER_|BATCH_COLLISION|MODEL_|INVALID_ARGUMENT|AUDIO_|VOLUME_|DICOM_)/;

export interface WorkerOptions {
  url: string;
  queue?: string;
  /** Threads, and jobs taken at once (default: the core count). */
  jobs?: number;
  /** Use this already started pool (it is left open) instead of starting one: for benchmarks. */
  pool?: TaskPool;
  /** How long a job's lock lasts without renewal, in ms (BullMQ default 30000). */
  lockDurationMs?: number;
  /** How often to look for jobs whose worker died, in ms (BullMQ default 30000). */
  stalledIntervalMs?: number;
  /** Stop once the queue has nothing left to do (waiting, delayed or running anywhere). */
  exitWhenIdle?: boolean;
  manifest?: string;
  errors?: string;
  /**
   * Confine writes to this folder: a job whose output lies outside it fails (permanently) instead of
   * writing there. Anyone who can add jobs to the queue chooses the paths, so set it wherever the
   * queue is not trusted as much as the worker's account.
   */
  outRoot?: string;
  signal?: AbortSignal;
  onResult?: (r: TaskResult, job: Job<BatchJobData>) => void;
  /** Called when a job failed for the last time (dead-lettered). */
  onDead?: (job: Job<BatchJobData>, reason: string) => void;
}

export interface WorkerSummary {
  done: number;
  skipped: number;
  failed: number;
  /** Attempts that failed and will be retried. */
  retried: number;
  wallSeconds: number;
}

/**
 * Processes jobs until `signal` aborts (or, with `exitWhenIdle`, until the queue is drained).
 * On abort, running jobs finish first (BullMQ's graceful close), so nothing is left half done.
 *
 * @example
 * const ac = new AbortController(); process.once('SIGTERM', () => ac.abort());
 * await runQueueWorker({ url: 'redis://queue:6379', jobs: 8, signal: ac.signal });
 */
export async function runQueueWorker(opts: WorkerOptions): Promise<WorkerSummary> {
  const t0 = performance.now();
  const connection = parseQueueUrl(opts.url);
  const name = opts.queue ?? DEFAULT_QUEUE;
  const pool = opts.pool ?? await TaskPool.start({ jobs: opts.jobs, settings: {} });
  const manifest = opts.manifest ? new JsonLinesFile(opts.manifest) : undefined;
  const errors = opts.errors ? new ErrorsFile(opts.errors, { append: true }) : undefined;
  const by = `${hostname()}:${process.pid}`;
  const s: WorkerSummary = { done: 0, skipped: 0, failed: 0, retried: 0, wallSeconds: 0 };

  const { Queue, UnrecoverableError, Worker } = await bullmq();
  const worker = new Worker<BatchJobData, TaskResult>(name, async (job) => {
    if (opts.outRoot !== undefined) {
      const bad = jobOutputOutside(job.data.task, opts.outRoot);
      if (bad) throw new UnrecoverableError(`WALLOC_ERR_INVALID_ARGUMENT: ${bad}`);
    }
    const r = await pool.run({ ...job.data.task, settings: job.data.settings });
    manifest?.append({ time: new Date().toISOString(), by, job: job.id, attempt: job.attemptsMade + 1, ...r });
    opts.onResult?.(r, job);
    if (r.status === 'failed') {
      const msg = `${r.error?.code ?? 'WALLOC_ERR_INTERNAL'}: ${r.error?.message ?? ''}`;
      throw PERMANENT.test(r.error?.code ?? '') ? new UnrecoverableError(msg) : new Error(msg);
    }
    s[r.status]++;
    return r;
  }, {
    connection,
    concurrency: pool.jobs,
    autorun: false,
    ...(opts.lockDurationMs ? { lockDuration: opts.lockDurationMs } : {}),
    ...(opts.stalledIntervalMs ? { stalledInterval: opts.stalledIntervalMs } : {}),
  });
  worker.on('error', () => { /* connection blips: ioredis reconnects; BullMQ retries */ });
  worker.on('failed', (job, err) => {
    if (!job) return;
    const final = err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (!final) {
      s.retried++;
      return;
    }
    s.failed++;
    errors?.add({ rel: job.data.task.rel, error: { code: /^(WALLOC_ERR_\w+)/.exec(err.message)?.[1] ?? 'WALLOC_ERR_INTERNAL', message: err.message.replace(/^WALLOC_ERR_\w+: /, '') } });
    opts.onDead?.(job, err.message);
  });

  const stop = new AbortController();
  const onAbort = () => stop.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let idleTimer: NodeJS.Timeout | undefined;
  let watcher: Queue | undefined;
  try {
    await ready(worker, opts.url);
    if (opts.exitWhenIdle) {
      watcher = new Queue(name, { connection });
      watcher.on('error', () => {});
      const w = watcher;
      const poll = async () => {
        try {
          const c = await w.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'wait');
          if (Object.values(c).every((n) => n === 0) && pool.pending === 0) {
            stop.abort();
            return;
          }
        } catch {
          /* transient; poll again */
        }
        if (!stop.signal.aborted) idleTimer = setTimeout(() => void poll(), 300);
      };
      idleTimer = setTimeout(() => void poll(), 300);
    }
    const running = worker.run();
    await new Promise<void>((resolve) => {
      if (stop.signal.aborted) resolve();
      else stop.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await worker.close();
    await running;
  } finally {
    clearTimeout(idleTimer);
    opts.signal?.removeEventListener('abort', onAbort);
    await watcher?.close();
    if (!worker.closing) await worker.close(true);
    if (!opts.pool) await pool.close();
  }
  s.wallSeconds = (performance.now() - t0) / 1000;
  return s;
}

/**
 * Why a job's output may not be written under `root` (it lies outside, or its name climbs out), or
 * undefined when it may.
 *
 * @example
 * jobOutputOutside({ mode: 'encode', input: '/in/a.png', rel: 'a.png', output: '/etc/x.wlc' }, '/out'); // '… is not under /out'
 */
export function jobOutputOutside(task: Pick<BatchTask, 'output' | 'rel'>, root: string): string | undefined {
  const base = resolve(root);
  const out = resolve(task.output);
  if (!out.startsWith(base + sep)) return `the job's output ${task.output} is not under ${base} (walloc worker --out-root)`;
  const bad = unsafeRelativeName(task.rel);
  return bad ? `the job's file name ${JSON.stringify(task.rel)} is refused: ${bad}` : undefined;
}
