/**
 * Writing results safely. A file output is written to a temporary name beside the target and
 * renamed into place only when complete, so an interrupted or failed run never leaves a
 * half-written file (and never clobbers a good one). `-` means stdout, which refuses a terminal
 * for binary data unless forced.
 */
import { createWriteStream, renameSync, rmSync, statSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { werr } from '../errors.js';
import { fsyncDir, fsyncFile, outputTarget, outputTempPath } from './atomic.js';

export interface Output {
  stream: NodeJS.WritableStream;
  /** Makes the output visible (rename into place); call after the stream finished. */
  commit(): Promise<void>;
  /** Removes the partial output; safe to call more than once or after commit. */
  abort(): void;
  /** Path shown to people ('-' for stdout). */
  label: string;
}

/**
 * Opens an output: a file path (atomic) or `-` for stdout. `fsync` flushes the file and its folder
 * to disk around the rename (batches, where a machine crash must not leave an empty file behind).
 *
 * @example
 * const out = openOutput('photo.wlc', { stdout: process.stdout });
 * try { await pipeline(src, encoder, writer, out.stream); await out.commit(); } catch (e) { out.abort(); throw e; }
 */
export function openOutput(path: string, opts: { stdout: NodeJS.WritableStream & { isTTY?: boolean }; binary?: boolean; force?: boolean; fsync?: boolean }): Output {
  if (path === '-') {
    if (opts.binary !== false && opts.stdout.isTTY && !opts.force) throw werr('WALLOC_ERR_BINARY_TO_TTY');
    return { stream: opts.stdout, commit: async () => {}, abort: () => {}, label: '-' };
  }
  const target = outputTarget(path);
  if (target.direct) {
    // A pipe or device (-o /dev/null, a FIFO): written in place, like stdout; nothing to rename or remove.
    const stream = createWriteStream(target.path, { flags: 'w' });
    stream.on('error', () => {});
    return {
      stream, label: path,
      commit: async () => { if (!stream.closed) await new Promise<void>((resolve, reject) => stream.close((err) => (err ? reject(err) : resolve()))); },
      abort: () => { stream.destroy(); },
    };
  }
  path = target.path;
  const tmp = outputTempPath(path);
  let file: WriteStream;
  try {
    file = createWriteStream(tmp, { flags: 'wx' });
  } catch (e) {
    throw werr('WALLOC_ERR_FILE_WRITE', { path, reason: (e as Error).message }, e);
  }
  let done = false;
  let aborted = false;
  // Errors opening the temp file surface on the stream; re-raise them with the user's path.
  file.on('error', () => {});
  const cleanup = () => {
    try {
      if (!done) rmSync(tmp, { force: true });
    } catch { /* nothing to remove, or it cannot be: never an error at exit */ }
  };
  process.once('exit', cleanup);
  return {
    stream: file,
    label: path,
    async commit() {
      if (!file.closed) await new Promise<void>((resolve, reject) => file.close((err) => (err ? reject(err) : resolve())));
      try {
        if (opts.fsync) fsyncFile(tmp);
        renameSync(tmp, path);
        if (opts.fsync) fsyncDir(dirname(path));
      } catch (e) {
        rmSync(tmp, { force: true });
        throw werr('WALLOC_ERR_FILE_WRITE', { path, reason: (e as Error).message }, e);
      }
      done = true;
      process.off('exit', cleanup);
    },
    abort() {
      if (done || aborted) return;
      aborted = true;
      // The file may still be opening: remove it now, again once the stream has closed, and at
      // exit until then (a failed command exits promptly, maybe before 'close'), so a temp file
      // created after this call does not survive.
      file.once('close', () => { rmSync(tmp, { force: true }); process.off('exit', cleanup); });
      file.destroy();
      cleanup();
    },
  };
}

/**
 * Runs `work` (which fills the output), then makes the output visible; on any failure removes the
 * partial output instead and rethrows. Every command writes through this, so "a complete output
 * or none" holds in one place.
 *
 * @example
 * await writeAtomically(out, () => pipeline(frames, encoder, writer, out.stream, { signal }));
 */
export async function writeAtomically(out: { commit(): Promise<void>; abort(): void }, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
    await out.commit();
  } catch (e) {
    out.abort();
    throw e;
  }
}

/**
 * Refuses an output that is the input file itself (by device and inode, so through links and
 * other spellings too): writing it would destroy what is being read.
 *
 * @throws WALLOC_ERR_INVALID_ARGUMENT
 * @example
 * checkNotInput('photo.png', 'photo.png'); // throws
 */
export function checkNotInput(input: string, output: string): void {
  if (input === '-' || output === '-') return;
  let a, b;
  try {
    a = statSync(input);
    b = statSync(output);
  } catch {
    return; // one of them does not exist (yet): they cannot be the same file
  }
  if (a.isFile() && a.dev === b.dev && a.ino === b.ino) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `the output ${output} is the input file${input === output ? '' : ` ${input}`}; writing it would destroy the input (choose another output name)` });
  }
}
