/**
 * Record payloads. A frame payload is self-describing, in the manner of safetensors and npy:
 * u32 LE JSON length, JSON {kind, dtype, shape, meta}, then the samples as raw little-endian bytes in
 * row-major order. The reader trusts nothing in it: the JSON is checked and the shape is multiplied
 * out against the bytes actually present before any sample array is allocated.
 */
import { endianness } from 'node:os';
import { werr } from '../errors.js';
import type { Frame, FrameData, FrameKind, FrameMeta } from '../frame.js';
import { isPlainObject, parseJson, readU32, stringifyJson } from './format.js';

type TypedArrayCtor = new (buffer: ArrayBuffer, byteOffset?: number, length?: number) => FrameData;

interface DtypeSpec {
  readonly bytes: 1 | 2 | 4;
  readonly array: TypedArrayCtor & { prototype: FrameData };
  readonly get: (view: DataView, offset: number) => number;
  readonly set: (view: DataView, offset: number, value: number) => void;
}

/**
 * Sample types a frame may carry, keyed by their name in the payload JSON. This table is the whole
 * of the (de)serialiser's knowledge of types: a new dtype is one entry here, and a new frame kind
 * needs nothing at all, because the kind is carried as an opaque name.
 */
export const DTYPES = {
  float32: { bytes: 4, array: Float32Array, get: (v, o) => v.getFloat32(o, true), set: (v, o, x) => v.setFloat32(o, x, true) },
  int8: { bytes: 1, array: Int8Array, get: (v, o) => v.getInt8(o), set: (v, o, x) => v.setInt8(o, x) },
  uint8: { bytes: 1, array: Uint8Array, get: (v, o) => v.getUint8(o), set: (v, o, x) => v.setUint8(o, x) },
  uint16: { bytes: 2, array: Uint16Array, get: (v, o) => v.getUint16(o, true), set: (v, o, x) => v.setUint16(o, x, true) },
} as const satisfies Record<string, DtypeSpec>;

export type Dtype = keyof typeof DTYPES;

/** More axes than any walloc frame has ([N, D, H, W] plus slack); bounds the work a hostile shape can ask for. */
export const MAX_RANK = 8;

const KIND_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;

// On a big-endian host the bytes must be swapped one sample at a time; every common host is little-endian.
const littleEndianHost = endianness() === 'LE';

/**
 * The dtype name of a frame's sample array.
 *
 * @example
 * dtypeOf(new Int8Array(4)); // 'int8'
 */
export function dtypeOf(data: FrameData): Dtype {
  for (const [name, spec] of Object.entries(DTYPES) as Array<[Dtype, DtypeSpec]>) {
    // Buffer is a Uint8Array subclass, so instanceof (not constructor identity) is the right test.
    if (data instanceof spec.array) return name;
  }
  throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `frame data of type ${Object.prototype.toString.call(data)} cannot be stored in a .wlc record; supported: ${Object.keys(DTYPES).join(', ')}` });
}

function checkShape(shape: readonly unknown[], fail: (reason: string) => Error): void {
  if (shape.length > MAX_RANK) throw fail(`shape has ${shape.length} axes, more than ${MAX_RANK}`);
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || (d as number) <= 0) throw fail(`shape [${shape.join(', ')}] has a dimension that is not a positive integer`);
  }
}

/**
 * Serialises one frame as a record payload.
 *
 * @example
 * const payload = encodeFramePayload(makeFrame('latent', [2, 2], Int8Array.of(1, -1, 2, -2), { bits: 8 }));
 * decodeFramePayload(payload).data; // Int8Array [1, -1, 2, -2]
 */
export function encodeFramePayload(frame: Frame): Buffer {
  const bad = (reason: string) => werr('WALLOC_ERR_FRAME_SHAPE', { reason });
  if (typeof frame.kind !== 'string' || !KIND_PATTERN.test(frame.kind)) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `frame kind ${JSON.stringify(frame.kind)} is not a lower-case name of at most 32 characters` });
  }
  const dtype = dtypeOf(frame.data);
  if (!Array.isArray(frame.shape)) throw bad('shape is not an array');
  checkShape(frame.shape, bad);
  let count = 1;
  for (const d of frame.shape) count *= d;
  if (count !== frame.data.length) throw bad(`shape [${frame.shape.join(', ')}] holds ${count} values but the data has ${frame.data.length}`);

  const json = stringifyJson({ kind: frame.kind, dtype, shape: frame.shape, meta: frame.meta ?? {} }, `the meta of a ${frame.kind} frame`);
  const { bytes } = DTYPES[dtype];
  const out = Buffer.allocUnsafe(4 + json.length + count * bytes);
  out.writeUInt32LE(json.length, 0);
  json.copy(out, 4);
  const start = 4 + json.length;
  if (littleEndianHost) {
    out.set(new Uint8Array(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength), start);
  } else {
    const view = new DataView(out.buffer, out.byteOffset + start, count * bytes);
    for (let i = 0; i < count; i++) DTYPES[dtype].set(view, i * bytes, frame.data[i]!);
  }
  return out;
}

/**
 * Parses and validates a frame payload; `record` only names the record in errors. The samples are
 * copied into a fresh, aligned typed array, so the frame never pins the stream's input buffers.
 *
 * @example
 * const frame = decodeFramePayload(encodeFramePayload(makeFrame('audio', [2, 3], new Float32Array(6), { sampleRate: 48000 })));
 * frame.shape; // [2, 3]
 */
export function decodeFramePayload(payload: Uint8Array, record = 0): Frame {
  const fail = (reason: string) => werr('WALLOC_ERR_CONTAINER_PAYLOAD', { record, reason });
  if (payload.length < 4) throw fail(`a frame payload needs at least 4 bytes, this one has ${payload.length}`);
  const jsonLength = readU32(payload, 0);
  if (jsonLength > payload.length - 4) throw fail(`frame JSON length ${jsonLength} runs past the ${payload.length}-byte payload`);
  const desc = parseJson(payload.subarray(4, 4 + jsonLength), (reason) => fail(`frame description: ${reason}`));
  if (!isPlainObject(desc)) throw fail('frame description is not a JSON object');
  const { kind, dtype, shape, meta } = desc;
  if (typeof kind !== 'string' || !KIND_PATTERN.test(kind)) throw fail(`frame kind ${JSON.stringify(kind)} is not a lower-case name`);
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPES, dtype)) throw fail(`unknown dtype ${JSON.stringify(dtype)}; known: ${Object.keys(DTYPES).join(', ')}`);
  if (!Array.isArray(shape)) throw fail('frame shape is not an array');
  if (!isPlainObject(meta)) throw fail('frame meta is not a JSON object');
  checkShape(shape, fail);

  const spec: DtypeSpec = DTYPES[dtype as Dtype];
  const dataBytes = payload.length - 4 - jsonLength;
  // Multiply step by step and stop as soon as the product outgrows the bytes present, so a shape of
  // [2^40, 2^40] neither overflows nor allocates.
  let count = 1;
  let stoppedEarly = false;
  for (let i = 0; i < shape.length; i++) {
    count *= shape[i] as number;
    if (count * spec.bytes > dataBytes && i < shape.length - 1) {
      stoppedEarly = true;
      break;
    }
  }
  if (count * spec.bytes !== dataBytes) {
    throw fail(`shape [${shape.join(', ')}] of ${dtype} needs ${stoppedEarly ? 'more than ' : ''}${count * spec.bytes} bytes but the payload carries ${dataBytes}`);
  }

  const buffer = new ArrayBuffer(dataBytes);
  const src = payload.subarray(4 + jsonLength);
  if (littleEndianHost) {
    new Uint8Array(buffer).set(src);
  } else {
    const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
    const dst = new spec.array(buffer);
    for (let i = 0; i < count; i++) dst[i] = spec.get(view, i * spec.bytes);
  }
  // Kinds are opaque names here (a later 'packed' kind passes through); stages check the kind they need.
  return { kind: kind as FrameKind, shape: Object.freeze([...(shape as number[])]), data: new spec.array(buffer), meta: meta as FrameMeta };
}

/**
 * Serialises a meta record payload: any JSON value, as UTF-8.
 *
 * @example
 * encodeMetaPayload({ chapter: 2 }).toString(); // '{"chapter":2}'
 */
export function encodeMetaPayload(data: unknown): Buffer {
  return stringifyJson(data, 'meta record data');
}

/**
 * Parses a meta record payload.
 *
 * @example
 * decodeMetaPayload(Buffer.from('{"chapter":2}')); // { chapter: 2 }
 */
export function decodeMetaPayload(payload: Uint8Array, record = 0): unknown {
  return parseJson(payload, (reason) => werr('WALLOC_ERR_CONTAINER_PAYLOAD', { record, reason: `meta record: ${reason}` }));
}
