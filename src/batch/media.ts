/**
 * What kind of media a batch moves: the model's modality decides what an encode batch reads, and
 * each .wlc file's header decides what a decode batch writes (`.png` for images, `.wav` for audio,
 * `.nii.gz` for volumes). Decoding plans peek at each file's header (its first bytes only), so that
 * outputs, collisions and resume checks are known before any work starts.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { decodeHeader, HEADER_PREFIX_BYTES, type WlcHeader } from '../container/index.js';
import { isWallocError, werr } from '../errors.js';
import { loadModel } from '../models/model-file.js';
import { outputPath, type BatchPlan, type Modality } from './plan.js';

/** The output extension of a decoded file, by the modality its header names. */
export const DECODED_EXTENSIONS: Readonly<Record<Modality, string>> = {
  image: '.png',
  audio: '.wav',
  volume: '.nii.gz',
};

/**
 * The modality a codec model codes.
 *
 * @throws WALLOC_ERR_MODEL_* when the model does not load
 * @example
 * modalityOfModel('stereo-5x'); // 'audio'
 */
export function modalityOfModel(model: string): Modality {
  const m = loadModel(model).config.modality;
  return m === 'audio' || m === 'volume' ? m : 'image';
}

/**
 * The modality a .wlc header names. A header without one is an image stream (walloc-decode reads
 * it as images too); one naming something else is refused.
 *
 * @example
 * modalityOfHeader({ model: 'stereo-5x', modality: 'audio' }); // 'audio'
 */
export function modalityOfHeader(h: WlcHeader, name = 'input'): Modality {
  const m = h.modality ?? 'image';
  if (m === 'image' || m === 'audio' || m === 'volume') return m;
  throw werr('WALLOC_ERR_UNSUPPORTED_INPUT', { path: name, reason: `it holds ${String(m)}, which batch does not decode (images, audio or volumes)` });
}

/**
 * Reads just the header of the .wlc file at `path` (its 9-byte prefix says how long the header is).
 * A damaged or foreign file fails with the container's coded error.
 *
 * @throws WALLOC_ERR_CONTAINER_* (not a .wlc, damaged header), WALLOC_ERR_FILE_READ
 * @example
 * peekHeader('out/a.wlc').modality; // 'audio'
 */
export function peekHeader(path: string, name = path): WlcHeader {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw code === 'ENOENT' ? werr('WALLOC_ERR_FILE_NOT_FOUND', { path: name }) : werr('WALLOC_ERR_FILE_READ', { path: name, reason: code ?? (e as Error).message });
  }
  try {
    // Headers are a few hundred bytes: one small read usually holds all of it; a longer one
    // (up to the container's own limit, checked by decodeHeader) takes a second read.
    const first = Buffer.alloc(4096);
    const n = readSync(fd, first, 0, first.length, 0);
    let bytes = first.subarray(0, n);
    if (n >= HEADER_PREFIX_BYTES) {
      const want = HEADER_PREFIX_BYTES + bytes.readUInt32LE(5) + 4;
      if (want > n && want <= (16 << 20)) {
        const all = Buffer.alloc(want);
        bytes = all.subarray(0, readSync(fd, all, 0, want, 0));
      }
    }
    return decodeHeader(bytes).header;
  } finally {
    closeSync(fd);
  }
}

/**
 * Gives each decode task of a plan the output extension its header asks for (`a.wlc` holding audio
 * → `a.wav`). A file whose header cannot be read becomes a refused task with the header's coded
 * error: the batch reports it and carries on. Collisions were decided by `planTasks` on the stem
 * (`a.wlc` and `a.foo` both want `a.*`), before sharding, so every shard still agrees on them.
 *
 * @example
 * const plan = planDecodeOutputs(planTasks(walkTree('latents', exts), { inRoot: 'latents', outRoot: 'back', mode: 'decode' }), 'back');
 */
export function planDecodeOutputs(plan: BatchPlan, outRoot: string): BatchPlan {
  const tasks: BatchPlan['tasks'] = [];
  const refused = [...plan.refused];
  for (const task of plan.tasks) {
    try {
      const ext = DECODED_EXTENSIONS[modalityOfHeader(peekHeader(task.input, task.rel), task.rel)];
      tasks.push({ ...task, output: outputPath(task.rel, outRoot, 'decode', ext) });
    } catch (e) {
      if (!isWallocError(e)) throw e;
      refused.push({ task, code: e.code, message: e.message.includes(task.rel) ? e.message : `${task.rel}: ${e.message}` });
    }
  }
  return { ...plan, tasks, refused };
}

/**
 * The decoded output path of an archive entry (its bytes are at hand, so no peeking): the entry's
 * header decides the extension; an unreadable header keeps `.png`, and the task then fails with
 * the header's error.
 *
 * @example
 * decodedEntryOutput('a/b.wlc', entry.wlc, 'restored'); // '/…/restored/a/b.wav' for audio
 */
export function decodedEntryOutput(name: string, wlc: Uint8Array, outRoot: string): string {
  let ext = DECODED_EXTENSIONS.image;
  try {
    ext = DECODED_EXTENSIONS[modalityOfHeader(decodeHeader(wlc).header, name)];
  } catch (e) {
    if (!isWallocError(e)) throw e;
  }
  return outputPath(name, outRoot, 'decode', ext);
}

/**
 * Refuses to write a decoded file under a name that does not fit what the stream holds (the file
 * changed since the batch was planned, or a queue job planned elsewhere).
 *
 * @example
 * checkDecodedName('/out/a.png', 'audio', 'a.wlc'); // throws WALLOC_ERR_UNSUPPORTED_INPUT
 */
export function checkDecodedName(output: string, modality: Modality, name: string): void {
  const want = DECODED_EXTENSIONS[modality];
  if (!output.toLowerCase().endsWith(want)) {
    throw werr('WALLOC_ERR_UNSUPPORTED_INPUT', { path: name, reason: `it holds ${modality}, which decodes to ${want}, but the batch planned ${basename(output)} for it (the file changed since it was planned; plan the batch again)` });
  }
}
