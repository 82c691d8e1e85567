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
import { decodeAudioFile, encodeAudioFile } from './audio-file.js';
import { decodeImageFile, encodeImageFile, fileSha256, sha256Hex, type SourceFields } from './encode-file.js';
import { checkDecodedName, modalityOfHeader } from './media.js';
import type { BatchMode, BatchTask, Modality } from './plan.js';
import { decodeVolumeFile, encodeVolumeFile } from './volume-file.js';

/** A task as sent to whoever runs it; archive entries travel with their bytes. */
export interface WorkItem extends BatchTask {
  /** The input's bytes when it does not live in a file of its own (an archive entry). */
  data?: Uint8Array;
  /** Settings for this task only (queue jobs carry their own); else the runner's. */
  settings?: TaskSettings;
  /** A task refused while planning (an unsafe or repeated archive entry name): it fails with this. */
  refused?: { code: string; message: string };
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
  /** What the file holds (encoding: the model's modality; decoding: the header's). */
  modality?: Modality;
  /** Images: the (first) frame's size. */
  width?: number;
  height?: number;
  /** Audio: the recording's length in seconds. */
  seconds?: number;
  /** Volumes: [D, H, W] in voxels. */
  shape?: number[];
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
/** Sleeps WALLOC_BATCH_SLOW_MS before an output is written (the interruption tests' hook). */
const slowDown = async (): Promise<void> => {
  const ms = slowMs();
  if (ms) await new Promise((r) => setTimeout(r, ms));
};

/** The header of a .wlc file's bytes, or undefined when they do not start with a valid one. */
function headerOf(bytes: Uint8Array): WlcHeader | undefined {
  try {
    return decodeHeader(bytes).header;
  } catch {
    return undefined;
  }
}

/**
 * What a complete and undamaged .wlc holds (every CRC checks, end record present, every record its
 * header promises), as the facts a manifest line records; undefined when it is not complete. An
 * audio stream's header does not count its records (they are written as the audio arrives): it is
 * complete with its trailer meta record, which carries the true length.
 */
function completeWlc(bytes: Uint8Array): Pick<TaskResult, 'width' | 'height' | 'seconds' | 'shape'> | undefined {
  try {
    const c = readWlcSync(bytes, { strict: true });
    if (!c.terminated) return undefined;
    const shape = Array.isArray(c.header.shape) ? c.header.shape as number[] : undefined;
    if (c.header.modality === 'audio') {
      const trailer = c.meta.at(-1)?.data as { audioLength?: unknown; sampleRate?: unknown } | undefined;
      if (c.frames.length === 0 || typeof trailer?.audioLength !== 'number' || typeof trailer.sampleRate !== 'number') return undefined;
      return { seconds: trailer.audioLength / trailer.sampleRate };
    }
    if (c.frames.length !== framesOf(c.header)) return undefined;
    if (c.header.modality === 'volume') return shape?.length === 4 ? { shape: shape.slice(1) } : {};
    return shape ? { width: shape[2]!, height: shape[1]! } : {};
  } catch {
    return undefined;
  }
}

/**
 * Runs one task and reports what happened. Never throws for a failure of this task's file.
 *
 * Encoding follows the model's modality (images, recordings or volumes, see ./encode-file.ts,
 * ./audio-file.ts, ./volume-file.ts); decoding follows the header's (to PNG, WAV or .nii.gz).
 *
 * Resume rule for encoding: an existing output is kept when its header records the same input size
 * and sha256 (`sourceBytes`, `sourceSha256`) and model checksum, and the file reads back whole
 * (for audio, with its trailer). Decoded files and extracted entries are kept when present: they
 * only ever appear complete (atomic writes), and an extracted entry is also compared byte for byte.
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
  if (task.refused) return { status: 'failed', error: task.refused };
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
    const modality = codec.model.config.modality as Modality;
    // Cheap test first (the size in the header), the checksum only when the size matches.
    const prev = !settings.force && existsSync(task.output) ? readFileSync(task.output) : undefined;
    const old = prev ? headerOf(prev) : undefined;
    const bytes = readFileSync(task.input);
    const sha = sha256Hex(bytes);
    if (prev && old && old.sourceBytes === size && old.sourceSha256 === sha && old.modelSha256 === codec.model.sha256) {
      const facts = completeWlc(prev);
      if (facts) return { status: 'skipped', modality, inBytes: size, outBytes: prev.length, inSha256: sha, outSha256: sha256Hex(prev), ...facts };
    }
    const fields: SourceFields = { source: task.rel, sourceBytes: bytes.length, sourceSha256: sha };
    let wlc: Buffer;
    let facts: Pick<TaskResult, 'width' | 'height' | 'seconds' | 'shape'>;
    if (modality === 'audio') {
      const enc = await encodeAudioFile(bytes, task.rel, task.input, codec, fields);
      wlc = enc.wlc;
      facts = { seconds: enc.seconds };
    } else if (modality === 'volume') {
      const enc = await encodeVolumeFile(bytes, task.rel, codec, fields, { limits: settings.limits });
      wlc = enc.wlc;
      facts = { shape: enc.shape };
    } else {
      const enc = await encodeImageFile(bytes, task.rel, codec, { limits: settings.limits, sha256: sha });
      wlc = enc.wlc;
      facts = { width: enc.width, height: enc.height };
    }
    await slowDown();
    writeFileAtomic(task.output, wlc, { fsync });
    return { status: 'done', modality, inBytes: bytes.length, outBytes: wlc.length, inSha256: sha, outSha256: sha256Hex(wlc), ...facts };
  }

  const bytes = task.data ?? readInput(task);
  const inSha256 = sha256Hex(bytes);
  if (task.mode === 'extract') {
    // A tar entry carries no checksum of its own: the .wlc's CRCs are checked before it is written.
    if (!completeWlc(bytes)) throw werr('WALLOC_ERR_ARCHIVE', { path: task.rel, reason: 'the entry is not a complete, undamaged .wlc file (a CRC, its end record or frames missing)' });
    if (!settings.force && existsSync(task.output)) {
      const prev = readFileSync(task.output);
      if (prev.equals(bytes)) return { status: 'skipped', inBytes: bytes.length, outBytes: prev.length, inSha256, outSha256: inSha256 };
    }
    await slowDown();
    writeFileAtomic(task.output, bytes, { fsync });
    return { status: 'done', inBytes: bytes.length, outBytes: bytes.length, inSha256, outSha256: inSha256 };
  }

  // decode: the header says what the file holds, and so what it becomes.
  const header = headerOf(bytes);
  const modality = header ? modalityOfHeader(header, task.rel) : 'image';
  // A file that changed since the plan (or a job planned elsewhere) must not be written under
  // another medium's name; an unreadable header fails in the decoder below with its own error.
  if (header) checkDecodedName(task.output, modality, task.rel);
  if (!settings.force && existsSync(task.output)) {
    return { status: 'skipped', modality, inBytes: bytes.length, outBytes: statSync(task.output).size, inSha256 };
  }
  const codecFor = (name: string) => codecs.get(settings.model ?? name);
  let out: Buffer;
  let facts: Pick<TaskResult, 'width' | 'height' | 'seconds' | 'shape'>;
  if (modality === 'audio') {
    // Recordings can be long: the WAV streams to its file instead of being built in memory.
    await slowDown();
    const dec = await decodeAudioFile(bytes, codecFor, task.output, { name: task.rel, fsync });
    const written = await fileSha256(task.output);
    return { status: 'done', modality, inBytes: bytes.length, outBytes: written.bytes, inSha256, outSha256: written.sha256, seconds: dec.seconds };
  }
  if (modality === 'volume') {
    const dec = await decodeVolumeFile(bytes, codecFor, task.rel);
    out = dec.nifti;
    facts = { shape: dec.shape };
  } else {
    const dec = await decodeImageFile(bytes, codecFor, task.rel);
    out = dec.png;
    facts = { width: dec.width, height: dec.height };
  }
  await slowDown();
  writeFileAtomic(task.output, out, { fsync });
  return { status: 'done', modality, inBytes: bytes.length, outBytes: out.length, inSha256, outSha256: sha256Hex(out), ...facts };
}

function readInput(task: BatchTask): Buffer {
  try {
    return readFileSync(task.input);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw code === 'ENOENT' ? werr('WALLOC_ERR_FILE_NOT_FOUND', { path: task.rel }) : werr('WALLOC_ERR_FILE_READ', { path: task.rel, reason: code ?? (e as Error).message });
  }
}
