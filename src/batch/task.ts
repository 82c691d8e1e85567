/**
 * Running one batch task, wherever it runs (a pool thread, a queue worker, or inline): the resume
 * check, the work, the atomic write, and a result record that never throws. Failures of one file
 * become a `failed` result with the error's code; the batch carries on.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { Codec } from '../codec/codec.js';
import { decodeHeader, framesOf, readWlcSync, type WlcHeader } from '../container/index.js';
import { isWallocError, werr } from '../errors.js';
import type { ImageLimits } from '../io/limits.js';
import { writeFileAtomic } from '../io/atomic.js';
import { decodeImageFile, encodeImageFile, sha256Hex } from './encode-file.js';
import type { BatchMode, BatchTask } from './plan.js';

/** A task as sent to whoever runs it; archive entries travel with their bytes. */
export interface WorkItem extends BatchTask {
  /** The input's bytes when it does not live in a file of its own (an archive entry). */
  data?: Uint8Array;
  /** Settings for this task only (queue jobs carry their own); else the runner's. */
  settings?: TaskSettings;
}

/** What became of one task: one line of the manifest. */
export interface TaskResult {
  mode: BatchMode;
  /** Input path relative to the batch root. */
  rel: string;
  input: string;
  output: string;
  /** done: written now; skipped: a complete, matching output was already there; failed: see error. */
  status: 'done' | 'skipped' | 'failed';
  inBytes?: number;
  outBytes?: number;
  inSha256?: string;
  outSha256?: string;
  width?: number;
  height?: number;
  /** Wall time spent on this task in milliseconds. */
  ms: number;
  error?: { code: string; message: string };
}

/** Settings shared by every task of a batch. */
export interface TaskSettings {
  /** Codec model for encoding (name or folder); decoding follows each file's header unless given. */
  model?: string;
  limits?: ImageLimits;
  /** Flush outputs to disk before renaming them into place (default true). */
  fsync?: boolean;
  /** Redo tasks whose outputs are already complete (default false: skip them). */
  force?: boolean;
}

/**
 * Loads each codec once per thread: loading checks the model's checksum, which costs more than
 * encoding a small image.
 */
export class CodecCache {
  private readonly codecs = new Map<string, Codec>();

  get(nameOrPath: string): Codec {
    let c = this.codecs.get(nameOrPath);
    if (!c) {
      c = Codec.load(nameOrPath);
      this.codecs.set(nameOrPath, c);
    }
    return c;
  }

  dispose(): void {
    for (const c of this.codecs.values()) c.dispose();
    this.codecs.clear();
  }
}

/** Test and demo hook: sleep this long inside every task, so that a run can be interrupted mid-way. */
const slowMs = (): number => Number(process.env.WALLOC_BATCH_SLOW_MS ?? 0) || 0;

/** The header of a .wlc file's bytes, or undefined when they do not start with a valid one. */
const headerOf = (bytes: Uint8Array): WlcHeader | undefined => {
  try {
    return decodeHeader(bytes).header;
  } catch {
    return undefined;
  }
};

/** True when the .wlc at `path` is complete and undamaged (every CRC checks, end record present). */
function completeWlc(bytes: Uint8Array): boolean {
  try {
    const c = readWlcSync(bytes, { strict: true });
    return c.terminated && c.frames.length === framesOf(c.header);
  } catch {
    return false;
  }
}

/**
 * Runs one task and reports what happened. Never throws for a failure of this task's file.
 *
 * Resume rule for encoding: an existing output is kept when its header records the same input size
 * and sha256 (`sourceBytes`, `sourceSha256`) and model checksum, and the file reads back whole.
 * Decoded images and extracted entries are kept when present: they only ever appear complete
 * (atomic writes), and an extracted entry is also compared byte for byte.
 *
 * @example
 * const r = await runTask({ mode: 'encode', input: '/in/a.jpg', rel: 'a.jpg', output: '/out/a.wlc' }, { model: 'rgb-16x' }, new CodecCache());
 * if (r.status === 'failed') console.error(r.error.message);
 */
export async function runTask(task: WorkItem, defaults: TaskSettings, codecs: CodecCache): Promise<TaskResult> {
  const settings = task.settings ?? defaults;
  const t0 = performance.now();
  const base = { mode: task.mode, rel: task.rel, input: task.input, output: task.output };
  try {
    const r = await runTaskOrThrow(task, settings, codecs);
    return { ...base, ...r, ms: performance.now() - t0 };
  } catch (e) {
    const error = isWallocError(e) ? { code: e.code, message: e.message } : { code: 'WALLOC_ERR_INTERNAL', message: (e as Error)?.message ?? String(e) };
    return { ...base, status: 'failed', ms: performance.now() - t0, error };
  }
}

type Outcome = Omit<TaskResult, 'mode' | 'rel' | 'input' | 'output' | 'ms'>;

async function runTaskOrThrow(task: WorkItem, settings: TaskSettings, codecs: CodecCache): Promise<Outcome> {
  const fsync = settings.fsync !== false;
  if (task.mode === 'encode') {
    const model = settings.model;
    if (model === undefined) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: 'encoding needs a model' });
    const codec = codecs.get(model);
    let size: number;
    try {
      size = statSync(task.input).size;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw code === 'ENOENT' ? werr('WALLOC_ERR_FILE_NOT_FOUND', { path: task.rel }) : werr('WALLOC_ERR_FILE_READ', { path: task.rel, reason: code ?? (e as Error).message });
    }
    // Cheap test first (the size in the header), the checksum only when the size matches.
    const prev = !settings.force && existsSync(task.output) ? readFileSync(task.output) : undefined;
    const old = prev ? headerOf(prev) : undefined;
    const bytes = readFileSync(task.input);
    const sha = sha256Hex(bytes);
    if (prev && old && old.sourceBytes === size && old.sourceSha256 === sha && old.modelSha256 === codec.model.sha256 && completeWlc(prev)) {
      const shape = old.shape as number[] | undefined;
      return { status: 'skipped', inBytes: size, outBytes: prev.length, inSha256: sha, outSha256: sha256Hex(prev), ...(shape ? { width: shape[2]!, height: shape[1]! } : {}) };
    }
    const enc = await encodeImageFile(bytes, task.rel, codec, { limits: settings.limits, sha256: sha });
    if (slowMs()) await new Promise((r) => setTimeout(r, slowMs()));
    writeFileAtomic(task.output, enc.wlc, { fsync });
    return { status: 'done', inBytes: bytes.length, outBytes: enc.wlc.length, inSha256: sha, outSha256: sha256Hex(enc.wlc), width: enc.width, height: enc.height };
  }

  const bytes = task.data ?? readInput(task);
  const inSha256 = sha256Hex(bytes);
  if (task.mode === 'extract') {
    if (!settings.force && existsSync(task.output)) {
      const prev = readFileSync(task.output);
      if (prev.equals(bytes)) return { status: 'skipped', inBytes: bytes.length, outBytes: prev.length, inSha256, outSha256: inSha256 };
    }
    if (slowMs()) await new Promise((r) => setTimeout(r, slowMs()));
    writeFileAtomic(task.output, bytes, { fsync });
    return { status: 'done', inBytes: bytes.length, outBytes: bytes.length, inSha256, outSha256: inSha256 };
  }

  // decode
  if (!settings.force && existsSync(task.output)) {
    return { status: 'skipped', inBytes: bytes.length, outBytes: statSync(task.output).size, inSha256 };
  }
  const dec = await decodeImageFile(bytes, (name) => codecs.get(settings.model ?? name), task.rel);
  if (slowMs()) await new Promise((r) => setTimeout(r, slowMs()));
  writeFileAtomic(task.output, dec.png, { fsync });
  return { status: 'done', inBytes: bytes.length, outBytes: dec.png.length, inSha256, outSha256: sha256Hex(dec.png), width: dec.width, height: dec.height };
}

function readInput(task: BatchTask): Buffer {
  try {
    return readFileSync(task.input);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw code === 'ENOENT' ? werr('WALLOC_ERR_FILE_NOT_FOUND', { path: task.rel }) : werr('WALLOC_ERR_FILE_READ', { path: task.rel, reason: code ?? (e as Error).message });
  }
}
