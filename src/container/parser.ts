/**
 * The .wlc reader as a push parser with no I/O ("sans-IO"): feed it byte chunks of any size, get
 * back whole events. `WlcReader` wraps it as a stream and `readWlc` drives it over a buffer or an
 * async iterable, so the byte-level rules live in exactly one place.
 *
 * Memory is O(one record): arriving chunks are kept in a list and copied out once, when the record
 * they belong to is complete; nothing is re-concatenated per chunk, and a record's declared length is
 * checked against the limit before any of it is buffered.
 */
import { werr } from '../errors.js';
import type { Frame } from '../frame.js';
import {
  CRC_BYTES, HEADER_PREFIX_BYTES, RECORD_PREFIX_BYTES, RecordType, checkHeaderStart, decodeHeaderBody,
  decodeHeaderPrefix, decodeRecordPrefix, readU32, resolveLimits,
  type RecordTypeCode, type ResolvedLimits, type WlcHeader, type WlcLimits,
} from './format.js';
import { crc32 } from './crc32.js';
import { decodeFramePayload, decodeMetaPayload } from './payload.js';

/** What a parser reports, in stream order. `record` is the record's sequence number. */
export type WlcEvent =
  | { readonly type: 'header'; readonly header: WlcHeader }
  | { readonly type: 'frame'; readonly frame: Frame; readonly record: number }
  | { readonly type: 'meta'; readonly data: unknown; readonly record: number }
  | { readonly type: 'end'; readonly record: number }
  | { readonly type: 'corrupt'; readonly corrupt: WlcCorruption };

/**
 * A damaged stretch of a stream that a `skipCorrupt` parser stepped over (issue 11, item 5).
 * Records `record .. nextRecord - 1` are lost; bytes `start .. end - 1` (offsets from the first byte
 * of the stream) were skipped. `nextRecord` is undefined when no good record followed (the damage
 * runs to the end of the input).
 */
export interface WlcCorruption {
  /** Index of the first record that could not be read. */
  readonly record: number;
  /** Sequence number of the good record parsing resumed at, or undefined at the end of input. */
  readonly nextRecord: number | undefined;
  /** Byte range skipped, [start, end). */
  readonly start: number;
  readonly end: number;
  /** The error that would have been fatal without `skipCorrupt`. */
  readonly code: string;
  readonly reason: string;
}

/**
 * The records a damaged stretch cost, in words ("record 4", "records 4–6", "record 4 to the end of
 * the stream"), for walloc-decode's warning and walloc info's damage line alike.
 *
 * @example
 * recordsLost({ record: 4, nextRecord: 7 }); // 'records 4–6'
 */
export function recordsLost(c: { record: number; nextRecord: number | undefined }): string {
  if (c.nextRecord === undefined) return `record ${c.record} to the end of the stream`;
  if (c.nextRecord === c.record) return 'no record';
  return c.nextRecord - c.record === 1 ? `record ${c.record}` : `records ${c.record}–${c.nextRecord - 1}`;
}

/** Error codes that mean "these bytes are damaged", which `skipCorrupt` recovers from. */
const CORRUPTION_CODES: ReadonlySet<string> = new Set([
  'WALLOC_ERR_CONTAINER_CRC', 'WALLOC_ERR_CONTAINER_LENGTH', 'WALLOC_ERR_CONTAINER_RECORD_TYPE',
  'WALLOC_ERR_CONTAINER_SEQUENCE', 'WALLOC_ERR_CONTAINER_PAYLOAD', 'WALLOC_ERR_CONTAINER_TRUNCATED',
]);

/** The model a stream must have been made with; a mismatch is WALLOC_ERR_CONTAINER_MODEL. */
export interface WlcExpectModel {
  model?: string;
  modelSha256?: string;
}

export interface WlcParserOptions extends WlcLimits {
  /**
   * Demand an end record. Off by default so that a live pipe cut between records still yields every
   * complete record; either way a cut inside a record is WALLOC_ERR_CONTAINER_TRUNCATED.
   */
  strict?: boolean;
  /** Refuse streams whose header names another model. */
  expect?: WlcExpectModel;
  /**
   * Step over damaged records instead of failing (default false). After a CRC, length, type,
   * sequence or end-record error in record k (or a record cut by the end of the input), the parser
   * scans forward from the byte after record k's start for the next offset where a record prefix
   * with a plausible sequence number (≥ k) *and* its CRC-32 check out, emits a `'corrupt'` event
   * ({@link WlcCorruption}) and resumes there. A payload that passes its CRC but breaks its type's
   * layout, and any header error, stay fatal. Memory stays bounded by `maxRecordBytes`.
   */
  skipCorrupt?: boolean;
}

type State = 'header-prefix' | 'header-body' | 'record-prefix' | 'record-body' | 'resync' | 'done';

const TYPE_NAMES: Readonly<Record<RecordTypeCode, string>> = { 1: 'a frame', 2: 'a meta', 3: 'an end' };

/**
 * Incremental .wlc parser.
 *
 * @example
 * const parser = new WlcParser();
 * for (const chunk of chunks) for (const ev of parser.write(chunk)) if (ev.type === 'frame') use(ev.frame);
 * const { terminated } = parser.end();
 */
export class WlcParser {
  /** The header, once it has been read. */
  header: WlcHeader | undefined;
  /** True once the end record has been read. */
  terminated = false;
  /** Sequence number the next record must carry (= records read so far). */
  nextRecord = 0;

  private readonly limits: ResolvedLimits;
  private readonly strict: boolean;
  private readonly expect: WlcExpectModel | undefined;
  private state: State = 'header-prefix';
  private chunks: Uint8Array[] = [];
  private head = 0; // bytes of chunks[0] already consumed
  private buffered = 0;
  private prefix: Uint8Array = new Uint8Array(0);
  private bodyLength = 0; // payload (or header JSON) plus CRC
  private recordType: RecordTypeCode = RecordType.frame;
  private failure: unknown;
  // skipCorrupt state: absolute offset of the next unconsumed byte, where the current record began,
  // and the resynchronisation scan (first damaged record, its error, scan position, bytes awaited).
  private readonly skipCorrupt: boolean;
  private consumed = 0;
  private recordStart = 0;
  private ending = false;
  private resync = { record: 0, start: 0, scan: 0, waitFor: 0, code: '', reason: '' };

  constructor(options: WlcParserOptions = {}) {
    this.limits = resolveLimits(options);
    this.strict = options.strict ?? false;
    this.expect = options.expect;
    this.skipCorrupt = options.skipCorrupt ?? false;
  }

  /**
   * Only with `skipCorrupt`: declares the input finished and yields what can still be recovered
   * from the buffered bytes (a record cut at the end, or one whose damaged length reached past the
   * end, is reported as a `'corrupt'` event and the scan goes on). Call it before {@link end};
   * without `skipCorrupt` it yields nothing.
   */
  *finish(): Generator<WlcEvent, void, undefined> {
    if (this.failure !== undefined) throw this.failure;
    if (!this.skipCorrupt || this.ending) return;
    this.ending = true;
    try {
      for (;;) {
        if (this.state === 'record-body' || (this.state === 'record-prefix' && this.buffered > 0)) {
          const inBody = this.state === 'record-body';
          if (!inBody) this.recordStart = this.consumed;
          const have = inBody ? `${this.buffered} of the ${this.bodyLength} bytes of payload and CRC` : `${this.buffered} of the ${RECORD_PREFIX_BYTES} prefix bytes`;
          this.startResync(inBody ? this.prefix : new Uint8Array(0), new Uint8Array(0), werr('WALLOC_ERR_CONTAINER_TRUNCATED', { at: `record ${this.nextRecord}`, record: this.nextRecord, reason: `the input ends after ${have}` }));
        }
        let ev: WlcEvent | undefined | null;
        while ((ev = this.step()) !== null) if (ev !== undefined) yield ev;
        if (!(this.state === 'record-body' || (this.state === 'record-prefix' && this.buffered > 0))) return;
      }
    } catch (e) {
      this.fail(e);
    }
  }

  /** Adds bytes and yields every event they complete. Throws a coded error on bad input; after that, every call rethrows it. */
  *write(chunk: Uint8Array): Generator<WlcEvent, void, undefined> {
    if (this.failure !== undefined) throw this.failure;
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    try {
      for (;;) {
        const ev = this.step();
        if (ev === null) return;
        if (ev !== undefined) yield ev;
      }
    } catch (e) {
      this.fail(e);
    }
  }

  /**
   * Declares the input finished. Throws WALLOC_ERR_CONTAINER_TRUNCATED for a cut inside the header or
   * a record (or, in strict mode, a missing end record); otherwise says whether the end record was seen.
   */
  end(): { terminated: boolean; records: number } {
    if (this.failure !== undefined) throw this.failure;
    const b = this.buffered;
    const at = `record ${this.nextRecord}`;
    const truncated = (where: string, reason: string, record?: number) =>
      this.fail(werr('WALLOC_ERR_CONTAINER_TRUNCATED', record === undefined ? { at: where, reason } : { at: where, record, reason }));
    switch (this.state) {
      case 'header-prefix':
        return truncated('header', b === 0 ? 'the input is empty' : `only ${b} of the ${HEADER_PREFIX_BYTES} header prefix bytes`);
      case 'header-body':
        return truncated('header', `only ${b} of the ${this.bodyLength} bytes of header JSON and CRC`);
      case 'record-prefix':
        if (b > 0) return truncated(at, `only ${b} of the ${RECORD_PREFIX_BYTES} record prefix bytes`, this.nextRecord);
        if (this.strict) return truncated(at, 'no end record, and strict mode requires one', this.nextRecord);
        return { terminated: false, records: this.nextRecord };
      case 'record-body':
        return truncated(at, `only ${b} of the ${this.bodyLength} bytes of payload and CRC of ${TYPE_NAMES[this.recordType]} record`, this.nextRecord);
      case 'resync':
        // Unreachable after finish(), which resolves every scan; without it, the damage is fatal.
        return truncated(at, 'the input ends while looking for the next good record after a corrupt one', this.nextRecord);
      case 'done':
        return { terminated: true, records: this.nextRecord };
    }
  }

  /** Bytes held while waiting for the rest of a header or record (for tests and diagnostics). */
  get bufferedBytes(): number {
    return this.buffered;
  }

  private fail(e: unknown): never {
    this.failure = e;
    this.chunks = [];
    this.buffered = 0;
    throw e;
  }

  /** One transition: an event, `undefined` (progress, nothing to report) or `null` (needs more bytes). */
  private step(): WlcEvent | undefined | null {
    if (!this.skipCorrupt) return this.stepStrict();
    const state = this.state;
    try {
      return state === 'resync' ? this.stepResync() : this.stepStrict();
    } catch (e) {
      if (!(state === 'record-prefix' || state === 'record-body') || !(e instanceof Error && 'code' in e && CORRUPTION_CODES.has(e.code as string))) throw e;
      // A payload error after a good CRC is a writer bug, not damage: it stays fatal.
      if (state === 'record-body' && e.code !== 'WALLOC_ERR_CONTAINER_CRC') throw e;
      const body = state === 'record-body' ? this.lastBody : new Uint8Array(0);
      this.startResync(this.prefix, body, e as Error & { code: string });
      return undefined;
    }
  }

  private lastBody: Uint8Array = new Uint8Array(0);

  /**
   * Puts back every byte of the damaged record after its first one, so that the scan sees them
   * again: the next good record may start anywhere inside what its (damaged) length swallowed.
   */
  private startResync(prefix: Uint8Array, body: Uint8Array, e: Error & { code?: unknown }): void {
    const back = new Uint8Array(Math.max(0, prefix.length - 1) + body.length);
    back.set(prefix.subarray(1), 0);
    back.set(body, Math.max(0, prefix.length - 1));
    const tail = this.chunks[0] === undefined ? [] : [this.chunks[0].subarray(this.head), ...this.chunks.slice(1)];
    this.chunks = back.length > 0 ? [back, ...tail] : tail;
    this.head = 0;
    this.buffered += back.length;
    const start = this.recordStart;
    this.consumed = start + (prefix.length > 0 ? 1 : 0);
    this.resync = { record: this.nextRecord, start, scan: 0, waitFor: 0, code: String(e.code), reason: e.message };
    this.state = 'resync';
  }

  /**
   * Scans the buffered bytes for the next good record: prefix with a known type, a length within the
   * limit, an empty end record, a sequence s with k ≤ s ≤ k + 1 + (bytes since record k)/13 (every
   * record takes at least 13 bytes), and a matching CRC-32 (a chance match is 2^-32 per candidate).
   */
  private stepResync(): WlcEvent | undefined | null {
    const r = this.resync;
    if (!this.ending && this.buffered < Math.max(r.waitFor, RECORD_PREFIX_BYTES)) return null;
    const buf = this.consolidate();
    const max = this.limits.maxRecordBytes;
    for (let p = r.scan; p + RECORD_PREFIX_BYTES <= buf.length; p++) {
      const type = buf[p + 4]!;
      if (type < 1 || type > 3) continue;
      const length = readU32(buf, p);
      if (length > max || (type === RecordType.end && length !== 0)) continue;
      const seq = readU32(buf, p + 5);
      if (seq < r.record || seq > r.record + 1 + Math.floor((this.consumed + p - r.start) / (RECORD_PREFIX_BYTES + CRC_BYTES))) continue;
      const need = p + RECORD_PREFIX_BYTES + length + CRC_BYTES;
      if (need > buf.length) {
        if (this.ending) continue;
        r.scan = p;
        r.waitFor = need;
        return null;
      }
      if (crc32(buf.subarray(p, p + RECORD_PREFIX_BYTES + length)) !== readU32(buf, p + RECORD_PREFIX_BYTES + length)) continue;
      this.take(p);
      this.state = 'record-prefix';
      const corrupt: WlcCorruption = { record: r.record, nextRecord: seq, start: r.start, end: this.consumed, code: r.code, reason: r.reason };
      this.nextRecord = seq;
      return { type: 'corrupt', corrupt };
    }
    if (this.ending) {
      this.take(buf.length);
      this.state = 'record-prefix';
      return { type: 'corrupt', corrupt: { record: r.record, nextRecord: undefined, start: r.start, end: this.consumed, code: r.code, reason: r.reason } };
    }
    // Nothing here: keep only the last 8 bytes, which may begin a prefix that the next chunk completes.
    const drop = Math.max(0, buf.length - (RECORD_PREFIX_BYTES - 1));
    this.take(drop);
    r.scan = 0;
    r.waitFor = 0;
    return null;
  }

  /** Joins the buffered chunks into one (resync only; bounded by the record limit) and returns it. */
  private consolidate(): Uint8Array {
    if (this.chunks.length === 0) return new Uint8Array(0);
    if (this.chunks.length > 1) {
      const out = new Uint8Array(this.buffered);
      let o = 0;
      for (let i = 0; i < this.chunks.length; i++) {
        const c = i === 0 ? this.chunks[0]!.subarray(this.head) : this.chunks[i]!;
        out.set(c, o);
        o += c.length;
      }
      this.chunks = [out];
      this.head = 0;
    }
    return this.chunks[0]!.subarray(this.head);
  }

  private stepStrict(): WlcEvent | undefined | null {
    switch (this.state) {
      case 'header-prefix': {
        if (this.buffered < HEADER_PREFIX_BYTES) {
          checkHeaderStart(this.peek(Math.min(this.buffered, 5)));
          return null;
        }
        this.prefix = this.take(HEADER_PREFIX_BYTES);
        this.bodyLength = decodeHeaderPrefix(this.prefix, this.limits) + CRC_BYTES;
        this.state = 'header-body';
        return undefined;
      }
      case 'header-body': {
        if (this.buffered < this.bodyLength) return null;
        const header = decodeHeaderBody(this.prefix, this.take(this.bodyLength));
        this.checkModel(header);
        this.header = header;
        this.state = 'record-prefix';
        return { type: 'header', header };
      }
      case 'record-prefix': {
        if (this.buffered < RECORD_PREFIX_BYTES) return null;
        this.recordStart = this.consumed;
        // Copied, not viewed: the prefix must survive until the CRC is checked.
        this.prefix = Uint8Array.from(this.take(RECORD_PREFIX_BYTES));
        const { length, type } = decodeRecordPrefix(this.prefix, this.nextRecord, this.limits);
        this.recordType = type;
        this.bodyLength = length + CRC_BYTES;
        this.state = 'record-body';
        return undefined;
      }
      case 'record-body': {
        if (this.buffered < this.bodyLength) return null;
        const record = this.nextRecord;
        const body = this.take(this.bodyLength);
        if (this.skipCorrupt) this.lastBody = body;
        const payload = body.subarray(0, body.length - CRC_BYTES);
        if (crc32(payload, crc32(this.prefix)) !== readU32(body, payload.length)) {
          throw werr('WALLOC_ERR_CONTAINER_CRC', { record });
        }
        let ev: WlcEvent;
        switch (this.recordType) {
          case RecordType.frame: ev = { type: 'frame', frame: decodeFramePayload(payload, record), record }; break;
          case RecordType.meta: ev = { type: 'meta', data: decodeMetaPayload(payload, record), record }; break;
          case RecordType.end: ev = { type: 'end', record }; this.terminated = true; break;
        }
        this.nextRecord++;
        this.state = this.terminated ? 'done' : 'record-prefix';
        return ev;
      }
      case 'done': {
        if (this.buffered === 0) return null;
        throw werr('WALLOC_ERR_CONTAINER_SEQUENCE', { record: this.nextRecord, expected: `no bytes after the end record (record ${this.nextRecord - 1}), found ${this.buffered}` });
      }
      case 'resync':
        return this.stepResync();
    }
  }

  private checkModel(header: WlcHeader): void {
    const want = this.expect;
    if (want === undefined) return;
    const describe = (id: unknown, sha: unknown) => `${id === undefined ? '(unnamed)' : JSON.stringify(id)}${sha === undefined ? '' : ` (sha256 ${String(sha).slice(0, 12)}…)`}`;
    if ((want.model !== undefined && header.model !== want.model) || (want.modelSha256 !== undefined && header.modelSha256 !== want.modelSha256)) {
      throw werr('WALLOC_ERR_CONTAINER_MODEL', { found: describe(header.model, header.modelSha256), expected: describe(want.model, want.modelSha256) });
    }
  }

  /** Copies up to `n` leading bytes without consuming them (only ever a handful). */
  private peek(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    let offset = this.head;
    for (const c of this.chunks) {
      if (filled === n) break;
      const part = c.subarray(offset, offset + n - filled);
      out.set(part, filled);
      filled += part.length;
      offset = 0;
    }
    return out;
  }

  /**
   * Consumes exactly `n` buffered bytes. A view when they lie in one chunk (the common case for
   * 64 KiB pipe reads and small records), otherwise one copy; either way each byte is copied at
   * most once, whatever the chunking.
   */
  private take(n: number): Uint8Array {
    this.consumed += n;
    const first = this.chunks[0];
    if (first !== undefined && first.length - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.head += n;
      if (this.head === first.length) {
        this.chunks.shift();
        this.head = 0;
      }
      this.buffered -= n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let i = 0;
    while (filled < n) {
      const c = this.chunks[i]!;
      const part = c.subarray(this.head, this.head + n - filled);
      out.set(part, filled);
      filled += part.length;
      if (this.head + part.length === c.length) {
        i++;
        this.head = 0;
      } else {
        this.head += part.length;
      }
    }
    // One splice per record, not one shift per chunk: with 1-byte chunks the list is as long as the record.
    this.chunks.splice(0, i);
    this.buffered -= n;
    return out;
  }
}
