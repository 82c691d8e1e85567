/**
 * Atomic file writes, for every file walloc writes (outputs, batch results, model folders,
 * checkpoints). An output appears under its name only once it is complete and on
 * disk: bytes go to a temporary dot-file beside the target, are fsync'ed, and the file is renamed
 * into place (rename is atomic within a folder on POSIX file systems). So SIGINT, kill -9 or a power
 * cut leave either the old state or the whole new file, and a rerun can trust every visible output.
 *
 * Temporary names carry host, pid and thread id: two writers (threads, processes, or machines on a
 * shared file system) never share one, and a later run can tell which leftovers belong to dead
 * processes on this host and remove them.
 */
import { accessSync, closeSync, constants, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { threadId } from 'node:worker_threads';
import { isWallocError, werr } from '../errors.js';

/** Host names may hold dots and dashes; keep only what is safe in a file name. */
const HOST = hostname().replace(/[^A-Za-z0-9_]/g, '_') || 'host';
const TEMP_RE = /^\..+\.wtmp-([A-Za-z0-9_]+)-(\d+)-(\d+)(\.[A-Za-z0-9]+)?$/;
let counter = 0;

/**
 * Where an output really goes. A name that is, or links to, a FIFO, a device or a socket
 * (`-o /dev/null`, `-o /dev/stdout`, a named pipe another program reads, `>(cmd)`) is written
 * directly: a temporary file renamed over it would replace the special file with a regular one
 * (and, as root, break /dev/null for the whole machine). Anything else, a link to a file included,
 * gets the usual temporary file and rename: a link is replaced, not followed, so a link planted in
 * a shared folder cannot redirect the write into someone else's file.
 *
 * @example
 * outputTarget('/dev/null');   // { path: '/dev/null', direct: true }
 * outputTarget('out.png');     // { path: 'out.png', direct: false }
 */
export function outputTarget(path: string): { path: string; direct: boolean } {
  let st;
  try {
    st = statSync(path); // follows links: /dev/stdout → a pipe, /dev/fd/63 → a FIFO
  } catch {
    return { path, direct: false }; // missing (or a dangling link): a new file
  }
  return { path, direct: !st.isFile() && !st.isDirectory() };
}

/**
 * For writers that make the file themselves (ffmpeg): the name to write to, and how to finish or
 * undo. A temporary name that keeps the extension, renamed into place on commit; or, for a FIFO or
 * device ({@link outputTarget}), the target itself, never renamed or removed.
 *
 * @example
 * const out = renamedOutput('clip.mkv'); spawn(ffmpeg, [..., '-y', out.tmp]); … out.commit();
 */
export function renamedOutput(path: string): { tmp: string; commit(): void; abort(): void } {
  const t = outputTarget(path);
  if (t.direct) return { tmp: t.path, commit: () => {}, abort: () => {} };
  const tmp = outputTempPath(t.path, true);
  return { tmp, commit: () => renameSync(tmp, t.path), abort: () => rmSync(tmp, { force: true }) };
}

/**
 * A fresh temporary name beside `path` for this thread, hidden (a dot-file) and unique. With
 * `keepExt` it ends in `path`'s extension, for writers that pick the format from the name (sharp,
 * ffmpeg).
 *
 * @example
 * tempPathFor('out/clip.mkv', true); // 'out/.clip.mkv.7.wtmp-host-4242-0.mkv'
 */
export function tempPathFor(path: string, keepExt = false): string {
  return join(dirname(path), `.${clip(basename(path), 120)}.${++counter}.wtmp-${HOST}-${process.pid}-${threadId}${keepExt ? extname(path) : ''}`);
}

/** `name` cut to at most `bytes` UTF-8 bytes on a character boundary (file names hold 255 bytes). */
function clip(name: string, bytes: number): string {
  if (Buffer.byteLength(name) <= bytes) return name;
  let out = '';
  let used = 0;
  for (const ch of name) {
    used += Buffer.byteLength(ch);
    if (used > bytes) break;
    out += ch;
  }
  return out;
}

/**
 * Checks that the folder of an output the user named exists (outputs do not create folders, so a
 * typo in `-o` is an error before any work starts, not a new tree).
 *
 * @throws WALLOC_ERR_FILE_WRITE naming `path`
 * @example
 * checkOutputFolder('nodir/x.png'); // throws: nodir/x.png: cannot write (the folder nodir does not exist)
 */
export function checkOutputFolder(path: string): void {
  if (path === '') throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: 'the output name is empty' });
  let isFolderItself = false;
  try {
    isFolderItself = statSync(path).isDirectory();
  } catch { /* does not exist yet: the usual case */ }
  if (isFolderItself) throw werr('WALLOC_ERR_FILE_WRITE', { path, reason: 'it is a folder; name a file in it' });
  const dir = dirname(path);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw werr('WALLOC_ERR_FILE_WRITE', { path, reason: `the folder ${dir} does not exist` });
  }
  if (!isDir) throw werr('WALLOC_ERR_FILE_WRITE', { path, reason: `${dir} is not a folder` });
}

/**
 * Creates `dir` and its missing parents one level at a time. Node 20's `mkdirSync(…, { recursive:
 * true })` loops forever where a parent refuses new entries with ENOENT (under /proc, say); this
 * stops at the first refusal with a coded error.
 *
 * @throws WALLOC_ERR_FILE_WRITE naming `dir`
 * @example
 * makeFolders('out/a/b');
 */
export function makeFolders(dir: string): void {
  const missing: string[] = [];
  for (let d = resolve(dir); !existsSync(d); d = dirname(d)) {
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && isFolder(d)) continue;
      throw werr('WALLOC_ERR_FILE_WRITE', { path: dir, reason: `cannot create ${d} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` }, e);
    }
  }
  if (!isFolder(dir)) throw werr('WALLOC_ERR_FILE_WRITE', { path: dir, reason: 'it exists and is not a folder (or a link to nowhere)' });
}

const isFolder = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false; // a dangling link
  }
};

/** What a trainer may do with a model already in its --out folder. */
export interface ModelFolderOptions {
  /** --force: replace it. */
  force?: boolean;
  /** --resume: go on training it (allowed only when its checkpoint is there). */
  resume?: boolean;
  /** The file a resume continues from (default train-state.json; a token classifier resumes from its model). */
  checkpoint?: string;
}

/**
 * Checks, before any work, that a model folder can be written: a non-empty name, not an existing
 * file, the nearest existing folder on its path writable, and no model in it unless the run
 * continues it (`resume`) or replaces it (`force`): a retrain into the wrong folder would
 * otherwise replace a trained model (a bundled one included) and strand every .wlc made with it.
 * Nothing is created, so a run refused later (bad data, bad options) leaves no empty folder behind.
 *
 * @throws WALLOC_ERR_INVALID_ARGUMENT for an empty name, WALLOC_ERR_MODEL_EXISTS, WALLOC_ERR_FILE_WRITE
 * @example
 * checkModelFolder('fixtures/models/my-codec', { resume: o.resume, force: o.force });
 */
export function checkModelFolder(dir: string, opts: ModelFolderOptions = {}): void {
  if (dir.trim() === '') throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: '--out needs a folder name' });
  const existing = join(dir, 'model.json');
  // --resume with nothing to resume from would start afresh and replace the model (a bundled
  // folder holds no checkpoint): that takes --force too.
  const checkpoint = existsSync(join(dir, opts.checkpoint ?? 'train-state.json'));
  if (!opts.force && !(opts.resume && checkpoint) && existsSync(existing)) {
    let model = 'model.json';
    try {
      const c = JSON.parse(readFileSync(existing, 'utf8')) as { name?: unknown; kind?: unknown };
      if (typeof c.name === 'string') model = `${c.name}${typeof c.kind === 'string' ? `, a ${c.kind}` : ''}`;
    } catch { /* a damaged model.json is still a model folder */ }
    const hint = opts.resume ? `there is no checkpoint to resume from, so the run would replace it: --force to do that, or give another --out`
      : `${checkpoint ? '--resume continues its training, ' : ''}--force replaces it, or give another --out`;
    throw werr('WALLOC_ERR_MODEL_EXISTS', { path: dir, model, hint });
  }
  let d = resolve(dir);
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  if (!statSync(d).isDirectory()) throw werr('WALLOC_ERR_FILE_WRITE', { path: dir, reason: d === resolve(dir) ? 'it exists and is not a folder' : `${d} is a file, not a folder` });
  try {
    accessSync(d, constants.W_OK);
  } catch {
    throw werr('WALLOC_ERR_FILE_WRITE', { path: dir, reason: `the folder ${d} is not writable` });
  }
}

/**
 * {@link tempPathFor} for a file the user named, after {@link checkOutputFolder}.
 *
 * @example
 * const tmp = outputTempPath('out/clip.mkv', true);
 */
export function outputTempPath(path: string, keepExt = false): string {
  checkOutputFolder(path);
  return tempPathFor(path, keepExt);
}

/**
 * Writes `data` to `path` atomically (temp file, fsync, rename), creating parent folders.
 * `fsync: false` skips the flush to disk (still atomic against crashes of the process, not of the
 * machine); useful on throwaway scratch space.
 *
 * @throws WALLOC_ERR_FILE_WRITE
 * @example
 * writeFileAtomic('out/a/b.wlc', bytes);
 */
export function writeFileAtomic(target: string, data: Uint8Array, opts: { fsync?: boolean } = {}): void {
  const { path, direct } = outputTarget(target);
  let tmp: string | undefined;
  try {
    if (direct) {
      const fd = openSync(path, 'w');
      try {
        let off = 0;
        while (off < data.length) off += writeSync(fd, data, off, data.length - off);
      } finally {
        closeSync(fd);
      }
      return;
    }
    makeFolders(dirname(path));
    tmp = tempPathFor(path);
    const fd = openSync(tmp, 'wx');
    try {
      let off = 0;
      while (off < data.length) off += writeSync(fd, data, off, data.length - off);
      if (opts.fsync !== false) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    tmp = undefined;
    if (opts.fsync !== false) fsyncDir(dirname(path));
  } catch (e) {
    if (tmp !== undefined) rmSync(tmp, { force: true });
    if (isWallocError(e)) throw e; // makeFolders' own, which names the folder it could not make
    throw werr('WALLOC_ERR_FILE_WRITE', { path, reason: (e as NodeJS.ErrnoException).code ?? (e as Error).message }, e);
  }
}

/**
 * Flushes a closed file to disk before it is renamed into place (what writeFileAtomic does with its
 * open descriptor, for writers that stream through a WriteStream).
 */
export function fsyncFile(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes the rename itself durable; some file systems refuse to open folders, which is harmless. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* best effort */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Removes temporary files that a killed batch on this host left under `root` (those whose process
 * is gone; with `ownProcess`, this process's too, once its writers have stopped). Temporaries of live processes and of other hosts are left alone, so it is safe while
 * other shards write into the same tree. Returns how many were removed.
 *
 * @example
 * sweepStaleTemps('out'); // after a kill -9, before the rerun
 */
export function sweepStaleTemps(root: string, opts: { ownProcess?: boolean } = {}): number {
  let removed = 0;
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (!e.name.startsWith('.')) walk(p);
        continue;
      }
      const m = TEMP_RE.exec(e.name);
      if (m && m[1] === HOST && ((opts.ownProcess && Number(m[2]) === process.pid) || !alive(Number(m[2])))) {
        rmSync(p, { force: true });
        removed++;
      }
    }
  };
  walk(root);
  return removed;
}

/** A file being written piece by piece that appears under its name only on {@link AtomicFile.commit}. */
export interface AtomicFile {
  /** Writes all of `data`; on a pipe whose reader is slow, waits for room (without blocking Node). */
  write(data: Uint8Array): Promise<void>;
  /** Flushes, closes and renames into place. */
  commit(): void;
  /** Closes and removes the temporary file; safe after commit. */
  abort(): void;
  /** Bytes written so far. */
  readonly bytes: number;
}

/** How often a write to a FIFO looks again for a reader, or for room in a full pipe. */
const FIFO_POLL_MS = 20;

/** The abort reason as the error to throw (WALLOC_ERR_INTERRUPTED from the CLI's signal). */
const aborted = (signal: AbortSignal): Error => (signal.reason instanceof Error ? signal.reason : werr('WALLOC_ERR_INTERRUPTED', { signal: 'abort' }));

/**
 * Opens a FIFO for writing without blocking Node: a blocking open() waits for a reader inside the
 * event loop, where not even Ctrl-C is heard. The descriptor is non-blocking, so writes meet a
 * full pipe as EAGAIN and wait for room ({@link AtomicFile.write}).
 */
async function openFifo(path: string, signal?: AbortSignal): Promise<number> {
  for (;;) {
    if (signal?.aborted) throw aborted(signal);
    try {
      return openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENXIO') throw e; // ENXIO: no reader yet
    }
    await sleep(FIFO_POLL_MS);
  }
}

/**
 * Opens `path` for an atomic, incremental write (for archives too big to hold in memory). A FIFO
 * (`--archive pipe`) is written in place, once a reader has opened it; `signal` stops the wait.
 *
 * @example
 * const f = await openAtomic('dataset.wlc');
 * try { for (const b of chunks) await f.write(b); f.commit(); } catch (e) { f.abort(); throw e; }
 */
export async function openAtomic(target: string, opts: { fsync?: boolean; signal?: AbortSignal } = {}): Promise<AtomicFile> {
  const { path, direct } = outputTarget(target);
  const fail = (e: unknown) => (isWallocError(e) ? e : werr('WALLOC_ERR_FILE_WRITE', { path, reason: (e as NodeJS.ErrnoException).code ?? (e as Error).message }, e));
  let tmp: string;
  let fd: number | undefined;
  try {
    if (direct) {
      tmp = path;
      fd = statSync(path).isFIFO() ? await openFifo(path, opts.signal) : openSync(path, 'w');
    } else {
      makeFolders(dirname(path));
      tmp = tempPathFor(path);
      fd = openSync(tmp, 'wx');
    }
  } catch (e) {
    throw fail(e);
  }
  let bytes = 0;
  let finished = false;
  const file: AtomicFile = {
    get bytes() {
      return bytes;
    },
    async write(data) {
      try {
        let off = 0;
        while (off < data.length) {
          try {
            off += writeSync(fd!, data, off, data.length - off);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e; // a full pipe: wait for room
            if (opts.signal?.aborted) throw aborted(opts.signal);
            await sleep(FIFO_POLL_MS);
          }
        }
        bytes += data.length;
      } catch (e) {
        throw fail(e);
      }
    },
    commit() {
      try {
        if (opts.fsync !== false && !direct) fsyncSync(fd!);
        closeSync(fd!);
        fd = undefined;
        if (!direct) renameSync(tmp, path);
        finished = true;
        if (opts.fsync !== false && !direct) fsyncDir(dirname(path));
      } catch (e) {
        this.abort();
        throw fail(e);
      }
    },
    abort() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      // Never remove a special file written directly (it is the device or pipe itself).
      if (!finished && !direct) rmSync(tmp, { force: true });
      finished = true;
    },
  };
  return file;
}
