/**
 * `runBatch`: converts a whole dataset on this machine. Plans the tasks (tree, list or archive;
 * this shard only), removes temporaries a killed run left, runs the tasks on a thread pool with a
 * bounded window (so a million-file tree never queues a million messages), logs every result to
 * the manifest and the errors file, and optionally packs the outputs into one archive.
 *
 * Interrupting (the `signal`) stops handing out new tasks and waits for the ones running, whose
 * atomic writes then complete; a rerun skips everything already done.
 */
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { relative, resolve } from 'node:path';
import { werr } from '../errors.js';
import type { ImageLimits } from '../io/limits.js';
import { isArchiveFile, readArchive, writeArchive, archiveFormatOf } from './archive.js';
import { sweepStaleTemps } from '../io/atomic.js';
import { ErrorsFile, JsonLinesFile } from './manifest.js';
import { decodedEntryOutput, modalityOfModel, planDecodeOutputs } from './media.js';
import { DEFAULT_EXTENSIONS, ENCODE_EXTENSIONS, outputPath, planTasks, unsafeRelativeName, readList, shardOf, toPosix, walkTree, type BatchTask, type Modality, type Shard } from './plan.js';
import { TaskPool } from './pool.js';
import type { TaskResult, TaskSettings, WorkItem } from './task.js';

export interface BatchOptions {
  /** A folder of inputs, or a dataset archive (.wlc or .tar) to extract or decode. */
  input: string;
  /** The output folder (mirrors the input tree). */
  output: string;
  /** Decode .wlc files (or archive entries) instead of encoding: images to PNG, audio to WAV, volumes to NIfTI. */
  decode?: boolean;
  /** Codec for encoding (required then); for decoding, overrides the model named in each header. */
  model?: string;
  /** Threads; default the core count; 0 runs on the calling thread. */
  jobs?: number;
  /** Extensions to pick up when walking a folder (default: those of the model's modality, or .wlc when decoding). */
  extensions?: ReadonlySet<string>;
  /** A list file of inputs (relative to `input`) instead of walking the folder; `listText` gives its contents directly. */
  list?: string;
  listText?: string;
  shard?: Shard;
  /** JSON-lines log of every input (appended). */
  manifest?: string;
  /** Failed inputs, one per line (rewritten each run). */
  errors?: string;
  /** After the batch, pack all outputs into this archive (.wlc or .tar). */
  archive?: string;
  limits?: ImageLimits;
  /** fsync outputs before renaming them into place (default true). */
  fsync?: boolean;
  /** Redo finished outputs instead of skipping them. */
  force?: boolean;
  signal?: AbortSignal;
  /** Called after each result, for progress displays. */
  onResult?: (r: TaskResult, s: BatchSummary) => void;
}

export interface BatchSummary {
  /** Inputs this run is responsible for (after sharding). */
  files: number;
  done: number;
  skipped: number;
  failed: number;
  /** Input and output bytes of the files done or skipped. */
  bytesIn: number;
  bytesOut: number;
  /** Megapixels of images encoded or decoded (done files only). */
  megapixels: number;
  /** Seconds of audio encoded or decoded (done files only). */
  audioSeconds: number;
  /** Megavoxels of volumes encoded or decoded (done files only). */
  megavoxels: number;
  /** What an encode batch reads (the model's modality); undefined when decoding or extracting. */
  modality?: Modality;
  wallSeconds: number;
  jobs: number;
  interrupted: boolean;
  /** Temporary files of killed runs that were removed at start. */
  staleTemps: number;
  archive?: { path: string; entries: number; bytes: number };
}

/** Where the inputs come from: planned tasks (lazily for archives, whose size may be unknown). */
function sourceTasks(opts: BatchOptions, refusedOut: TaskResult[]): { total?: number; items: Iterator<WorkItem> } {
  if (isArchiveFile(opts.input)) {
    const mode = opts.decode ? 'decode' : 'extract';
    const items = (function* () {
      // Output stems already taken, with the entry that took them (every shard reads every entry,
      // so all agree on which of two colliding entries wins: the first).
      const taken = new Map<string, string>();
      for (const e of readArchive(opts.input)) {
        // Entry names come from the archive, so from whoever made it: one that would write outside
        // OUT, or one whose output an earlier entry already writes (`a.wlc`, `a.WLC`, `a`), fails
        // on its own and the rest go on.
        let bad = unsafeRelativeName(e.name);
        const stem = bad ? undefined : outputPath(e.name, opts.output, mode, '');
        const first = stem === undefined ? undefined : taken.get(stem);
        if (first !== undefined) bad = `entry ${JSON.stringify(first)} writes the same output (it was kept)`;
        else if (stem !== undefined) taken.set(stem, e.name);
        if (opts.shard && shardOf(e.name, opts.shard.count) !== opts.shard.index) continue;
        if (bad) {
          const err = werr('WALLOC_ERR_ARCHIVE', { path: opts.input, reason: `entry ${JSON.stringify(e.name)} is refused: ${bad}` });
          yield { mode, input: resolve(opts.input), rel: e.name, output: resolve(opts.output), refused: { code: err.code, message: err.message } } satisfies WorkItem;
          continue;
        }
        const output = mode === 'decode' ? decodedEntryOutput(e.name, e.wlc, opts.output) : outputPath(e.name, opts.output, mode);
        yield { mode, input: resolve(opts.input), rel: e.name, output, data: e.wlc } satisfies WorkItem;
      }
    })();
    return { items };
  }
  const mode = opts.decode ? 'decode' : 'encode';
  const rels = opts.list !== undefined || opts.listText !== undefined
    ? readList(opts.list ?? '-', opts.input, opts.listText)
    : walkTree(opts.input, opts.extensions ?? (mode === 'encode' ? ENCODE_EXTENSIONS[modalityOfModel(opts.model!)] : DEFAULT_EXTENSIONS.decode));
  const names = planTasks(rels, { inRoot: opts.input, outRoot: opts.output, mode, ...(opts.shard ? { shard: opts.shard } : {}) });
  // Decoded files are named by what they hold (`.png`, `.wav`, `.nii.gz`): each header is peeked.
  const plan = mode === 'decode' ? planDecodeOutputs(names, opts.output) : names;
  for (const r of plan.refused) refusedOut.push({ mode, rel: r.task.rel, input: r.task.input, output: r.task.output, status: 'failed', ms: 0, error: { code: r.code, message: r.message } });
  return { total: plan.tasks.length + plan.refused.length, items: plan.tasks[Symbol.iterator]() };
}

/**
 * Runs a batch to the end (or until `signal` aborts) and returns its summary. Never throws for a
 * failing input: those are counted, logged to `errors`, and the batch carries on.
 *
 * @throws WALLOC_ERR_FILE_NOT_FOUND (no input), WALLOC_ERR_MODEL_* (bad model), WALLOC_ERR_FILE_WRITE (manifest)
 * @example
 * const s = await runBatch({ input: 'photos', output: 'latents', model: 'rgb-16x', manifest: 'run.jsonl' });
 * console.log(`${s.done} encoded, ${s.skipped} already done, ${s.failed} failed`);
 */
export async function runBatch(opts: BatchOptions): Promise<BatchSummary> {
  const t0 = performance.now();
  if (!existsSync(opts.input)) throw werr('WALLOC_ERR_FILE_NOT_FOUND', { path: opts.input });
  if (opts.archive && opts.decode) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: '--archive packs .wlc outputs; it does not go with --decode' });
  if (!opts.decode && !isArchiveFile(opts.input) && opts.model === undefined) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: 'encoding needs a model' });

  const refused: TaskResult[] = [];
  // Plan before starting threads so that a bad input folder or list fails fast.
  const { total, items: tasks } = sourceTasks(opts, refused);
  try {
    return await runPlanned(opts, t0, total, tasks, refused);
  } finally {
    // An archive's reader holds the file open until its generator ends or is returned: an
    // interrupted or failed batch returns it here.
    try {
      tasks.return?.();
    } catch { /* closing the archive failed: the batch's own outcome is what to report */ }
  }
}

async function runPlanned(opts: BatchOptions, t0: number, total: number | undefined, tasks: Iterator<WorkItem>, refused: TaskResult[]): Promise<BatchSummary> {
  const first = tasks.next();
  const staleTemps = existsSync(opts.output) ? sweepStaleTemps(opts.output) : 0;
  const manifest = opts.manifest ? new JsonLinesFile(opts.manifest) : undefined;
  const errors = opts.errors ? new ErrorsFile(opts.errors) : undefined;
  const by = `${hostname()}:${process.pid}`;
  const encoding = !opts.decode && !isArchiveFile(opts.input);

  const s: BatchSummary = { files: 0, done: 0, skipped: 0, failed: 0, bytesIn: 0, bytesOut: 0, megapixels: 0, audioSeconds: 0, megavoxels: 0, wallSeconds: 0, jobs: 0, interrupted: false, staleTemps, ...(encoding ? { modality: modalityOfModel(opts.model!) } : {}) };
  const finished: TaskResult[] = [];
  const record = (r: TaskResult) => {
    s[r.status]++;
    if (r.status !== 'failed') {
      s.bytesIn += r.inBytes ?? 0;
      s.bytesOut += r.outBytes ?? 0;
      finished.push(r);
    }
    if (r.status === 'done') {
      if (r.width && r.height) s.megapixels += (r.width * r.height) / 1e6;
      if (r.seconds) s.audioSeconds += r.seconds;
      if (r.shape) s.megavoxels += r.shape.reduce((a, b) => a * b, 1) / 1e6;
    }
    manifest?.append({ time: new Date().toISOString(), by, ...r });
    if (r.status === 'failed') errors?.add(r);
    opts.onResult?.(r, s);
  };
  // `files` counts up as tasks are handed out, unless the plan's size is known from the start.
  if (total !== undefined) s.files = total;
  for (const r of refused) {
    if (total === undefined) s.files++;
    record(r);
  }

  // Decoding needs no model up front (each header names one); don't load one for nothing.
  const model = isArchiveFile(opts.input) && !opts.decode ? undefined : opts.model;
  const settings: TaskSettings = { ...(model !== undefined ? { model } : {}), limits: opts.limits, fsync: opts.fsync, force: opts.force };
  const pool = await TaskPool.start({ jobs: opts.jobs, settings });
  s.jobs = pool.jobs;
  // Two tasks per thread in flight: a thread never waits for the main thread to hand it the next.
  const window = Math.max(2, 2 * pool.jobs);
  const inflight = new Set<Promise<void>>();
  try {
    let next = first;
    while (!next.done) {
      if (opts.signal?.aborted) {
        s.interrupted = true;
        break;
      }
      const item = next.value;
      if (total === undefined) s.files++;
      const p: Promise<void> = pool.run(item).then((r) => {
        inflight.delete(p);
        record(r);
      });
      inflight.add(p);
      if (inflight.size >= window) await Promise.race(inflight);
      next = tasks.next();
    }
    await Promise.all(inflight);
  } catch (e) {
    // The input failed mid-way (a damaged archive): stop the threads, then remove the temporary
    // files of writes they were in the middle of, so a failed run leaves none.
    await pool.close();
    if (existsSync(opts.output)) sweepStaleTemps(opts.output, { ownProcess: true });
    throw e;
  }
  await pool.close();
  if (opts.signal?.aborted) s.interrupted = true;

  if (opts.archive && !s.interrupted) {
    // The archive is made from the files on disk, in path order, so it is the same whether the
    // outputs were written now or by an earlier, interrupted run.
    const outRoot = resolve(opts.output);
    const names = finished.map((r) => r.output).sort().map((o) => ({ path: o, name: toPosix(relative(outRoot, o)) }));
    const lazy = function* () {
      for (const n of names) yield { name: n.name, wlc: readFileSync(n.path) };
    };
    const a = await writeArchive(opts.archive, lazy(), { format: archiveFormatOf(opts.archive), fsync: opts.fsync, count: names.length, signal: opts.signal });
    s.archive = { path: opts.archive, ...a };
  }
  s.wallSeconds = (performance.now() - t0) / 1000;
  return s;
}

export type { BatchTask };
