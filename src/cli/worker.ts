/**
 * `walloc worker --queue redis://HOST:PORT`: takes `walloc batch --queue` jobs from BullMQ and runs
 * them on this machine's cores, until stopped (SIGINT/SIGTERM finish the running jobs first) or,
 * with `--exit-when-idle`, until the queue is drained. `--failed` lists the dead letters and
 * `--retry-failed` puts them back.
 */
import { werr } from '../errors.js';
import { DEFAULT_QUEUE, listFailed, retryFailed, runQueueWorker } from '../batch/queue.js';
import type { CommandSpec } from './command.js';
import { interruptSignal } from './run.js';
import { intOption } from './options.js';

export const workerCommand: CommandSpec = {
  name: 'walloc worker',
  summary: 'process `walloc batch --queue` jobs from a BullMQ queue on Redis (run one per machine)',
  usage: [
    'walloc worker --queue redis://HOST:PORT [--jobs N] [--manifest FILE] [--errors FILE] [--exit-when-idle]',
    'walloc worker --queue redis://HOST:PORT --failed        # list dead-lettered files',
    'walloc worker --queue redis://HOST:PORT --retry-failed  # queue them again',
  ],
  options: {
    queue: { type: 'string', arg: 'URL', help: 'Redis URL of the queue (redis://HOST:PORT[/DB])' },
    'queue-name': { type: 'string', arg: 'NAME', help: `BullMQ queue name (default: ${DEFAULT_QUEUE})` },
    jobs: { type: 'string', short: 'j', arg: 'N', help: 'worker threads and jobs at once (default: the number of cores)' },
    manifest: { type: 'string', arg: 'FILE', help: 'append one JSON line per job attempt (paths, status, sizes, sha256s)' },
    errors: { type: 'string', arg: 'FILE', help: 'append dead-lettered files here, one "PATH<TAB>CODE<TAB>MESSAGE" per line' },
    'exit-when-idle': { type: 'boolean', help: 'stop once nothing is waiting, delayed or running anywhere' },
    'lock-ms': { type: 'string', arg: 'MS', help: 'job lock duration; a dead worker\'s job is retried after about this long (default: 30000)' },
    'stalled-ms': { type: 'string', arg: 'MS', help: 'how often to check for jobs of dead workers (default: 30000)' },
    failed: { type: 'boolean', help: 'list the dead-lettered jobs as JSON lines and exit' },
    'retry-failed': { type: 'boolean', help: 'move the dead-lettered jobs back to the queue and exit' },
    'out-root': { type: 'string', arg: 'DIR', help: 'write only under this folder: a job whose output lies elsewhere fails instead (use it wherever others can add jobs to the queue)' },
    quiet: { type: 'boolean', short: 'q', help: 'no per-job lines and no summary' },
  },
  examples: [
    'walloc worker --queue redis://queue:6379 --jobs 16 --manifest /nfs/logs/$(hostname).jsonl',
    'walloc worker --queue redis://queue:6379 --failed',
  ],
  async run({ values }, io) {
    const url = values.queue as string | undefined;
    if (url === undefined) throw werr('WALLOC_ERR_MISSING_ARGUMENT', { what: '--queue redis://HOST:PORT', command: 'walloc worker' });
    const name = (values['queue-name'] as string | undefined) ?? DEFAULT_QUEUE;
    if (values.failed) {
      for (const f of await listFailed(url, name)) io.stdout.write(JSON.stringify(f) + '\n');
      return 0;
    }
    if (values['retry-failed']) {
      const n = await retryFailed(url, name);
      io.stderr.write(`walloc worker: ${n} failed job${n === 1 ? '' : 's'} queued again\n`);
      return 0;
    }
    const quiet = values.quiet === true;
    const { signal, release } = interruptSignal();
    try {
      const jobs = intOption(values.jobs, 'jobs', 0, 1024);
      const lock = intOption(values['lock-ms'], 'lock-ms', 100, 86_400_000);
      const stalled = intOption(values['stalled-ms'], 'stalled-ms', 100, 86_400_000);
      if (!quiet) io.stderr.write(`walloc worker: waiting for jobs on ${url} (queue ${name})\n`);
      const s = await runQueueWorker({
        url, queue: name, signal, exitWhenIdle: values['exit-when-idle'] === true,
        ...(jobs !== undefined ? { jobs } : {}),
        ...(lock !== undefined ? { lockDurationMs: lock } : {}),
        ...(stalled !== undefined ? { stalledIntervalMs: stalled } : {}),
        ...(values.manifest !== undefined ? { manifest: values.manifest as string } : {}),
        ...(values.errors !== undefined ? { errors: values.errors as string } : {}),
        ...(values['out-root'] !== undefined ? { outRoot: values['out-root'] as string } : {}),
        onResult: (r) => {
          const msg = r.error?.message ?? 'failed';
          if (!quiet && r.status === 'failed') io.stderr.write(`walloc worker: ${msg.includes(r.rel) ? '' : `${r.rel}: `}${msg} [${r.error?.code ?? 'WALLOC_ERR_INTERNAL'}]\n`);
        },
        onDead: (job, reason) => {
          if (!quiet) io.stderr.write(`walloc worker: ${job.data.task.rel}: gave up after ${job.attemptsMade} attempt${job.attemptsMade === 1 ? '' : 's'} (${reason})\n`);
        },
      });
      if (!quiet) io.stderr.write(`walloc worker: ${s.done} done, ${s.skipped} skipped, ${s.failed} dead-lettered, ${s.retried} attempts to retry, in ${s.wallSeconds.toFixed(1)} s\n`);
      // As walloc batch: a job this worker gave up on makes the status 1, so a script that drains
      // a queue (--exit-when-idle) sees the failure; the dead letters say which.
      return s.failed > 0 ? 1 : 0;
    } finally {
      release();
    }
  },
};
