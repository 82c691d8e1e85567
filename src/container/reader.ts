/**
 * Reading .wlc: the `WlcReader` demuxer stream (bytes in, frames out) and `readWlc` for whole
 * buffers and byte streams.
 */
import { Transform, type TransformCallback, type TransformOptions } from 'node:stream';
import { werr } from '../errors.js';
import type { Frame } from '../frame.js';
import { FRAME_HIGH_WATER_MARK } from '../streams.js';
import type { WlcHeader } from './format.js';
import { WlcParser, type WlcCorruption, type WlcEvent, type WlcParserOptions } from './parser.js';

/** A meta record as it travels in object mode: what `WlcWriter` accepts and an inline `WlcReader` emits. */
export interface WlcMeta {
  readonly type: 'meta';
  readonly data: unknown;
}

/**
 * True for a {@link WlcMeta} item (as opposed to a frame) in a mixed object stream.
 *
 * @example
 * for await (const item of reader) if (!isWlcMeta(item)) classify(item);
 */
export function isWlcMeta(item: unknown): item is WlcMeta {
  return typeof item === 'object' && item !== null && (item as { type?: unknown }).type === 'meta' && !('kind' in item);
}

/**
 * Frames and meta records back in stream order, from what {@link readWlcSync} returns (each meta
 * record goes in before frame `before`): what a writer or a stream decoder takes.
 *
 * @example
 * const c = readWlcSync(bytes);
 * const copy = writeWlc(c.header, inStreamOrder(c.frames, c.meta));
 */
export function* inStreamOrder(frames: readonly Frame[], meta: ReadonlyArray<{ before: number; data: unknown }>): Generator<Frame | WlcMeta> {
  let m = 0;
  for (let i = 0; i <= frames.length; i++) {
    for (; m < meta.length && meta[m]!.before === i; m++) yield { type: 'meta', data: meta[m]!.data };
    if (i < frames.length) yield frames[i]!;
  }
}

export interface WlcReaderOptions extends WlcParserOptions {
  /**
   * Where meta records go. 'event' (default): a `'meta'` event, so a plain frame pipeline sees only
   * frames. 'inline': pushed in order among the frames as {@link WlcMeta} objects, which is what a
   * remuxer wants (a reader piped into a writer copies the stream record for record).
   */
  meta?: 'event' | 'inline';
  /** Frames buffered on the readable side (default FRAME_HIGH_WATER_MARK). */
  readableHighWaterMark?: number;
  /** Bytes buffered on the writable side (default: Node's byte default). */
  writableHighWaterMark?: number;
  signal?: AbortSignal;
}

/**
 * Demuxes a .wlc byte stream into frames, whatever the chunking. Emits `'header'` (before the
 * first frame), `'meta'` (data, record) for meta records in 'event' mode, and `'unterminated'`
 * (records) just before `'end'` when the input stopped cleanly between records without an end
 * record (non-strict mode only). Errors are coded `WALLOC_ERR_CONTAINER_*` and name the record.
 *
 * @example
 * const reader = new WlcReader({ expect: { model: 'rgb-16x' } });
 * reader.on('header', (h) => console.error('model', h.model));
 * await pipeline(fs.createReadStream('clip.wlc'), reader, frameSink);
 */
export class WlcReader extends Transform {
  /** The stream header once read (also delivered by the `'header'` event and {@link headerReady}). */
  header: WlcHeader | undefined;
  /** Resolves with the header; rejects if the stream fails or closes before one is read. */
  readonly headerReady: Promise<WlcHeader>;
  /** True once the end record has been read; after `'end'`, false means the stream was cut between records. */
  terminated = false;

  private readonly parser: WlcParser;
  private readonly metaMode: 'event' | 'inline';
  private resolveHeader!: (h: WlcHeader) => void;
  private rejectHeader!: (e: unknown) => void;

  constructor(options: WlcReaderOptions = {}) {
    const streamOptions: TransformOptions = {
      readableObjectMode: true,
      writableObjectMode: false,
      readableHighWaterMark: options.readableHighWaterMark ?? FRAME_HIGH_WATER_MARK,
    };
    if (options.writableHighWaterMark !== undefined) streamOptions.writableHighWaterMark = options.writableHighWaterMark;
    if (options.signal !== undefined) streamOptions.signal = options.signal;
    super(streamOptions);
    this.parser = new WlcParser(options);
    this.metaMode = options.meta ?? 'event';
    this.headerReady = new Promise<WlcHeader>((resolve, reject) => {
      this.resolveHeader = resolve;
      this.rejectHeader = reject;
    });
    // The stream's 'error' event is the primary channel; an unobserved headerReady must not also
    // surface as an unhandled rejection.
    this.headerReady.catch(() => {});
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    // Everything this chunk completes is pushed at once, ignoring push()'s return: that is bounded by
    // the chunk's size, and Transform withholds the next chunk until the readable side drains.
    try {
      for (const ev of this.parser.write(chunk)) this.deliver(ev);
    } catch (e) {
      this.rejectHeader(e);
      callback(e as Error);
      return;
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    let result: { terminated: boolean; records: number };
    try {
      for (const ev of this.parser.finish()) this.deliver(ev); // skipCorrupt only: what the tail still holds
      result = this.parser.end();
    } catch (e) {
      this.rejectHeader(e);
      callback(e as Error);
      return;
    }
    if (!result.terminated) this.emit('unterminated', result.records);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.header === undefined) this.rejectHeader(error ?? werr('WALLOC_ERR_CONTAINER_TRUNCATED', { at: 'header', reason: 'the stream was closed before the header was read' }));
    callback(error);
  }

  private deliver(ev: WlcEvent): void {
    switch (ev.type) {
      case 'header':
        this.header = ev.header;
        this.emit('header', ev.header);
        this.resolveHeader(ev.header);
        break;
      case 'frame':
        this.push(ev.frame);
        break;
      case 'meta':
        if (this.metaMode === 'inline') this.push({ type: 'meta', data: ev.data } satisfies WlcMeta);
        else this.emit('meta', ev.data, ev.record);
        break;
      case 'end':
        this.terminated = true;
        break;
      case 'corrupt':
        this.emit('corrupt', ev.corrupt);
        break;
    }
  }
}

// Typed overloads for the reader's own events, merged into the class.
export interface WlcReader {
  on(event: 'header', listener: (header: WlcHeader) => void): this;
  on(event: 'meta', listener: (data: unknown, record: number) => void): this;
  on(event: 'unterminated', listener: (records: number) => void): this;
  /** Only with `skipCorrupt`: a damaged stretch was skipped (before the next good record is pushed). */
  on(event: 'corrupt', listener: (corrupt: WlcCorruption) => void): this;
  on(event: 'data', listener: (item: Frame | WlcMeta) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'header', listener: (header: WlcHeader) => void): this;
  once(event: 'meta', listener: (data: unknown, record: number) => void): this;
  once(event: 'unterminated', listener: (records: number) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}

/** Everything a .wlc stream holds. */
export interface WlcContents {
  header: WlcHeader;
  frames: Frame[];
  /** Meta records, in order; `before` is the number of frames that preceded each. */
  meta: Array<WlcMeta & { readonly before: number }>;
  /** False when the input stopped between records without an end record (never in strict mode). */
  terminated: boolean;
  /** Damaged stretches skipped; present only with `skipCorrupt`. */
  corrupt?: WlcCorruption[];
}

function collect(events: Iterable<WlcEvent>, into: Omit<WlcContents, 'header' | 'terminated'> & { corrupt: WlcCorruption[] }): void {
  for (const ev of events) {
    if (ev.type === 'corrupt') into.corrupt.push(ev.corrupt);
    else if (ev.type === 'frame') into.frames.push(ev.frame);
    else if (ev.type === 'meta') into.meta.push({ type: 'meta', data: ev.data, before: into.frames.length });
  }
}

/**
 * Reads a whole .wlc buffer synchronously.
 *
 * @example
 * const { header, frames } = readWlcSync(fs.readFileSync('clip.wlc'));
 */
export function readWlcSync(input: Uint8Array, options: WlcParserOptions = {}): WlcContents {
  if (!(input instanceof Uint8Array)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `readWlcSync needs the stream's bytes (a Buffer or Uint8Array), got ${typeof input === 'string' ? 'a string (read the file first: readFileSync(path))' : typeof input}` });
  const parser = new WlcParser(options);
  const acc = { frames: [] as Frame[], meta: [] as WlcContents['meta'], corrupt: [] as WlcCorruption[] };
  collect(parser.write(input), acc);
  collect(parser.finish(), acc);
  const { terminated } = parser.end();
  const { corrupt, ...rest } = acc;
  return { header: parser.header!, ...rest, terminated, ...(options.skipCorrupt ? { corrupt } : {}) };
}

/**
 * Reads a whole .wlc stream from a buffer, a Readable or any async iterable of byte chunks.
 *
 * @example
 * const { header, frames, terminated } = await readWlc(fs.createReadStream('clip.wlc'), { strict: true });
 * @example
 * const { frames } = await readWlc(writeWlc({ model: 'rgb-16x' }, [frame]));
 */
export async function readWlc(
  input: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: WlcParserOptions = {},
): Promise<WlcContents> {
  if (input instanceof Uint8Array) return readWlcSync(input, options);
  const parser = new WlcParser(options);
  const acc = { frames: [] as Frame[], meta: [] as WlcContents['meta'], corrupt: [] as WlcCorruption[] };
  for await (const chunk of input as AsyncIterable<unknown>) {
    // A string chunk means someone called setEncoding() on a binary stream: the bytes are already lost.
    if (!(chunk instanceof Uint8Array)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `readWlc needs byte chunks, got ${typeof chunk} (was setEncoding() called on the stream?)` });
    collect(parser.write(chunk), acc);
  }
  collect(parser.finish(), acc);
  const { terminated } = parser.end();
  const { corrupt, ...rest } = acc;
  return { header: parser.header!, ...rest, terminated, ...(options.skipCorrupt ? { corrupt } : {}) };
}
