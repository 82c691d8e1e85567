/**
 * Generates fixtures/container/: small valid .wlc files and deliberately broken ones, plus
 * manifest.json saying what a reader must make of each. Deterministic, so the golden test can
 * regenerate them in memory and compare with the committed bytes.
 *
 *   node --import tsx test/fixtures-gen/container.ts
 *
 * The broken files are built by hand from raw fields (not by the writer, which refuses to make
 * them), with correct CRCs wherever the point is to reach a check that comes after the CRC.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { crc32, writeWlc, type WlcHeader } from '../../src/container/index.js';
import { makeFrame, type Frame } from '../../src/frame.js';
import type { ErrorCode } from '../../src/errors.js';

/** Header bytes with every field under the caller's control (wrong magic, version, length, CRC). */
export function rawHeader(json: string | Uint8Array, o: { magic?: string; version?: number; length?: number; crc?: number } = {}): Buffer {
  const body = typeof json === 'string' ? Buffer.from(json, 'utf8') : Buffer.from(json);
  const prefix = Buffer.alloc(9);
  prefix.write(o.magic ?? 'WLOC', 0, 'latin1');
  prefix.writeUInt8(o.version ?? 1, 4);
  prefix.writeUInt32LE(o.length ?? body.length, 5);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(o.crc ?? crc32(body, crc32(prefix)));
  return Buffer.concat([prefix, body, crc]);
}

/** Record bytes with every field under the caller's control. */
export function rawRecord(type: number, sequence: number, payload: Uint8Array, o: { length?: number; crc?: number } = {}): Buffer {
  const prefix = Buffer.alloc(9);
  prefix.writeUInt32LE(o.length ?? payload.length, 0);
  prefix.writeUInt8(type, 4);
  prefix.writeUInt32LE(sequence, 5);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(o.crc ?? crc32(payload, crc32(prefix)));
  return Buffer.concat([prefix, payload, crc]);
}

/** A frame payload from an arbitrary description object and raw sample bytes. */
export function rawFramePayload(desc: unknown, data: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(desc), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  return Buffer.concat([len, json, data]);
}

/** The golden example: small enough to annotate byte by byte in docs/format.md. */
export const GOLDEN_HEADER: WlcHeader = { model: 'demo', bits: 8 };
export const goldenFrames = (): Array<Frame | { type: 'meta'; data: unknown }> => [
  makeFrame('latent', [2, 2], Int8Array.of(1, -1, 2, -2), { pts: 0 }),
  { type: 'meta', data: { note: 'hi' } },
];

export const MULTI_HEADER: WlcHeader = {
  model: 'rgb-16x', modelSha256: 'ab'.repeat(32), modality: 'image', levels: 2, wavelet: 'bior4.4',
  latentDim: 12, bits: 8, pack: 'webp', shape: [3, 4, 4], extra: { source: 'fixture' },
};
export const multiFrames = (): Array<Frame | { type: 'meta'; data: unknown }> => [
  makeFrame('image', [3, 2, 2], Float32Array.from({ length: 12 }, (_, i) => i / 24 - 0.25), { pts: 0 }),
  { type: 'meta', data: { scene: 1 } },
  makeFrame('latent', [12, 1, 1], Int8Array.from({ length: 12 }, (_, i) => i * 21 - 127), { pts: 0, bits: 8, source: 'image', levels: 2 }),
  makeFrame('tokens', [2, 3], Uint16Array.of(0, 1, 255, 256, 4095, 65535), { pts: 1 }),
  makeFrame('packed' as never, [7], Uint8Array.of(0x52, 0x49, 0x46, 0x46, 0, 128, 255), { pts: 1, extra: { format: 'webp' } }),
  makeFrame('audio', [2, 3], Float32Array.of(-1, 0, 1, 0.5, -0.5, 1e-7), { pts: 0, sampleRate: 48000 }),
];

export interface ContainerFixture {
  name: string;
  description: string;
  /** 'ok', or the code a default (non-strict) reader must fail with. */
  expect: 'ok' | ErrorCode;
  /** What a strict reader must make of it, when that differs. */
  strict?: 'ok' | ErrorCode;
  /** Frames a default reader yields, for the valid files. */
  frames?: number;
  bytes: Buffer;
}

export function buildContainerFixtures(): ContainerFixture[] {
  const golden = writeWlc(GOLDEN_HEADER, goldenFrames());
  const multi = writeWlc(MULTI_HEADER, multiFrames());
  const header = rawHeader(JSON.stringify(GOLDEN_HEADER));
  const frame = rawFramePayload({ kind: 'latent', dtype: 'int8', shape: [2, 2], meta: {} }, Uint8Array.of(1, 2, 3, 4));
  const end = (seq: number) => rawRecord(3, seq, new Uint8Array(0));
  const ok = (name: string, description: string, bytes: Buffer, frames: number, strict?: ErrorCode): ContainerFixture =>
    ({ name, description, expect: 'ok', ...(strict ? { strict } : {}), frames, bytes });
  const bad = (name: string, description: string, expect: ErrorCode, bytes: Buffer): ContainerFixture => ({ name, description, expect, bytes });
  const flip = (b: Buffer, at: number) => { const c = Buffer.from(b); c[at]! ^= 0x01; return c; };

  return [
    ok('golden.wlc', 'one int8 latent frame, one meta record, end record; pinned byte for byte and annotated in docs/format.md', golden, 1),
    ok('multi.wlc', 'every dtype (float32 image and audio, int8 latent, uint16 tokens, uint8 "packed") and a meta record', multi, 5),
    ok('unterminated.wlc', 'golden.wlc without its end record: a pipe cut between records', golden.subarray(0, golden.length - 13), 1, 'WALLOC_ERR_CONTAINER_TRUNCATED'),
    bad('bad-magic.wlc', 'magic "WLOX"', 'WALLOC_ERR_CONTAINER_MAGIC', Buffer.concat([rawHeader('{}', { magic: 'WLOX' }), end(0)])),
    bad('bad-version.wlc', 'version byte 2', 'WALLOC_ERR_CONTAINER_VERSION', Buffer.concat([rawHeader('{}', { version: 2 }), end(0)])),
    bad('bad-header-json.wlc', 'header JSON does not parse (CRC is right)', 'WALLOC_ERR_CONTAINER_HEADER', Buffer.concat([rawHeader('{"model":'), end(0)])),
    bad('header-not-object.wlc', 'header JSON is an array', 'WALLOC_ERR_CONTAINER_HEADER', Buffer.concat([rawHeader('[1,2]'), end(0)])),
    bad('bad-header-crc.wlc', 'one header JSON byte flipped', 'WALLOC_ERR_CONTAINER_HEADER', flip(golden, 10)),
    bad('header-length-4gb.wlc', 'header length field 0xFFFFFFFF', 'WALLOC_ERR_CONTAINER_LENGTH', rawHeader('{}', { length: 0xffffffff })),
    bad('truncated-header.wlc', 'cut inside the header JSON', 'WALLOC_ERR_CONTAINER_TRUNCATED', golden.subarray(0, 15)),
    bad('bad-crc.wlc', 'one sample byte of record 0 flipped', 'WALLOC_ERR_CONTAINER_CRC', flip(golden, header.length + 9 + golden.readUInt32LE(header.length) - 1)),
    bad('truncated-record.wlc', 'cut inside the payload of record 0', 'WALLOC_ERR_CONTAINER_TRUNCATED', golden.subarray(0, header.length + 20)),
    bad('record-length-4gb.wlc', 'record 0 says its payload is 0xFFFFFFFF bytes', 'WALLOC_ERR_CONTAINER_LENGTH', Buffer.concat([header, rawRecord(1, 0, frame, { length: 0xffffffff })])),
    bad('unknown-type.wlc', 'record 0 has type 9', 'WALLOC_ERR_CONTAINER_RECORD_TYPE', Buffer.concat([header, rawRecord(9, 0, frame), end(1)])),
    bad('out-of-sequence.wlc', 'records numbered 0, 2', 'WALLOC_ERR_CONTAINER_SEQUENCE', Buffer.concat([header, rawRecord(1, 0, frame), rawRecord(1, 2, frame), end(3)])),
    bad('bad-shape.wlc', 'frame shape [3, 3] of int8 over 4 sample bytes (CRC is right)', 'WALLOC_ERR_CONTAINER_PAYLOAD',
      Buffer.concat([header, rawRecord(1, 0, rawFramePayload({ kind: 'latent', dtype: 'int8', shape: [3, 3], meta: {} }, Uint8Array.of(1, 2, 3, 4))), end(1)])),
    bad('bad-dtype.wlc', 'frame dtype "float64"', 'WALLOC_ERR_CONTAINER_PAYLOAD',
      Buffer.concat([header, rawRecord(1, 0, rawFramePayload({ kind: 'latent', dtype: 'float64', shape: [1], meta: {} }, new Uint8Array(8))), end(1)])),
    bad('end-with-payload.wlc', 'an end record that says it has 4 payload bytes', 'WALLOC_ERR_CONTAINER_PAYLOAD', Buffer.concat([header, rawRecord(3, 0, Uint8Array.of(0, 0, 0, 0))])),
    bad('trailing-bytes.wlc', 'a byte after the end record', 'WALLOC_ERR_CONTAINER_SEQUENCE', Buffer.concat([golden, Uint8Array.of(0)])),
  ];
}

export const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'container');

export function manifestOf(fixtures: ContainerFixture[]): Record<string, Omit<ContainerFixture, 'name' | 'bytes'>> {
  return Object.fromEntries(fixtures.map(({ name, bytes: _bytes, ...rest }) => [name, rest]));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const fixtures = buildContainerFixtures();
  mkdirSync(FIXTURE_DIR, { recursive: true });
  for (const f of fixtures) writeFileSync(join(FIXTURE_DIR, f.name), f.bytes);
  writeFileSync(join(FIXTURE_DIR, 'manifest.json'), `${JSON.stringify(manifestOf(fixtures), null, 2)}\n`);
  process.stderr.write(`wrote ${fixtures.length} fixtures to ${FIXTURE_DIR}\n`);
}
