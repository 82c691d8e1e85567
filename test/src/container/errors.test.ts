import t from 'tap';
import { Readable } from 'node:stream';
import {
  WlcParser, WlcReader, WlcWriter, readWlc, readWlcSync, writeWlc, decodeFramePayload, decodeHeader,
  encodeHeader, decodeMetaPayload, encodeFramePayload, type WlcParserOptions,
} from '../../../src/container/index.js';
import { isWallocError, type ErrorCode } from '../../../src/errors.js';
import { makeFrame } from '../../../src/frame.js';
import { GOLDEN_HEADER, goldenFrames, rawFramePayload, rawHeader, rawRecord } from '../../fixtures-gen/container.js';
import { chunk, readThroughStream } from './util.js';

const header = rawHeader(JSON.stringify(GOLDEN_HEADER));
const golden = writeWlc(GOLDEN_HEADER, goldenFrames());
const latent = (desc: Record<string, unknown>, data: Uint8Array) =>
  rawFramePayload({ kind: 'latent', dtype: 'int8', shape: [data.length], meta: {}, ...desc }, data);
const end = (seq: number) => rawRecord(3, seq, new Uint8Array(0));

/** Asserts the same coded error (and message fragment) from the sync reader, the 1-byte-chunk stream and the whole-buffer stream. */
async function rejects(t: Pick<typeof tap, 'throws' | 'rejects'>, bytes: Uint8Array, code: ErrorCode, message: RegExp, options: WlcParserOptions = {}) {
  t.throws(() => readWlcSync(bytes, options), { code, message }, `sync: ${code}`);
  await t.rejects(readThroughStream(chunk(bytes, [1]), options), { code, message }, `1-byte stream: ${code}`);
  await t.rejects(readThroughStream([bytes], options), { code, message }, `one-chunk stream: ${code}`);
}
const tap = t;

t.test('header errors', async (t) => {
  await rejects(t, Buffer.concat([rawHeader('{}', { magic: 'WLOX' }), end(0)]), 'WALLOC_ERR_CONTAINER_MAGIC', /bad magic "WLOX"/);
  await rejects(t, Buffer.from('RIFF\x24\x08\x00\x00WAVEfmt '), 'WALLOC_ERR_CONTAINER_MAGIC', /not a walloc stream/);
  await rejects(t, Buffer.concat([rawHeader('{}', { version: 2 }), end(0)]), 'WALLOC_ERR_CONTAINER_VERSION', /version 2/);
  await rejects(t, Buffer.concat([rawHeader('{"model":'), end(0)]), 'WALLOC_ERR_CONTAINER_HEADER', /invalid JSON/);
  await rejects(t, Buffer.concat([rawHeader(Uint8Array.of(0x22, 0xff, 0x22)), end(0)]), 'WALLOC_ERR_CONTAINER_HEADER', /UTF-8/);
  await rejects(t, Buffer.concat([rawHeader('[1,2]'), end(0)]), 'WALLOC_ERR_CONTAINER_HEADER', /must be a JSON object, got an array/);
  await rejects(t, Buffer.concat([rawHeader('null'), end(0)]), 'WALLOC_ERR_CONTAINER_HEADER', /got null/);
  await rejects(t, Buffer.concat([rawHeader('{"bits":"eight"}'), end(0)]), 'WALLOC_ERR_CONTAINER_HEADER', /"bits" must be a positive integer/);
  await rejects(t, Buffer.concat([rawHeader('{}', { crc: 1 }), end(0)]), 'WALLOC_ERR_CONTAINER_HEADER', /CRC-32 mismatch/);
  await rejects(t, rawHeader('{}', { length: 0xffffffff }), 'WALLOC_ERR_CONTAINER_LENGTH', /^header: length 4294967295 exceeds the limit of 1048576 bytes/);
  await rejects(t, Buffer.concat([rawHeader('{"a":1}'), end(0)]), 'WALLOC_ERR_CONTAINER_LENGTH', /header: length 7 exceeds the limit of 6/, { maxHeaderBytes: 6 });
});

t.test('truncation inside the header', async (t) => {
  await rejects(t, new Uint8Array(0), 'WALLOC_ERR_CONTAINER_TRUNCATED', /^header: stream is truncated \(the input is empty\)/);
  await rejects(t, golden.subarray(0, 3), 'WALLOC_ERR_CONTAINER_TRUNCATED', /only 3 of the 9 header prefix bytes/);
  await rejects(t, golden.subarray(0, 15), 'WALLOC_ERR_CONTAINER_TRUNCATED', /^header: .*only 6 of the 29 bytes of header JSON and CRC/);
  await rejects(t, golden.subarray(0, header.length - 1), 'WALLOC_ERR_CONTAINER_TRUNCATED', /^header:/);
});

t.test('record errors name the record', async (t) => {
  const frame = latent({}, Uint8Array.of(1, 2, 3));
  const ok = rawRecord(1, 0, frame);
  await rejects(t, Buffer.concat([header, ok, rawRecord(1, 1, frame, { crc: 0 }), end(2)]), 'WALLOC_ERR_CONTAINER_CRC', /^record 1: CRC-32 mismatch/);
  const flipped = Buffer.from(golden);
  flipped[header.length + 2]! ^= 0x80; // the length field: the CRC covers it too
  await rejects(t, flipped, 'WALLOC_ERR_CONTAINER_TRUNCATED', /record 0/);
  const flippedSeq = Buffer.from(golden);
  flippedSeq[header.length + 4 + 1 + 0]! ^= 0x01;
  await rejects(t, flippedSeq, 'WALLOC_ERR_CONTAINER_SEQUENCE', /^record 0: out of sequence \(expected sequence 0, found 1\)/);
  await rejects(t, Buffer.concat([header, ok, rawRecord(7, 1, frame), end(2)]), 'WALLOC_ERR_CONTAINER_RECORD_TYPE', /^record 1: unknown record type 7/);
  await rejects(t, Buffer.concat([header, rawRecord(0, 0, frame)]), 'WALLOC_ERR_CONTAINER_RECORD_TYPE', /type 0/);
  await rejects(t, Buffer.concat([header, ok, rawRecord(1, 2, frame), end(3)]), 'WALLOC_ERR_CONTAINER_SEQUENCE', /^record 1: out of sequence \(expected sequence 1, found 2\)/);
  await rejects(t, Buffer.concat([header, ok, ok]), 'WALLOC_ERR_CONTAINER_SEQUENCE', /record 1: .*found 0/);
  await rejects(t, Buffer.concat([header, rawRecord(3, 0, Uint8Array.of(1))]), 'WALLOC_ERR_CONTAINER_PAYLOAD', /^record 0: .*end record must be empty/);
  await rejects(t, Buffer.concat([golden, Uint8Array.of(0)]), 'WALLOC_ERR_CONTAINER_SEQUENCE', /^record 3: .*no bytes after the end record \(record 2\)/);
  await rejects(t, Buffer.concat([golden, golden]), 'WALLOC_ERR_CONTAINER_SEQUENCE', /record 3/);
});

t.test('truncation inside a record', async (t) => {
  const frame = latent({}, Uint8Array.of(1, 2, 3));
  const both = Buffer.concat([header, rawRecord(1, 0, frame), rawRecord(1, 1, frame), end(2)]);
  const second = header.length + 9 + frame.length + 4;
  await rejects(t, both.subarray(0, second + 4), 'WALLOC_ERR_CONTAINER_TRUNCATED', /^record 1: .*only 4 of the 9 record prefix bytes/);
  await rejects(t, both.subarray(0, second + 9 + 10), 'WALLOC_ERR_CONTAINER_TRUNCATED', new RegExp(`^record 1: .*only 10 of the ${frame.length + 4} bytes of payload and CRC of a frame record`));
  await rejects(t, both.subarray(0, second + 9 + frame.length + 3), 'WALLOC_ERR_CONTAINER_TRUNCATED', /record 1/);
  await rejects(t, golden.subarray(0, golden.length - 1), 'WALLOC_ERR_CONTAINER_TRUNCATED', /record 2: .*of an end record/);
});

t.test('a half frame is never emitted: frames before the cut are, the cut one is not', async (t) => {
  const frame = latent({}, Uint8Array.of(1, 2, 3));
  const bytes = Buffer.concat([header, rawRecord(1, 0, frame), rawRecord(1, 1, frame)]).subarray(0, -1);
  const reader = new WlcReader();
  const got: unknown[] = [];
  reader.on('data', (f) => got.push(f));
  const failed = new Promise((resolve) => reader.on('error', resolve));
  reader.end(bytes);
  t.match(await failed, { code: 'WALLOC_ERR_CONTAINER_TRUNCATED' });
  t.equal(got.length, 1);
});

t.test('end of stream: unterminated by default, truncated in strict mode', async (t) => {
  const cut = golden.subarray(0, golden.length - 13);
  const lax = await readThroughStream(chunk(cut, [5]));
  t.equal(lax.terminated, false);
  t.equal(lax.unterminated, 2, "'unterminated' reports the records read");
  t.equal(lax.items.length, 1);
  t.equal(readWlcSync(cut).terminated, false);
  await rejects(t, cut, 'WALLOC_ERR_CONTAINER_TRUNCATED', /^record 2: .*no end record, and strict mode requires one/, { strict: true });
  const headerOnly = await readThroughStream([header]);
  t.equal(headerOnly.terminated, false);
  t.same(headerOnly.header, GOLDEN_HEADER);
  const strictOk = await readThroughStream([golden], { strict: true });
  t.equal(strictOk.terminated, true);
});

t.test('frame payload validation (all with correct CRCs)', async (t) => {
  const cases: Array<[string, Buffer, RegExp]> = [
    ['shape too small', latent({ shape: [2] }, Uint8Array.of(1, 2, 3)), /shape \[2\] of int8 needs 2 bytes but the payload carries 3/],
    ['shape too large', latent({ shape: [3, 3] }, Uint8Array.of(1, 2, 3)), /shape \[3, 3\] of int8 needs 9 bytes but the payload carries 3/],
    ['huge dims do not allocate', latent({ shape: [2 ** 40, 2 ** 40, 2 ** 40] }, Uint8Array.of(1)), /needs more than/],
    ['dtype byte size', rawFramePayload({ kind: 'x', dtype: 'float32', shape: [1], meta: {} }, Uint8Array.of(1, 2, 3)), /float32 needs 4 bytes but the payload carries 3/],
    ['rank', latent({ shape: [1, 1, 1, 1, 1, 1, 1, 1, 1] }, Uint8Array.of(1)), /9 axes, more than 8/],
    ['zero dim', latent({ shape: [0] }, new Uint8Array(0)), /not a positive integer/],
    ['negative dim', latent({ shape: [-1] }, Uint8Array.of(1)), /not a positive integer/],
    ['fractional dim', latent({ shape: [1.5] }, Uint8Array.of(1)), /not a positive integer/],
    ['string dim', latent({ shape: ['1'] }, Uint8Array.of(1)), /not a positive integer/],
    ['shape not array', latent({ shape: 1 }, Uint8Array.of(1)), /shape is not an array/],
    ['unknown dtype', latent({ dtype: 'float64' }, new Uint8Array(8)), /unknown dtype "float64"/],
    ['prototype dtype', latent({ dtype: 'constructor' }, new Uint8Array(8)), /unknown dtype/],
    ['bad kind', latent({ kind: 'Image!' }, Uint8Array.of(1)), /kind "Image!"/],
    ['meta not object', latent({ meta: [1] }, Uint8Array.of(1)), /meta is not a JSON object/],
    ['not an object', rawFramePayload([1], Uint8Array.of(1)), /not a JSON object/],
    ['bad JSON', Buffer.concat([Buffer.from([3, 0, 0, 0]), Buffer.from('{"a'), Uint8Array.of(1)]), /invalid JSON/],
    ['JSON length past payload', Buffer.from([200, 0, 0, 0, 0x7b, 0x7d]), /runs past the 6-byte payload/],
    ['too short', Buffer.from([1, 0]), /at least 4 bytes/],
  ];
  for (const [name, payload, message] of cases) {
    t.throws(() => decodeFramePayload(payload, 4), { code: 'WALLOC_ERR_CONTAINER_PAYLOAD', message: new RegExp(`^record 4: .*${message.source}`) }, name);
  }
  await rejects(t, Buffer.concat([header, rawRecord(1, 0, cases[0]![1]), end(1)]), 'WALLOC_ERR_CONTAINER_PAYLOAD', /^record 0: bad payload/);
  await rejects(t, Buffer.concat([header, rawRecord(2, 0, Buffer.from('{oops')), end(1)]), 'WALLOC_ERR_CONTAINER_PAYLOAD', /^record 0: bad payload \(meta record: invalid JSON/);
  t.throws(() => decodeMetaPayload(Buffer.from([0xc3, 0x28]), 2), { code: 'WALLOC_ERR_CONTAINER_PAYLOAD', message: /UTF-8/ });
});

t.test('wrong model', async (t) => {
  const bytes = writeWlc({ model: 'rgb-16x', modelSha256: 'a'.repeat(64) }, []);
  await rejects(t, bytes, 'WALLOC_ERR_CONTAINER_MODEL', /made with model "rgb-16x" \(sha256 aaaaaaaaaaaa…\), not "stereo-5x"/, { expect: { model: 'stereo-5x' } });
  await rejects(t, bytes, 'WALLOC_ERR_CONTAINER_MODEL', /sha256/, { expect: { model: 'rgb-16x', modelSha256: 'b'.repeat(64) } });
  t.equal(readWlcSync(bytes, { expect: { model: 'rgb-16x', modelSha256: 'a'.repeat(64) } }).terminated, true);
});

t.test('a failed parser stays failed', async (t) => {
  const parser = new WlcParser();
  t.throws(() => [...parser.write(Buffer.from('X'))], { code: 'WALLOC_ERR_CONTAINER_MAGIC' });
  t.throws(() => [...parser.write(golden)], { code: 'WALLOC_ERR_CONTAINER_MAGIC' });
  t.throws(() => parser.end(), { code: 'WALLOC_ERR_CONTAINER_MAGIC' });
});

t.test('bad magic is reported on the first wrong byte, before the header is complete', async (t) => {
  const parser = new WlcParser();
  t.same([...parser.write(Buffer.from('W'))], []);
  t.throws(() => [...parser.write(Buffer.from('X'))], { code: 'WALLOC_ERR_CONTAINER_MAGIC', message: /"WX"/ });
  const v = new WlcParser();
  t.throws(() => [...v.write(Buffer.from('WLOC\x07'))], { code: 'WALLOC_ERR_CONTAINER_VERSION' });
});

t.test('writer-side errors', async (t) => {
  const f = makeFrame('latent', [2], Int8Array.of(1, 2), {});
  t.throws(() => writeWlc({}, [{ kind: 'latent', shape: [3], data: Int8Array.of(1, 2), meta: {} }]), { code: 'WALLOC_ERR_FRAME_SHAPE' });
  t.throws(() => writeWlc({}, [{ kind: 'latent', shape: [2], data: new Float64Array(2) as never, meta: {} }]), { code: 'WALLOC_ERR_INVALID_ARGUMENT', message: /Float64Array/ });
  t.throws(() => writeWlc({}, [{ kind: 'Bad Kind' as never, shape: [2], data: Int8Array.of(1, 2), meta: {} }]), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  t.throws(() => writeWlc({}, [{ kind: 'latent', shape: [2], data: Int8Array.of(1, 2), meta: { extra: { n: 1n } } }]), { code: 'WALLOC_ERR_INVALID_ARGUMENT', message: /JSON-serialisable/ });
  t.throws(() => writeWlc({}, [{ type: 'meta', data: undefined }]), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  t.throws(() => writeWlc({}, [42 as never]), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  t.throws(() => writeWlc({}, [f], { maxRecordBytes: 10 }), { code: 'WALLOC_ERR_CONTAINER_LENGTH', message: /^record 0: length \d+ exceeds the limit of 10 bytes \(raise maxRecordBytes/ });
  t.throws(() => writeWlc({ bits: -1 }, []), { code: 'WALLOC_ERR_CONTAINER_HEADER' });
  t.throws(() => writeWlc([] as never, []), { code: 'WALLOC_ERR_CONTAINER_HEADER' });
  t.throws(() => encodeHeader({ note: 'x'.repeat(100) }, { maxHeaderBytes: 50 }), { code: 'WALLOC_ERR_CONTAINER_LENGTH' });
  t.throws(() => new WlcWriter({ header: { modality: 'smell' as never } }), { code: 'WALLOC_ERR_CONTAINER_HEADER' });
  t.throws(() => new WlcReader({ maxRecordBytes: 2 ** 31 + 1 }), { code: 'WALLOC_ERR_INVALID_ARGUMENT', message: /maxRecordBytes/ });
  t.throws(() => new WlcReader({ maxHeaderBytes: -1 }), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
  t.throws(() => encodeFramePayload(makeFrame('latent', [1, 1, 1, 1, 1, 1, 1, 1, 1], Int8Array.of(1))), { code: 'WALLOC_ERR_FRAME_SHAPE', message: /9 axes/ });

  const writer = new WlcWriter({ header: {} });
  writer.resume();
  const failed = new Promise((resolve) => writer.on('error', resolve));
  writer.write({ kind: 'latent', shape: [5], data: Int8Array.of(1), meta: {} });
  const err = await failed;
  t.ok(isWallocError(err, 'WALLOC_ERR_FRAME_SHAPE'), 'stream reports it as an error event');
});

t.test('readWlc refuses string chunks', async (t) => {
  const s = Readable.from([golden]).setEncoding('latin1');
  await t.rejects(readWlc(s), { code: 'WALLOC_ERR_INVALID_ARGUMENT', message: /setEncoding/ });
});

t.test('decodeHeader on partial input', async (t) => {
  t.throws(() => decodeHeader(golden.subarray(0, 20)), { code: 'WALLOC_ERR_CONTAINER_TRUNCATED' });
  t.throws(() => decodeHeader(golden.subarray(0, 4)), { code: 'WALLOC_ERR_CONTAINER_TRUNCATED' });
});
