/**
 * `walloc batch IN OUT`: converts a whole dataset (a folder tree, a list of files, or an archive)
 * on all cores, resumably; or, with `--queue`, hands one job per file to BullMQ workers on any
 * number of machines (`walloc worker`). The work itself lives in src/batch/; this file reads argv
 * and talks to the terminal.
 */
import { werr } from '../errors.js';
import { runBatch, type BatchSummary } from '../batch/batch.js';
import { isArchiveFile, readArchive } from '../batch/archive.js';
import { planDecodeOutputs, modalityOfModel } from '../batch/media.js';
import { DEFAULT_EXTENSIONS, ENCODE_EXTENSIONS, parseExtensions, parseShard, planTasks, readList, walkTree } from '../batch/plan.js';
import { fmtBytes, Progress } from '../batch/progress.js';
import { enqueueBatch, waitForQueue } from '../batch/queue.js';
import type { CommandIo, CommandSpec } from './command.js';
import { defaultModel } from '../models/registry.js';
import { interruptSignal } from './run.js';
import { imageLimitOptions, intOption } from './options.js';

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of stdin) parts.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(parts).toString('utf8');
}

/**
 * How much media the batch moved, and how fast: megapixels for images, seconds of audio, megavoxels
 * for volumes. The model's modality is always shown (an audio batch that skipped everything says
 * "0.0 s of audio", not "0.00 MP"); the others only when some were done (a mixed decode).
 */
function amounts(s: BatchSummary): { total: string; rate: string } {
  const show = (m: 'image' | 'audio' | 'volume', v: number) => v > 0 || s.modality === m;
  const parts: Array<[string, string]> = [];
  const t = s.wallSeconds > 0 ? s.wallSeconds : Infinity;
  if (show('image', s.megapixels)) parts.push([`${s.megapixels.toFixed(2)} MP`, `${(s.megapixels / t).toFixed(2)} MP/s`]);
  if (show('audio', s.audioSeconds)) parts.push([`${s.audioSeconds.toFixed(1)} s of audio`, `${(s.audioSeconds / t).toFixed(1)}× real time`]);
  if (show('volume', s.megavoxels)) parts.push([`${s.megavoxels.toFixed(2)} Mvoxels`, `${(s.megavoxels / t).toFixed(2)} Mvoxels/s`]);
  if (parts.length === 0) parts.push([`${s.megapixels.toFixed(2)} MP`, `${(s.megapixels / t).toFixed(2)} MP/s`]);
  return { total: parts.map((p) => p[0]).join(', '), rate: parts.map((p) => p[1]).join(', ') };
}

/** The one-paragraph summary printed at the end. */
export function summaryLine(s: BatchSummary): string {
  const ratio = s.bytesOut > 0 ? ` (${(s.bytesIn / s.bytesOut).toFixed(1)}:1)` : '';
  const a = amounts(s);
  const rate = s.wallSeconds > 0 ? `${(s.done / s.wallSeconds).toFixed(1)} files/s, ${a.rate}` : '';
  return `${s.files} file${s.files === 1 ? '' : 's'}: ${s.done} done, ${s.skipped} skipped, ${s.failed} failed; `
    + `${fmtBytes(s.bytesIn)} in, ${fmtBytes(s.bytesOut)} out${ratio}; ${a.total}; `
    + `${s.wallSeconds.toFixed(2)} s ${s.jobs === 0 ? 'on the main thread' : `on ${s.jobs} thread${s.jobs === 1 ? '' : 's'}`}${rate ? ` (${rate})` : ''}`
    + `${s.interrupted ? '; INTERRUPTED (rerun the same command to finish)' : ''}`;
}

export const batchCommand: CommandSpec = {
  name: 'walloc batch',
  summary: 'convert a whole dataset on all cores (resumable), or queue it for workers on many machines',
  usage: [
    'walloc batch IN OUT [--model NAME|DIR] [--jobs N] [--ext png,jpg] [--manifest FILE] [--errors FILE]',
    'walloc batch IN OUT --model stereo-5x   # a tree of recordings (volume-mri: NIfTI volumes)',
    'walloc batch IN OUT --decode            # .wlc tree (or archive) back to PNG, WAV or .nii.gz',
    'walloc batch IN OUT --archive DATA.wlc  # also pack the outputs into one archive (.wlc or .tar)',
    'walloc batch ARCHIVE OUT                # extract an archive into single .wlc files',
    'walloc batch ARCHIVE --contents         # list an archive',
    'walloc batch IN OUT --shard K/N         # only this task\'s share (K counts from 0)',
    'walloc batch IN OUT --queue redis://HOST:PORT [--wait]   # one job per file for `walloc worker`',
  ],
  options: {
    model: { type: 'string', short: 'm', arg: 'NAME|DIR', help: 'codec model (default: rgb-16x); its kind picks the inputs: images, audio (stereo-5x) or volumes (volume-mri); when decoding, overrides the model named in each file' },
    jobs: { type: 'string', short: 'j', arg: 'N', help: 'worker threads (default: the number of cores)' },
    ext: { type: 'string', arg: 'LIST', help: 'extensions to pick up, comma-separated (default by the model: png,jpg,jpeg,webp,tif,tiff for images; wav,ogg,oga,flac,mp3,opus,m4a,aiff,aif for audio; nii,nii.gz for volumes; wlc with --decode)' },
    list: { type: 'string', arg: 'FILE', help: 'read input paths (relative to IN) from FILE, or - for stdin, instead of walking IN' },
    decode: { type: 'boolean', short: 'd', help: 'decode .wlc files instead of encoding: images to .png, audio to .wav (16-bit, the source\'s rate), volumes to .nii.gz' },
    manifest: { type: 'string', arg: 'FILE', help: 'append one JSON line per input (paths, status, sizes, sha256s)' },
    errors: { type: 'string', arg: 'FILE', help: 'write failed inputs here, one "PATH<TAB>CODE<TAB>MESSAGE" per line (usable as --list)' },
    shard: { type: 'string', arg: 'K/N', help: 'process only shard K of N (by a hash of the path); e.g. $JOB_COMPLETION_INDEX/8' },
    archive: { type: 'string', arg: 'FILE', help: 'after the batch, pack all outputs into FILE: .wlc (one stream) or .tar' },
    contents: { type: 'boolean', help: 'list the entries of the archive IN as JSON lines and exit' },
    queue: { type: 'string', arg: 'URL', help: 'enqueue one BullMQ job per file on Redis at URL (redis://HOST:PORT) instead of converting here' },
    'queue-name': { type: 'string', arg: 'NAME', help: 'BullMQ queue name (default: walloc-batch)' },
    attempts: { type: 'string', arg: 'N', help: 'with --queue: tries per file before it is dead-lettered (default: 3)' },
    wait: { type: 'boolean', help: 'with --queue: wait until the workers have drained the queue' },
    force: { type: 'boolean', short: 'f', help: 'redo files whose outputs are already complete' },
    'no-fsync': { type: 'boolean', help: 'do not flush each output to disk before renaming it (faster; crash-safe, not power-loss-safe)' },
    'max-pixels': { type: 'string', arg: 'N', help: 'refuse images (and volume slices) with more pixels than this (default: 268 MP)' },
    'max-side': { type: 'string', arg: 'N', help: 'refuse images (and volumes) wider or taller than this (default: 65535)' },
    quiet: { type: 'boolean', short: 'q', help: 'no progress and no summary' },
  },
  examples: [
    'walloc batch data/photos latents/ --manifest latents.jsonl --errors failed.tsv',
    'walloc batch data/photos latents/ --archive photos.wlc',
    'walloc batch data/recordings latents/ --model stereo-5x --jobs 2',
    'walloc batch data/mri latents/ --model volume-mri --ext nii.gz',
    'walloc batch latents/ restored/ --decode --jobs 4',
    'walloc batch /nfs/photos /nfs/latents --queue redis://queue:6379   # then on each machine: walloc worker --queue redis://queue:6379',
  ],
  async run({ values, positionals }, io) {
    return batchMain(values, positionals, io);
  },
};

async function batchMain(values: Record<string, unknown>, positionals: string[], io: CommandIo): Promise<number> {
  const [input, output, ...extra] = positionals;
  if (input === undefined) throw werr('WALLOC_ERR_MISSING_ARGUMENT', { what: 'an input folder (or archive)', command: 'walloc batch' });

  if (values.contents) {
    if (!isArchiveFile(input)) throw werr('WALLOC_ERR_ARCHIVE', { path: input, reason: 'not a dataset archive (.wlc archive or tar)' });
    for (const e of readArchive(input)) io.stdout.write(JSON.stringify({ name: e.name, source: e.source, bytes: e.wlc.length }) + '\n');
    return 0;
  }
  if (output === undefined) throw werr('WALLOC_ERR_MISSING_ARGUMENT', { what: 'an output folder', command: 'walloc batch' });
  if (extra.length) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `one input and one output folder (got ${positionals.length} paths); use --list for many inputs` });

  const decode = values.decode === true;
  const archiveIn = isArchiveFile(input);
  const model = (values.model as string | undefined) ?? (decode || archiveIn ? undefined : defaultModel('image'));
  const jobs = intOption(values.jobs, 'jobs', 0, 1024);
  const shard = values.shard !== undefined ? parseShard(values.shard as string) : undefined;
  // An encode batch reads what its model codes: images, recordings or volumes.
  const extensions = parseExtensions(values.ext as string | undefined, decode || archiveIn ? DEFAULT_EXTENSIONS.decode : ENCODE_EXTENSIONS[modalityOfModel(model!)]);
  const limits = imageLimitOptions(values);
  const listArg = values.list as string | undefined;
  const listText = listArg === '-' ? await readStdin(io.stdin) : undefined;
  const quiet = values.quiet === true;

  if (values.queue !== undefined) {
    const url = values.queue as string;
    if (archiveIn) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: '--queue takes a folder or --list of files, not an archive (extract it first)' });
    if (values.archive !== undefined) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: '--archive is made after a local batch; with --queue, run `walloc batch OUT-tree ... --archive` once the workers are done' });
    const mode = decode ? 'decode' : 'encode';
    const rels = listArg !== undefined ? readList(listArg, input, listText) : walkTree(input, extensions);
    const names = planTasks(rels, { inRoot: input, outRoot: output, mode, ...(shard ? { shard } : {}) });
    // Decoded files are named by what each header says they hold (.png, .wav, .nii.gz).
    const plan = decode ? planDecodeOutputs(names, output) : names;
    for (const r of plan.refused) io.stderr.write(`walloc batch: ${r.message} [${r.code}]\n`);
    const queueName = values['queue-name'] as string | undefined;
    const r = await enqueueBatch(plan.tasks, {
      url, ...(queueName ? { queue: queueName } : {}),
      settings: { ...(model !== undefined ? { model } : {}), limits, fsync: values['no-fsync'] !== true, force: values.force === true },
      attempts: intOption(values.attempts, 'attempts', 1, 100),
    });
    if (!quiet) io.stderr.write(`walloc batch: ${r.submitted} files submitted to ${url}: ${r.added} new jobs, ${r.submitted - r.added} already queued or done\n`);
    if (!values.wait) return plan.refused.length ? 1 : 0;
    const { signal, release } = interruptSignal();
    try {
      const c = await waitForQueue(url, queueName, {
        signal,
        onPoll: (c) => { if (!quiet && io.stderr.isTTY) io.stderr.write(`\rwalloc batch: ${c.completed ?? 0} completed, ${c.active ?? 0} running, ${c.waiting ?? 0} waiting, ${c.failed ?? 0} failed\x1b[K`); },
      });
      if (!quiet) io.stderr.write(`${io.stderr.isTTY ? '\r\x1b[K' : ''}walloc batch: queue drained: ${c.completed ?? 0} completed, ${c.failed ?? 0} failed${c.failed ? ` (list them with \`walloc worker --queue ${url} --failed\`)` : ''}\n`);
      return (c.failed ?? 0) > 0 || plan.refused.length ? 1 : 0;
    } finally {
      release();
    }
  }

  const progress = new Progress(io.stderr, { label: 'walloc batch', quiet });
  const { signal, release } = interruptSignal();
  let summary: BatchSummary;
  try {
    summary = await runBatch({
      input, output, decode, ...(model !== undefined ? { model } : {}), ...(jobs !== undefined ? { jobs } : {}),
      extensions, ...(listArg !== undefined ? { list: listArg } : {}), ...(listText !== undefined ? { listText } : {}),
      ...(shard ? { shard } : {}),
      ...(values.manifest !== undefined ? { manifest: values.manifest as string } : {}),
      ...(values.errors !== undefined ? { errors: values.errors as string } : {}),
      ...(values.archive !== undefined ? { archive: values.archive as string } : {}),
      limits, fsync: values['no-fsync'] !== true, force: values.force === true, signal,
      onResult: (r, s) => {
        // Failures are reported as they happen (and summarised at the end), never fatal.
        if (r.status === 'failed' && !quiet) {
          progress.finish();
          const msg = r.error?.message ?? 'failed';
          io.stderr.write(`walloc batch: ${msg.includes(r.rel) ? '' : `${r.rel}: `}${msg} [${r.error?.code ?? 'WALLOC_ERR_INTERNAL'}]\n`);
        }
        progress.update({ done: s.done, skipped: s.skipped, failed: s.failed, total: s.files, bytesIn: s.bytesIn, bytesOut: s.bytesOut });
      },
    });
  } finally {
    release();
  }
  progress.finish();
  if (!quiet) {
    io.stderr.write(`walloc batch: ${summaryLine(summary)}\n`);
    if (summary.staleTemps) io.stderr.write(`walloc batch: removed ${summary.staleTemps} temporary file${summary.staleTemps === 1 ? '' : 's'} left by an interrupted run\n`);
    if (summary.archive) io.stderr.write(`walloc batch: archive ${summary.archive.path}: ${summary.archive.entries} entries, ${fmtBytes(summary.archive.bytes)}\n`);
    if (summary.failed && values.errors !== undefined) io.stderr.write(`walloc batch: failed inputs are listed in ${String(values.errors)}\n`);
  }
  return summary.interrupted ? 130 : summary.failed ? 1 : 0;
}
