/**
 * Dataset archives: a converted dataset as one file, to ship it or stream it into `classify` or a
 * training loop without touching thousands of small files.
 *
 * Two formats, picked by the archive's extension:
 * - `.wlc`: one .wlc stream of many files. Its header holds the codec fields all entries share plus
 *   `archive: "walloc-batch/2"` and `entries`; then, per file, a meta record
 *   `{path, header}` (the entry's relative .wlc name and its full single-file header) followed by
 *   its frame records (one per page for an animated image: as many as the header's `frames`). Any .wlc reader can stream it (frames are ordinary records); extracting an
 *   entry rebuilds exactly the file the batch wrote. Audio entries hold a varying number of
 *   records and meta records of their own (the trailer with the true length), which an entry
 *   record of layout 2 cannot describe: audio archives are `walloc-batch/3`, whose entry record
 *   also says how many frame records follow (`records`) and carries the entry's own meta records
 *   (`meta`: `[{before, data}]`, `before` = frames of the entry that precede it).
 * - `.tar`: a POSIX ustar archive of the .wlc files, for tools that know tar and not walloc.
 *   Entries are written with mtime 0, uid/gid 0 and mode 0644, so the archive is a function of the
 *   files alone.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import {
  WlcParser, decodeHeader, inStreamOrder, framesOf, encodeHeader, encodeRecord, encodeFramePayload, encodeMetaPayload, readWlcSync, writeWlc,
  RecordType, type WlcHeader,
} from '../container/index.js';
import { isWallocError, werr } from '../errors.js';
import type { Frame } from '../frame.js';
import { openAtomic } from '../io/atomic.js';

export type ArchiveFormat = 'wlc' | 'tar';

/**
 * Marks a .wlc stream as a dataset archive (and its layout version). Version 2 lets an entry hold
 * several frame records (an animated image's pages); a version-1 reader, which expects one frame
 * per entry, refuses it instead of misreading it. Version-1 archives are still read.
 */
export const ARCHIVE_TAG = 'walloc-batch/2';

/**
 * The layout of archives whose entries count their records and carry meta records (audio). Only
 * those archives use it, so that image and volume archives stay readable by older walloc; an older
 * reader refuses a layout-3 archive by name rather than misreading it.
 */
export const ARCHIVE_TAG_STREAMS = 'walloc-batch/3';

/** The archive layouts this reader understands. */
const READABLE_TAGS: readonly string[] = ['walloc-batch/1', ARCHIVE_TAG, ARCHIVE_TAG_STREAMS];

/** The header fields every entry of a .wlc archive must share (the codec). */
const SHARED_FIELDS = ['model', 'modelSha256', 'modality', 'levels', 'wavelet', 'latentDim', 'bits', 'pack'] as const;

/** One entry of an archive. */
export interface ArchiveEntry {
  /** The entry's relative name, a `.wlc` path (`cats/1.wlc`). */
  name: string;
  /** The original input's relative path as recorded in the entry's header (`cats/1.jpg`), if any. */
  source?: string;
  /** The complete .wlc file. */
  wlc: Buffer;
}

/** The archive format for a path: `.tar` is tar, anything else a .wlc archive. */
export function archiveFormatOf(path: string): ArchiveFormat {
  return extname(path).toLowerCase() === '.tar' ? 'tar' : 'wlc';
}

// ---------------------------------------------------------------------------------------------
// tar (ustar)

const BLOCK = 512;

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

/** Splits a long name into ustar's prefix (≤155) and name (≤100) at a slash. */
function splitName(name: string): [string, string] {
  if (Buffer.byteLength(name) <= 100) return ['', name];
  for (let i = name.lastIndexOf('/'); i > 0; i = name.lastIndexOf('/', i - 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100) return [prefix, rest];
  }
  throw werr('WALLOC_ERR_ARCHIVE', { path: name, reason: 'the name is too long for a ustar archive (100 + 155 bytes)' });
}

function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  const [prefix, base] = splitName(name);
  h.write(base, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write('0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

const cstr = (b: Buffer, off: number, len: number): string => {
  const s = b.subarray(off, off + len);
  const z = s.indexOf(0);
  return s.subarray(0, z < 0 ? len : z).toString('utf8');
};

// ---------------------------------------------------------------------------------------------
// writing

/**
 * Writes an archive of .wlc files (images: one frame each, or one per page; volumes: one record;
 * audio: its records and trailer), atomically. Entries are written in the order given (sort them
 * for a reproducible archive).
 *
 * @throws WALLOC_ERR_ARCHIVE when a .wlc archive would mix models or an entry is incomplete
 * @example
 * await writeArchive('cats.wlc', [{ name: 'cats/1.wlc', wlc: readFileSync('out/cats/1.wlc') }]);
 * await writeArchive('cats.tar', entries);
 */
export async function writeArchive(path: string, entries: Iterable<{ name: string; wlc: Uint8Array }>, opts: { format?: ArchiveFormat; fsync?: boolean; count?: number; signal?: AbortSignal } = {}): Promise<{ entries: number; bytes: number }> {
  const format = opts.format ?? archiveFormatOf(path);
  // With the count known up front, entries are read one at a time (e.g. lazily from disk).
  const list = opts.count === undefined ? [...entries] : entries;
  const count = opts.count ?? (list as unknown[]).length;
  let written = 0;
  const out = await openAtomic(path, { fsync: opts.fsync, signal: opts.signal });
  try {
    if (format === 'tar') {
      for (const e of list) {
        await out.write(tarHeader(e.name, e.wlc.length));
        await out.write(e.wlc);
        const pad = (BLOCK - (e.wlc.length % BLOCK)) % BLOCK;
        if (pad) await out.write(Buffer.alloc(pad));
        written++;
      }
      await out.write(Buffer.alloc(2 * BLOCK));
    } else {
      let shared: Record<string, unknown> | undefined;
      let tag = ARCHIVE_TAG;
      let seq = 0;
      for (const e of list) {
        let c;
        try {
          c = readWlcSync(e.wlc, { strict: true });
        } catch (err) {
          throw werr('WALLOC_ERR_ARCHIVE', { path, reason: `${e.name}: ${(err as Error).message}` }, err);
        }
        // An audio stream's header does not count its records; its trailer meta record ends it.
        const streamed = c.header.modality === 'audio';
        if (!c.terminated || (streamed ? c.frames.length === 0 || c.meta.length === 0 : c.frames.length !== framesOf(c.header))) {
          throw werr('WALLOC_ERR_ARCHIVE', { path, reason: streamed ? `${e.name} is an incomplete audio stream (${c.frames.length} records, ${c.meta.length ? 'with' : 'without'} its trailer)` : `${e.name} holds ${c.frames.length} of its ${framesOf(c.header)} frame(s)` });
        }
        const mine = Object.fromEntries(SHARED_FIELDS.map((k) => [k, c.header[k]]));
        if (!shared) {
          shared = mine;
          tag = streamed ? ARCHIVE_TAG_STREAMS : ARCHIVE_TAG;
          await out.write(encodeHeader({ ...shared, archive: tag, entries: count } as WlcHeader));
        } else if (JSON.stringify(mine) !== JSON.stringify(shared)) {
          throw werr('WALLOC_ERR_ARCHIVE', { path, reason: `${e.name} was made with ${String(mine.model)}, the others with ${String(shared.model)}; one .wlc archive holds one codec's latents (use .tar)` });
        }
        if (c.meta.length && tag !== ARCHIVE_TAG_STREAMS) throw werr('WALLOC_ERR_ARCHIVE', { path, reason: `${e.name} holds meta records, which a ${tag} archive cannot keep (use .tar)` });
        const entry = tag === ARCHIVE_TAG_STREAMS
          ? { path: e.name, header: c.header, records: c.frames.length, meta: c.meta.map((m) => ({ before: m.before, data: m.data })) }
          : { path: e.name, header: c.header };
        await out.write(encodeRecord(RecordType.meta, seq++, encodeMetaPayload(entry)));
        for (const f of c.frames) await out.write(encodeRecord(RecordType.frame, seq++, encodeFramePayload(f)));
        written++;
      }
      if (written !== count) throw werr('WALLOC_ERR_INTERNAL', { reason: `archive promised ${count} entries but got ${written}` });
      if (!shared) await out.write(encodeHeader({ archive: ARCHIVE_TAG, entries: 0 }));
      await out.write(encodeRecord(RecordType.end, seq, new Uint8Array(0)));
    }
    out.commit();
  } catch (e) {
    out.abort();
    throw e;
  }
  return { entries: written, bytes: out.bytes };
}

// ---------------------------------------------------------------------------------------------
// reading

/** True when `path` is a file that starts like an archive (a .wlc dataset archive or a tar). */
export function isArchiveFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
  } catch {
    return false;
  }
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(BLOCK);
    const n = readSync(fd, b, 0, BLOCK, 0);
    if (n >= 4 && b.subarray(0, 4).toString('latin1') === 'WLOC') return true;
    return n === BLOCK && b.subarray(257, 262).toString('latin1') === 'ustar';
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads an archive entry by entry, without loading the whole archive (chunks of 1 MiB for .wlc,
 * one entry at a time for tar). The format is detected from the first bytes.
 *
 * @throws WALLOC_ERR_ARCHIVE, WALLOC_ERR_CONTAINER_* for damaged archives
 * @example
 * for (const e of readArchive('cats.wlc')) console.log(e.name, e.source, e.wlc.length);
 */
export function* readArchive(path: string): Generator<ArchiveEntry> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw code === 'ENOENT' ? werr('WALLOC_ERR_FILE_NOT_FOUND', { path }) : werr('WALLOC_ERR_FILE_READ', { path, reason: code ?? (e as Error).message });
  }
  try {
    const head = Buffer.alloc(4);
    readSync(fd, head, 0, 4, 0);
    if (head.toString('latin1') === 'WLOC') yield* readWlcArchive(fd, path);
    else yield* readTar(fd, path);
  } finally {
    closeSync(fd);
  }
}

function* readTar(fd: number, path: string): Generator<ArchiveEntry> {
  const fileBytes = fstatSync(fd).size;
  let pos = 0;
  let longName: string | undefined;
  const h = Buffer.alloc(BLOCK);
  for (;;) {
    const n = readSync(fd, h, 0, BLOCK, pos);
    if (n === 0) return;
    if (n < BLOCK) throw werr('WALLOC_ERR_ARCHIVE', { path, reason: `truncated tar header at byte ${pos}` });
    if (h.every((b) => b === 0)) return;
    if (h.subarray(257, 262).toString('latin1') !== 'ustar') throw werr('WALLOC_ERR_ARCHIVE', { path, reason: `not a tar archive (no ustar header at byte ${pos})` });
    const size = parseInt(cstr(h, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(h[156]!);
    const prefix = cstr(h, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${cstr(h, 0, 100)}` : cstr(h, 0, 100));
    // The size field is the archive's word: check it against the file before allocating it.
    if (!Number.isSafeInteger(size) || size < 0) throw werr('WALLOC_ERR_ARCHIVE', { path, reason: `entry ${name} has an invalid size field` });
    if (pos + BLOCK + size > fileBytes) throw werr('WALLOC_ERR_ARCHIVE', { path, reason: `entry ${name} is truncated (it announces ${size} bytes)` });
    const body = Buffer.alloc(size);
    if (readSync(fd, body, 0, size, pos + BLOCK) < size) throw werr('WALLOC_ERR_ARCHIVE', { path, reason: `entry ${name} is truncated` });
    pos += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    longName = undefined;
    if (type === 'x') {
      // A pax header (other tar writers): take the path it gives to the next entry.
      const m = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      if (m) longName = m[1];
      continue;
    }
    if ((type !== '0' && type !== '\0') || !name.toLowerCase().endsWith('.wlc')) continue;
    let source: string | undefined;
    try {
      const s = decodeHeader(body).header.source;
      if (typeof s === 'string') source = s;
    } catch (e) {
      if (!isWallocError(e)) throw e;
    }
    yield { name, ...(source !== undefined ? { source } : {}), wlc: body };
  }
}

function* readWlcArchive(fd: number, path: string): Generator<ArchiveEntry> {
  const parser = new WlcParser({ strict: true });
  let pos = 0;
  let pending: { path: string; header: WlcHeader; frames: Frame[]; records: number; meta: Array<{ before: number; data: unknown }> } | undefined;
  let checked = false;
  const handle = function* (events: Iterable<{ type: string; frame?: Frame; data?: unknown }>): Generator<ArchiveEntry> {
    if (!checked && parser.header) {
      checked = true;
      const tag = parser.header.archive;
      if (tag === undefined) throw werr('WALLOC_ERR_ARCHIVE', { path, reason: 'a .wlc stream but not a dataset archive (no "archive" field in its header); decode it with walloc-decode' });
      if (!READABLE_TAGS.includes(tag as string)) throw werr('WALLOC_ERR_ARCHIVE', { path, reason: `an archive of layout ${JSON.stringify(tag)}, which this walloc does not read (it reads ${READABLE_TAGS.join(' and ')}); a newer walloc wrote it` });
    }
    for (const ev of events) {
      if (ev.type === 'meta') {
        const d = ev.data as { path?: unknown; header?: unknown; records?: unknown; meta?: unknown };
        if (typeof d?.path !== 'string' || typeof d.header !== 'object' || d.header === null) throw werr('WALLOC_ERR_ARCHIVE', { path, reason: 'an entry record lacks its path or header' });
        if (pending) throw werr('WALLOC_ERR_ARCHIVE', { path, reason: `entry ${pending.path} lacks ${pending.records - pending.frames.length} of its frames` });
        // Layout 3 entries count their records and carry their meta records; older ones hold `frames`.
        const records = d.records === undefined ? framesOf(d.header as WlcHeader) : d.records;
        const meta = d.meta ?? [];
        if (!Number.isSafeInteger(records) || (records as number) < 1 || !Array.isArray(meta) || !meta.every((m) => Number.isSafeInteger(m?.before) && m.before >= 0 && m.before <= (records as number))) {
          throw werr('WALLOC_ERR_ARCHIVE', { path, reason: `entry ${d.path} has a bad record count or meta list` });
        }
        pending = { path: d.path, header: d.header as WlcHeader, frames: [], records: records as number, meta: meta as Array<{ before: number; data: unknown }> };
      } else if (ev.type === 'frame') {
        if (!pending) throw werr('WALLOC_ERR_ARCHIVE', { path, reason: 'a frame without the entry record before it' });
        pending.frames.push(ev.frame!);
        if (pending.frames.length < pending.records) continue;
        const source = pending.header.source;
        yield { name: pending.path, ...(typeof source === 'string' ? { source } : {}), wlc: writeWlc(pending.header, inStreamOrder(pending.frames, pending.meta)) };
        pending = undefined;
      }
    }
  };
  for (;;) {
    // A fresh buffer per read: the parser keeps views into earlier chunks (frames are not copied).
    const chunk = Buffer.allocUnsafe(1 << 20);
    const n = readSync(fd, chunk, 0, chunk.length, pos);
    if (n === 0) break;
    pos += n;
    yield* handle(parser.write(chunk.subarray(0, n)) as Iterable<{ type: string; frame?: Frame; data?: unknown }>);
  }
  yield* handle(parser.finish() as Iterable<{ type: string; frame?: Frame; data?: unknown }>);
  parser.end();
  if (pending) throw werr('WALLOC_ERR_ARCHIVE', { path, reason: `entry ${pending.path} lacks ${pending.records - pending.frames.length} of its frames` });
}

