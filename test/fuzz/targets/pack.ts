/**
 * Packed latents (transforms/pack.ts): unpackLatents of arbitrary or mutated WebP/PNG bytes with a
 * PackInfo. Input layout: byte 0 picks a PackInfo from {@link INFOS} (valid ones that match the
 * seeds, and hostile ones: a 100000×100000 latent, bad planes, …); if it is 0xFF, a u16 LE length
 * and that many bytes of PackInfo JSON follow instead. The rest is the image.
 */
import { packLatents, unpackLatents, type PackInfo } from '../../../transforms/pack.js';
import type { FuzzTarget } from '../harness.js';

/** Unpack limit for fuzzing: 2^20 pixel bytes, so no input can make sharp decode more than 1 MiB. */
const MAX_VALUES = 1 << 20;

const latent = (n: number) => Int8Array.from({ length: n }, (_, i) => ((i * 29) % 255) - 127);
const packed = await Promise.all([
  packLatents(latent(12 * 8 * 8), [12, 8, 8], { format: 'webp' }),
  packLatents(latent(12 * 8 * 8), [12, 8, 8], { format: 'png' }),
  packLatents(latent(16 * 4 * 6), [16, 4, 6], { format: 'webp' }),
  packLatents(latent(16 * 4 * 6), [16, 4, 6], { format: 'png' }),
  packLatents(latent(8 * 5 * 5), [8, 5, 5], { format: 'png' }),
  packLatents(latent(4 * 300), [4, 300], { format: 'webp', rowWidth: 64 }),
  packLatents(latent(2 * 3 * 4 * 4).map((v) => Math.max(-7, v >> 4)), [2, 3, 4, 4], { format: 'png', bits: 4 }),
]);

export const INFOS: PackInfo[] = [
  ...packed.map((p) => p.info),
  { format: 'png', latentShape: [12, 100000, 100000], bits: 8, planes: 3, tiles: 2 },
  { format: 'webp', latentShape: [12, 16000, 16000], bits: 8, planes: 3, tiles: 2 },
  { format: 'png', latentShape: [1, 1], bits: 8, planes: 1, tiles: 1, rowWidth: 1 },
  { format: 'webp', latentShape: [12, 8, 8], bits: 8, planes: 2 as 3, tiles: 2 },
  { format: 'webp', latentShape: [12, 8, 8], bits: 9, planes: 3, tiles: 2 },
  { format: 'png', latentShape: [12, 8, 8], bits: 8, planes: 4, tiles: 0 },
  { format: 'png', latentShape: [4, 300], bits: 8, planes: 4, tiles: 1 },
];

const seeds = packed.map((p, i) => new Uint8Array(Buffer.concat([Uint8Array.of(i), p.data])));
const json = Buffer.from(JSON.stringify(packed[0]!.info));
const withJson = Buffer.alloc(3 + json.length);
withJson[0] = 0xff;
withJson.writeUInt16LE(json.length, 1);
json.copy(withJson, 3);
seeds.push(new Uint8Array(Buffer.concat([withJson, packed[0]!.data])));

function split(bytes: Uint8Array): { info: PackInfo; image: Uint8Array } {
  if (bytes.length === 0) return { info: INFOS[0]!, image: bytes };
  if (bytes[0] !== 0xff) return { info: INFOS[bytes[0]! % INFOS.length]!, image: bytes.subarray(1) };
  const n = bytes.length >= 3 ? bytes[1]! | (bytes[2]! << 8) : 0;
  let info: unknown;
  try {
    info = JSON.parse(Buffer.from(bytes.subarray(3, 3 + n)).toString('utf8'));
  } catch {
    info = null; // not JSON: unpack must refuse "no pack description" with a coded error
  }
  return { info: info as PackInfo, image: bytes.subarray(3 + n) };
}

export const packTarget: FuzzTarget<Uint8Array> = {
  name: 'pack',
  input: 'bytes',
  seedCorpus: seeds,
  timeLimitMs: 5000,
  dictionary: [Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), Buffer.from('IHDR'), Buffer.from('IDAT'), Buffer.from('RIFF'), Buffer.from('WEBPVP8L')],
  async run(bytes) {
    const { info, image } = split(bytes);
    const q = await unpackLatents(image, info, { maxValues: MAX_VALUES });
    const want = (info.latentShape as number[]).reduce((a, d) => a * d, 1);
    if (q.length !== want) throw new Error(`unpacked ${q.length} values, shape needs ${want}`);
  },
};

