import t from 'tap';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  WlcReader, WlcWriter, readWlc, readWlcSync, writeWlc, encodeFramePayload, decodeFramePayload,
  encodeHeader, decodeHeader, encodeRecord, RecordType, DTYPES, dtypeOf, type WlcMeta,
} from '../../../src/container/index.js';
import { makeFrame, type Frame } from '../../../src/frame.js';
import { MULTI_HEADER, multiFrames } from '../../fixtures-gen/container.js';
import { plain, readThroughStream } from './util.js';

const onlyFrames = (items: Array<Frame | WlcMeta>) => items.filter((i): i is Frame => 'kind' in i);

t.test('frame payload round trip for every dtype, with exact sample bits', async (t) => {
  const frames = [
    makeFrame('image', [3, 1, 2], Float32Array.of(-0.5, 0.5, 0, -0, 1e-38, NaN), { pts: 3 }),
    makeFrame('latent', [4], Int8Array.of(-128, -1, 0, 127), { bits: 8, model: 'rgb-16x' }),
    makeFrame('tokens', [2, 2], Uint16Array.of(0, 1, 65534, 65535), {}),
    makeFrame('coeffs', [1, 1, 1, 1, 1, 1, 1, 2], Float32Array.of(Infinity, -Infinity), { levels: 3 }),
    makeFrame('packed' as never, [3], Uint8Array.of(0, 127, 255), { extra: { format: 'webp' } }),
  ];
  t.same(Object.keys(DTYPES).sort(), ['float32', 'int8', 'uint16', 'uint8']);
  for (const f of frames) {
    const back = decodeFramePayload(encodeFramePayload(f));
    t.equal(back.kind, f.kind);
    t.same(back.shape, f.shape);
    t.equal(dtypeOf(back.data), dtypeOf(f.data));
    t.same(back.meta, f.meta);
    t.same(Buffer.from(back.data.buffer, back.data.byteOffset, back.data.byteLength),
      Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength), `${f.kind}: bit-exact samples`);
  }
});

t.test('decoded samples are a fresh, aligned array even when the JSON length is odd', async (t) => {
  const f = makeFrame('audio', [1, 3], Float32Array.of(0.25, -0.75, 1), { pts: 12345 });
  const payload = encodeFramePayload(f);
  t.not((4 + payload.readUInt32LE(0)) % 4, 0, 'the sample bytes start unaligned in the payload');
  const back = decodeFramePayload(payload);
  t.equal(back.data.byteOffset, 0);
  t.same(Array.from(back.data), [0.25, -0.75, 1]);
  payload.fill(0);
  t.same(Array.from(back.data), [0.25, -0.75, 1], 'does not alias the payload');
});

t.test('a frame whose data is a view into a larger buffer encodes only its own bytes', async (t) => {
  const big = new Int8Array([9, 9, 1, 2, 3, 9]);
  const f = makeFrame('latent', [3], big.subarray(2, 5), {});
  t.same(Array.from(decodeFramePayload(encodeFramePayload(f)).data), [1, 2, 3]);
});

t.test('header round trip keeps unknown fields', async (t) => {
  const { header, bytes } = decodeHeader(encodeHeader(MULTI_HEADER));
  t.same(header, MULTI_HEADER);
  t.equal(bytes, encodeHeader(MULTI_HEADER).length);
});

t.test('encodeRecord layout', async (t) => {
  const r = encodeRecord(RecordType.meta, 5, Buffer.from('{}'));
  t.equal(r.readUInt32LE(0), 2);
  t.equal(r[4], 2);
  t.equal(r.readUInt32LE(5), 5);
  t.equal(r.subarray(9, 11).toString(), '{}');
  t.equal(r.length, 15);
});

t.test('writeWlc / readWlcSync / readWlc round trip with meta records in place', async (t) => {
  const items = multiFrames();
  const bytes = writeWlc(MULTI_HEADER, items);
  const sync = readWlcSync(bytes);
  t.same(sync.header, MULTI_HEADER);
  t.same(sync.frames.map(plain), onlyFrames(items).map(plain));
  t.same(sync.meta, [{ type: 'meta', data: { scene: 1 }, before: 1 }]);
  t.equal(sync.terminated, true);
  const fromStream = await readWlc(Readable.from([bytes.subarray(0, 100), bytes.subarray(100)]));
  t.same(fromStream.frames.map(plain), sync.frames.map(plain));
  const fromBuffer = await readWlc(bytes);
  t.same(fromBuffer.frames.map(plain), sync.frames.map(plain));
});

t.test('an empty stream is header plus end record', async (t) => {
  const bytes = writeWlc({}, []);
  const r = readWlcSync(bytes);
  t.same(r, { header: {}, frames: [], meta: [], terminated: true });
  const viaStream = await readThroughStream([bytes]);
  t.equal(viaStream.terminated, true);
  t.equal(viaStream.items.length, 0);
});

t.test('WlcWriter streams the same bytes as writeWlc', async (t) => {
  const items = multiFrames();
  const parts: Buffer[] = [];
  await pipeline(Readable.from(items), new WlcWriter({ header: MULTI_HEADER }), new Writable({
    write(c: Buffer, _e, cb) { parts.push(c); cb(); },
  }));
  t.same(Buffer.concat(parts), writeWlc(MULTI_HEADER, items));
  t.ok(parts.length >= items.length + 2, 'header, one chunk per record, end record');
});

t.test('WlcReader: header event before the first frame, headerReady, meta as events', async (t) => {
  const r = await readThroughStream([writeWlc(MULTI_HEADER, multiFrames())]);
  t.equal(r.headerBeforeFirstItem, true);
  t.same(r.header, MULTI_HEADER);
  t.same(r.metaEvents, [{ scene: 1 }]);
  t.equal(r.items.length, 5, 'frames only');
  t.equal(r.terminated, true);
  t.equal(r.unterminated, undefined);
  const reader = new WlcReader();
  reader.end(writeWlc(MULTI_HEADER, []));
  reader.resume();
  t.same(await reader.headerReady, MULTI_HEADER);
});

t.test('WlcReader inline meta mode piped into WlcWriter remuxes byte for byte', async (t) => {
  const bytes = writeWlc(MULTI_HEADER, multiFrames());
  const reader = new WlcReader({ meta: 'inline' });
  const out: Buffer[] = [];
  const header = reader.headerReady;
  reader.write(bytes.subarray(0, 300));
  const writer = new WlcWriter({ header: await header });
  const done = pipeline(reader, writer, new Writable({ write(c: Buffer, _e, cb) { out.push(c); cb(); } }));
  reader.end(bytes.subarray(300));
  await done;
  t.same(Buffer.concat(out), bytes);
});

t.test('headerReady rejects with the coded error when the header is bad', async (t) => {
  const reader = new WlcReader();
  reader.on('error', () => {});
  reader.end(Buffer.from('RIFF....WAVE'));
  await t.rejects(reader.headerReady, { code: 'WALLOC_ERR_CONTAINER_MAGIC' });
});

t.test('headerReady rejects when the stream is destroyed first', async (t) => {
  const reader = new WlcReader();
  reader.destroy();
  await t.rejects(reader.headerReady, { code: 'WALLOC_ERR_CONTAINER_TRUNCATED', message: /^header: / });
});

t.test('a writer holds the stream to the frame count its header announces (fewer or more is an error, not a file that lies)', async (t) => {
  const frame = (i: number) => makeFrame('latent', [1, 2, 2], new Int8Array(4), { pts: i });
  const header = { model: 'm', modality: 'image' as const, frames: 2 };
  t.doesNotThrow(() => writeWlc(header, [frame(0), { type: 'meta', data: { note: 1 } }, frame(1)]), 'meta records do not count');
  t.throws(() => writeWlc(header, [frame(0)]), { code: 'WALLOC_ERR_INVALID_ARGUMENT', message: /announces 2 frames, 1 was written/ });
  t.throws(() => writeWlc(header, [frame(0), frame(1), frame(2)]), { message: /announces 2 frames, more were written/ });
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  await t.rejects(pipeline(Readable.from([frame(0)]), new WlcWriter({ header }), sink), { message: /announces 2 frames, 1 was written/ });
  const sink2 = new Writable({ write: (_c, _e, cb) => cb() });
  await t.rejects(pipeline(Readable.from([frame(0), frame(1), frame(2)]), new WlcWriter({ header }), sink2), { message: /more were written/ });
});
