/**
 * Opening an input that may be a file or stdin and finding out what it is. A pipe cannot be
 * re-read, so the first bytes are peeked and then put back in front of the rest: the returned
 * stream yields every byte of the input, detection included.
 */
import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { werr } from '../errors.js';
import { DETECT_BYTES, detectInput, type InputKind } from './detect.js';

export interface OpenedInput {
  kind: InputKind;
  /** The path, or '-' for stdin. */
  label: string;
  /** The whole input, from its first byte. */
  stream: Readable;
  /** Reads the whole input into memory (for formats decoded in one piece, such as images). */
  readAll(limit?: number): Promise<Buffer>;
  /**
   * True for a regular file, which can be opened again by its path (by sharp or ffmpeg, which seek);
   * false for stdin, a named pipe or a device, whose bytes exist only in `stream`.
   */
  seekable?: boolean;
  /** Bytes in the file when it is seekable (bounds what a header such as a WAV's may announce). */
  size?: number;
  /** The first bytes, as read to tell the kind (up to DETECT_BYTES; `stream` still yields them). */
  head?: Uint8Array;
}

/**
 * Opens `path` (or stdin for '-') and sniffs its kind from the first bytes. An empty input is
 * WALLOC_ERR_UNSUPPORTED_INPUT, or what `ifEmpty` makes when the caller knows better what it is.
 *
 * @example
 * const input = await openInput('-', process.stdin);
 * if (input.kind === 'y4m') input.stream.pipe(new Y4mReader());
 */
export async function openInput(path: string, stdin: NodeJS.ReadableStream, opts: { ifEmpty?: () => Error } = {}): Promise<OpenedInput> {
  let src: Readable;
  let seekable = false;
  let size: number | undefined;
  if (path === '-') {
    src = stdin instanceof Readable ? stdin : Readable.from(stdin as AsyncIterable<Buffer>);
  } else {
    let st;
    try {
      st = statSync(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw code === 'ENOENT' ? werr('WALLOC_ERR_FILE_NOT_FOUND', { path }) : werr('WALLOC_ERR_FILE_READ', { path, reason: code ?? String(e) });
    }
    if (st.isDirectory()) throw werr('WALLOC_ERR_FILE_READ', { path, reason: 'it is a folder (use `walloc batch` for trees)' });
    // /dev/stdin, /dev/fd/N (a shell's <(…) or < file) stat as the file behind them, but a child
    // process (ffmpeg) opening that name gets its own descriptors: they are read as streams.
    seekable = st.isFile() && !/^\/(dev\/(stdin|fd\/)|proc\/self\/fd\/)/.test(path);
    if (seekable) size = st.size;
    src = createReadStream(path);
  }
  const it = src[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let got = 0;
  let ended = false;
  try {
    while (got < DETECT_BYTES) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        break;
      }
      const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
      head.push(b);
      got += b.length;
    }
  } catch (e) {
    throw werr('WALLOC_ERR_FILE_READ', { path, reason: (e as Error).message }, e);
  }
  const first = Buffer.concat(head);
  if (first.length === 0) throw opts.ifEmpty?.() ?? werr('WALLOC_ERR_UNSUPPORTED_INPUT', { path, reason: 'the input is empty' });
  const kind = detectInput(first);
  async function* rest(): AsyncGenerator<Buffer> {
    yield first;
    if (ended) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
    }
  }
  const stream = Readable.from(rest(), { objectMode: false });
  // A reader that stops early destroys this stream: the file under it is closed with it (stdin is
  // the process's, and stays open).
  if (path !== '-') stream.once('close', () => src.destroy());
  return {
    kind,
    label: path,
    stream,
    seekable,
    size,
    head: first.subarray(0, DETECT_BYTES),
    async readAll(limit = 2 ** 31 - 1) {
      const parts: Buffer[] = [];
      let n = 0;
      for await (const c of stream) {
        n += (c as Buffer).length;
        // Not an option to raise (there is no --max-input-bytes): 2 GiB is the most read whole.
        if (n > limit) throw werr('WALLOC_ERR_UNSUPPORTED_INPUT', { path, reason: `more than ${limit} bytes, too many to read whole from a pipe; give the file's path instead` });
        parts.push(c as Buffer);
      }
      return Buffer.concat(parts);
    },
  };
}
