/**
 * The .wlc byte layout: constants, limits, the stream header and the record framing. Everything
 * here is a pure function over bytes; the streaming state machine lives in `parser.ts`.
 * docs/format.md is the normative description; keep the two in step.
 */
import { werr } from '../errors.js';
import { crc32 } from './crc32.js';

/** "WLOC": the first four bytes of every .wlc stream. */
export const WLC_MAGIC: Readonly<Uint8Array> = Uint8Array.of(0x57, 0x4c, 0x4f, 0x43);
/** The only version this reader understands; any layout change (new record type included) bumps it. */
export const WLC_VERSION = 1;

/** Record types. A reader rejects any other value, so adding one needs a new {@link WLC_VERSION}. */
export const RecordType = { frame: 1, meta: 2, end: 3 } as const;
export type RecordTypeName = keyof typeof RecordType;
export type RecordTypeCode = (typeof RecordType)[RecordTypeName];

/** magic (4) + version (1) + JSON length (4). */
export const HEADER_PREFIX_BYTES = 9;
/** payload length (4) + type (1) + sequence (4). */
export const RECORD_PREFIX_BYTES = 9;
export const CRC_BYTES = 4;

const MiB = 1024 * 1024;
/** A header is a few hundred bytes of JSON; a megabyte means garbage, not a bigger model. */
export const DEFAULT_MAX_HEADER_BYTES = 1 * MiB;
export const MAX_HEADER_BYTES_CAP = 16 * MiB;
/** Room for a 4K RGB float frame (~100 MB) with headroom, small enough that garbage cannot exhaust memory. */
export const DEFAULT_MAX_RECORD_BYTES = 256 * MiB;
/** 2 GiB: a u32 length could say 4 GiB, but one record that large is never legitimate here. */
export const MAX_RECORD_BYTES_CAP = 2048 * MiB;

/** Byte limits a reader (and, symmetrically, a writer) enforces before it buffers anything. */
export interface WlcLimits {
  /** Largest header JSON accepted (default 1 MiB, at most 16 MiB). */
  maxHeaderBytes?: number;
  /** Largest record payload accepted (default 256 MiB, at most 2 GiB). */
  maxRecordBytes?: number;
}

export type ResolvedLimits = Required<WlcLimits>;

function limit(name: string, value: number | undefined, fallback: number, cap: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0 || value > cap) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${name} must be an integer from 0 to ${cap}, got ${value}` });
  }
  return value;
}

/**
 * Fills in defaults and checks configured limits against the hard caps.
 *
 * @example
 * resolveLimits({ maxRecordBytes: 1 << 20 }); // { maxHeaderBytes: 1048576, maxRecordBytes: 1048576 }
 */
export function resolveLimits(limits: WlcLimits = {}): ResolvedLimits {
  return {
    maxHeaderBytes: limit('maxHeaderBytes', limits.maxHeaderBytes, DEFAULT_MAX_HEADER_BYTES, MAX_HEADER_BYTES_CAP),
    maxRecordBytes: limit('maxRecordBytes', limits.maxRecordBytes, DEFAULT_MAX_RECORD_BYTES, MAX_RECORD_BYTES_CAP),
  };
}

/** Text for the `{option}` slot of WALLOC_ERR_CONTAINER_LENGTH: tells the user whether raising the limit can help. */
export function limitHint(option: keyof WlcLimits, limitValue: number): string {
  const cap = option === 'maxHeaderBytes' ? MAX_HEADER_BYTES_CAP : MAX_RECORD_BYTES_CAP;
  return limitValue < cap ? `raise ${option}, at most ${cap}` : 'this is the hard cap';
}

/**
 * The stream header. It is an open JSON object: the fields below have fixed meanings and are
 * type-checked when present; anything else is carried through untouched.
 */
export interface WlcHeader {
  /** Model id, e.g. "rgb-16x". */
  model?: string;
  /** Lower-case hex sha256 of the model files, so a decoder refuses the wrong model. */
  modelSha256?: string;
  /** Media kind of the original signal. */
  modality?: 'image' | 'audio' | 'volume';
  /** Wavelet packet levels J. */
  levels?: number;
  wavelet?: string;
  /** Latent channels of the codec bottleneck. */
  latentDim?: number;
  /** Quantization bits. */
  bits?: number;
  /** Pack format of latents, e.g. "webp", "png", "raw". */
  pack?: string;
  /** Original signal shape [C, ...spatial] when the stream has one (a single image, a volume). */
  shape?: number[];
  /** Audio sample rate in Hz. */
  sampleRate?: number;
  [key: string]: unknown;
}

/**
 * The frames a stream's header promises (`frames`): one for an image, one per page or video frame
 * otherwise; 1 when the header does not say.
 *
 * @example
 * framesOf({ frames: 3 }); // 3
 */
export const framesOf = (h: WlcHeader): number => (typeof h.frames === 'number' && Number.isSafeInteger(h.frames) && h.frames >= 1 ? h.frames : 1);

/**
 * The model a stream's latents need: `given` (--model) or the header's. A header with neither a
 * model nor latent channels was written by a filter graph's `save` with uncompressed frames,
 * which `load` reads back but no decoder or classifier can: that is WALLOC_ERR_UNSUPPORTED_INPUT
 * saying what the stream holds and how to read it.
 *
 * @example
 * Codec.load(latentModelOf(header, 'clean.wlc', values.model));
 */
export function latentModelOf(h: WlcHeader, path: string, given?: string): string {
  if (typeof h.model === 'string' && h.model !== '') return given ?? h.model;
  if (h.latentDim !== undefined) {
    if (given !== undefined) return given;
    throw werr('WALLOC_ERR_CONTAINER_HEADER', { reason: `${path}: the header names no model; pass --model` });
  }
  throw werr('WALLOC_ERR_UNSUPPORTED_INPUT', {
    path,
    reason: `it holds uncompressed ${h.modality ?? 'media'} frames, not latents: its header names no model, as a filter graph's save writes them; ${h.modality === 'audio'
      ? `walloc-decode without --model writes them as they are (walloc-decode ${path} -o OUT.wav)`
      : `read it back with walloc filter "load=file=${path},save=file=OUT"`}`,
  });
}

const isPosInt = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) > 0;
const isNonNegInt = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
const isString = (v: unknown): boolean => typeof v === 'string';

/** Checks for the header fields with fixed meanings; the description is what a user sees. */
const HEADER_FIELDS: Readonly<Record<string, readonly [(v: unknown) => boolean, string]>> = {
  model: [isString, 'a string'],
  modelSha256: [(v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v), '64 lower-case hex digits'],
  modality: [(v) => v === 'image' || v === 'audio' || v === 'volume', '"image", "audio" or "volume"'],
  levels: [isNonNegInt, 'a non-negative integer'],
  wavelet: [isString, 'a string'],
  latentDim: [isPosInt, 'a positive integer'],
  bits: [isPosInt, 'a positive integer'],
  pack: [isString, 'a string'],
  shape: [(v) => Array.isArray(v) && v.length <= 8 && v.every(isPosInt), 'an array of at most 8 positive integers'],
  sampleRate: [(v) => typeof v === 'number' && Number.isFinite(v) && v > 0, 'a positive number'],
};

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Throws WALLOC_ERR_CONTAINER_HEADER unless `header` is a JSON object whose known fields have the
 * right types.
 *
 * @example
 * validateHeader({ model: 'rgb-16x', bits: 8 }); // ok
 * validateHeader({ bits: 'eight' });            // throws WALLOC_ERR_CONTAINER_HEADER
 */
export function validateHeader(header: unknown): asserts header is WlcHeader {
  if (!isPlainObject(header)) {
    throw werr('WALLOC_ERR_CONTAINER_HEADER', { reason: `the header must be a JSON object, got ${header === null ? 'null' : Array.isArray(header) ? 'an array' : typeof header}` });
  }
  for (const [key, [ok, wanted]] of Object.entries(HEADER_FIELDS)) {
    if (Object.hasOwn(header, key) && !ok(header[key])) {
      throw werr('WALLOC_ERR_CONTAINER_HEADER', { reason: `field "${key}" must be ${wanted}, got ${JSON.stringify(header[key])}` });
    }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strict UTF-8 JSON parse; `fail` turns any problem into the caller's coded error. */
export function parseJson(bytes: Uint8Array, fail: (reason: string) => Error): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw fail('JSON text is not valid UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw fail(`invalid JSON: ${(e as Error).message}`);
  }
}

/** JSON.stringify that reports unserialisable values (BigInt, cycles, undefined) as a coded error. */
export function stringifyJson(value: unknown, what: string): Buffer {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${what} is not JSON-serialisable: ${(e as Error).message}` });
  }
  if (text === undefined) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${what} is not JSON-serialisable` });
  return Buffer.from(text, 'utf8');
}

/**
 * Serialises a stream header: magic, version, u32 LE JSON length, JSON, u32 LE CRC-32 of all the
 * bytes before it.
 *
 * @example
 * const bytes = encodeHeader({ model: 'rgb-16x', modality: 'image', bits: 8 });
 * bytes.subarray(0, 4).toString(); // 'WLOC'
 */
export function encodeHeader(header: WlcHeader, limits: WlcLimits = {}): Buffer {
  const { maxHeaderBytes } = resolveLimits(limits);
  validateHeader(header);
  const json = stringifyJson(header, 'the header');
  if (json.length > maxHeaderBytes) {
    throw werr('WALLOC_ERR_CONTAINER_LENGTH', { at: 'header', length: json.length, limit: maxHeaderBytes, option: limitHint('maxHeaderBytes', maxHeaderBytes) });
  }
  const out = Buffer.allocUnsafe(HEADER_PREFIX_BYTES + json.length + CRC_BYTES);
  out.set(WLC_MAGIC, 0);
  out.writeUInt8(WLC_VERSION, 4);
  out.writeUInt32LE(json.length, 5);
  json.copy(out, HEADER_PREFIX_BYTES);
  out.writeUInt32LE(crc32(out.subarray(0, HEADER_PREFIX_BYTES + json.length)), HEADER_PREFIX_BYTES + json.length);
  return out;
}

const showMagic = (bytes: Uint8Array): string =>
  `${JSON.stringify(Buffer.from(bytes).toString('latin1'))} (${Buffer.from(bytes).toString('hex')})`;

/**
 * Checks however many leading bytes have arrived against the magic and version, so a stream that is
 * not .wlc fails on its first wrong byte rather than after a long wait.
 */
export function checkHeaderStart(bytes: Uint8Array): void {
  const n = Math.min(bytes.length, WLC_MAGIC.length);
  for (let i = 0; i < n; i++) {
    if (bytes[i] !== WLC_MAGIC[i]) throw werr('WALLOC_ERR_CONTAINER_MAGIC', { found: showMagic(bytes.subarray(0, n)) });
  }
  if (bytes.length > 4 && bytes[4] !== WLC_VERSION) {
    throw werr('WALLOC_ERR_CONTAINER_VERSION', { version: bytes[4], supported: WLC_VERSION });
  }
}

/** Validates the 9-byte header prefix and returns the JSON length it announces. */
export function decodeHeaderPrefix(prefix: Uint8Array, limits: ResolvedLimits): number {
  checkHeaderStart(prefix);
  const length = readU32(prefix, 5);
  if (length > limits.maxHeaderBytes) {
    throw werr('WALLOC_ERR_CONTAINER_LENGTH', { at: 'header', length, limit: limits.maxHeaderBytes, option: limitHint('maxHeaderBytes', limits.maxHeaderBytes) });
  }
  return length;
}

/** Checks the header CRC, then parses and validates its JSON. `rest` is the JSON followed by the CRC. */
export function decodeHeaderBody(prefix: Uint8Array, rest: Uint8Array): WlcHeader {
  const jsonLength = rest.length - CRC_BYTES;
  const json = rest.subarray(0, jsonLength);
  if (crc32(json, crc32(prefix)) !== readU32(rest, jsonLength)) {
    throw werr('WALLOC_ERR_CONTAINER_HEADER', { reason: 'CRC-32 mismatch (the header is corrupt)' });
  }
  const header = parseJson(json, (reason) => werr('WALLOC_ERR_CONTAINER_HEADER', { reason }));
  validateHeader(header);
  return header;
}

/**
 * Parses the header at the start of `bytes` and says how many bytes it took.
 *
 * @example
 * const { header, bytes } = decodeHeader(encodeHeader({ model: 'rgb-16x' }));
 * header.model; // 'rgb-16x'
 */
export function decodeHeader(input: Uint8Array, limits: WlcLimits = {}): { header: WlcHeader; bytes: number } {
  const resolved = resolveLimits(limits);
  checkHeaderStart(input);
  if (input.length < HEADER_PREFIX_BYTES) {
    throw werr('WALLOC_ERR_CONTAINER_TRUNCATED', { at: 'header', reason: `only ${input.length} of the ${HEADER_PREFIX_BYTES} header prefix bytes` });
  }
  const prefix = input.subarray(0, HEADER_PREFIX_BYTES);
  const jsonLength = decodeHeaderPrefix(prefix, resolved);
  const total = HEADER_PREFIX_BYTES + jsonLength + CRC_BYTES;
  if (input.length < total) {
    throw werr('WALLOC_ERR_CONTAINER_TRUNCATED', { at: 'header', reason: `only ${input.length - HEADER_PREFIX_BYTES} of the ${jsonLength + CRC_BYTES} bytes of header JSON and CRC` });
  }
  return { header: decodeHeaderBody(prefix, input.subarray(HEADER_PREFIX_BYTES, total)), bytes: total };
}

/**
 * Frames one record: u32 LE payload length, u8 type, u32 LE sequence, payload, u32 LE CRC-32 of
 * every byte before the CRC (length, type, sequence and payload).
 *
 * @example
 * encodeRecord(RecordType.end, 7, new Uint8Array(0)).length; // 13
 */
export function encodeRecord(type: RecordTypeCode, sequence: number, payload: Uint8Array): Buffer {
  if (!Number.isSafeInteger(sequence) || sequence < 0 || sequence > 0xffffffff) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `record sequence ${sequence} is not a u32` });
  }
  if (payload.length > MAX_RECORD_BYTES_CAP) {
    throw werr('WALLOC_ERR_CONTAINER_LENGTH', { at: `record ${sequence}`, record: sequence, length: payload.length, limit: MAX_RECORD_BYTES_CAP, option: 'this is the hard cap' });
  }
  const out = Buffer.allocUnsafe(RECORD_PREFIX_BYTES + payload.length + CRC_BYTES);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt8(type, 4);
  out.writeUInt32LE(sequence, 5);
  out.set(payload, RECORD_PREFIX_BYTES);
  const end = RECORD_PREFIX_BYTES + payload.length;
  out.writeUInt32LE(crc32(out.subarray(0, end)), end);
  return out;
}

const KNOWN_TYPES = new Set<number>(Object.values(RecordType));

/**
 * Validates a 9-byte record prefix before any of its payload is buffered: the length against the
 * limit (so a corrupt 4 GB length allocates nothing), the type, and the sequence number.
 */
export function decodeRecordPrefix(
  prefix: Uint8Array, expectedSequence: number, limits: ResolvedLimits,
): { length: number; type: RecordTypeCode } {
  const record = expectedSequence;
  const at = `record ${record}`;
  const length = readU32(prefix, 0);
  if (length > limits.maxRecordBytes) {
    throw werr('WALLOC_ERR_CONTAINER_LENGTH', { at, record, length, limit: limits.maxRecordBytes, option: limitHint('maxRecordBytes', limits.maxRecordBytes) });
  }
  const type = prefix[4]!;
  if (!KNOWN_TYPES.has(type)) throw werr('WALLOC_ERR_CONTAINER_RECORD_TYPE', { record, type });
  const sequence = readU32(prefix, 5);
  if (sequence !== expectedSequence) throw werr('WALLOC_ERR_CONTAINER_SEQUENCE', { record, expected: `sequence ${expectedSequence}, found ${sequence}`, found: sequence });
  if (type === RecordType.end && length !== 0) {
    throw werr('WALLOC_ERR_CONTAINER_PAYLOAD', { record, reason: `an end record must be empty, this one says ${length} bytes` });
  }
  return { length, type: type as RecordTypeCode };
}

export function readU32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}
