/**
 * Writing .wlc: the `WlcWriter` muxer stream (frames in, bytes out) and `writeWlc` for a whole
 * buffer.
 */
import { Transform, type TransformCallback, type TransformOptions } from 'node:stream';
import { werr } from '../errors.js';
import type { Frame } from '../frame.js';
import { FRAME_HIGH_WATER_MARK } from '../streams.js';
import {
  RecordType, encodeHeader, encodeRecord, limitHint, resolveLimits,
  type ResolvedLimits, type WlcHeader, type WlcLimits,
} from './format.js';
import { encodeFramePayload, encodeMetaPayload } from './payload.js';
import { isWlcMeta, type WlcMeta } from './reader.js';

export interface WlcWriterOptions extends WlcLimits {
  /** The stream header, written before anything else. */
  header: WlcHeader;
  /** Frames buffered on the writable side (default FRAME_HIGH_WATER_MARK). */
  writableHighWaterMark?: number;
  /** Bytes buffered on the readable side (default: Node's byte default). */
  readableHighWaterMark?: number;
  signal?: AbortSignal;
}

/**
 * Encodes one item as the record with sequence number `sequence`. The writer enforces the same
 * `maxRecordBytes` as a reader with the same options, so it never makes a file that reader refuses.
 */
function encodeItem(item: Frame | WlcMeta, sequence: number, limits: ResolvedLimits): Buffer {
  let payload: Buffer;
  let type: typeof RecordType.frame | typeof RecordType.meta;
  if (isWlcMeta(item)) {
    payload = encodeMetaPayload(item.data);
    type = RecordType.meta;
  } else if (typeof item === 'object' && item !== null && 'kind' in item && 'data' in item) {
    payload = encodeFramePayload(item);
    type = RecordType.frame;
  } else {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: 'a .wlc writer takes frames or {type: "meta", data} objects' });
  }
  if (payload.length > limits.maxRecordBytes) {
    throw werr('WALLOC_ERR_CONTAINER_LENGTH', { at: `record ${sequence}`, record: sequence, length: payload.length, limit: limits.maxRecordBytes, option: limitHint('maxRecordBytes', limits.maxRecordBytes) });
  }
  return encodeRecord(type, sequence, payload);
}

/** A writer given more or fewer frames than its header announces: a stream that would lie. */
const framesMismatch = (announced: number, got: number) =>
  werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `the .wlc header announces ${announced} frame${announced === 1 ? '' : 's'}, ${got > announced ? 'more were' : `${got} ${got === 1 ? 'was' : 'were'}`} written` });

/**
 * Muxes frames (and `{type: 'meta', data}` items) into a .wlc byte stream: the header at once, one
 * record per item, the end record when the input ends. One record is one chunk, and a frame is
 * accepted only when the readable side has room, so a slow consumer throttles the producer.
 *
 * @example
 * await pipeline(latentFrames, new WlcWriter({ header: { model: 'rgb-16x', modality: 'image', bits: 8 } }), fs.createWriteStream('out.wlc'));
 */
export class WlcWriter extends Transform {
  /** Records written so far (the next record's sequence number). */
  records = 0;
  private readonly limits: ResolvedLimits;
  /** Frame records the header announces (`frames`), held to: a stream is what its header says. */
  private readonly announced: number | undefined;
  private frames = 0;

  constructor(options: WlcWriterOptions) {
    const streamOptions: TransformOptions = {
      writableObjectMode: true,
      readableObjectMode: false,
      writableHighWaterMark: options.writableHighWaterMark ?? FRAME_HIGH_WATER_MARK,
    };
    if (options.readableHighWaterMark !== undefined) streamOptions.readableHighWaterMark = options.readableHighWaterMark;
    if (options.signal !== undefined) streamOptions.signal = options.signal;
    super(streamOptions);
    this.limits = resolveLimits(options);
    this.announced = typeof options.header.frames === 'number' ? options.header.frames : undefined;
    // Pushed now rather than with the first frame so a live consumer learns the codec parameters
    // before any media arrives (and an empty input still makes a valid file).
    this.push(encodeHeader(options.header, this.limits));
  }

  override _transform(item: Frame | WlcMeta, _encoding: BufferEncoding, callback: TransformCallback): void {
    let bytes: Buffer;
    try {
      bytes = encodeItem(item, this.records, this.limits);
    } catch (e) {
      callback(e as Error);
      return;
    }
    if (!isWlcMeta(item) && ++this.frames > (this.announced ?? Infinity)) {
      callback(framesMismatch(this.announced!, this.frames));
      return;
    }
    this.records++;
    callback(null, bytes);
  }

  override _flush(callback: TransformCallback): void {
    if (this.announced !== undefined && this.frames !== this.announced) {
      callback(framesMismatch(this.announced, this.frames));
      return;
    }
    callback(null, encodeRecord(RecordType.end, this.records++, new Uint8Array(0)));
  }
}

/**
 * Writes a whole .wlc stream to one buffer.
 *
 * @example
 * const bytes = writeWlc({ model: 'rgb-16x', modality: 'image' }, [frame0, { type: 'meta', data: { scene: 2 } }, frame1]);
 * fs.writeFileSync('clip.wlc', bytes);
 */
export function writeWlc(header: WlcHeader, items: Iterable<Frame | WlcMeta>, limits: WlcLimits = {}): Buffer {
  const resolved = resolveLimits(limits);
  const parts: Buffer[] = [encodeHeader(header, resolved)];
  let sequence = 0;
  let frames = 0;
  for (const item of items) {
    parts.push(encodeItem(item, sequence++, resolved));
    if (!isWlcMeta(item)) frames++;
  }
  if (typeof header.frames === 'number' && frames !== header.frames) throw framesMismatch(header.frames, frames);
  parts.push(encodeRecord(RecordType.end, sequence, new Uint8Array(0)));
  return Buffer.concat(parts);
}
