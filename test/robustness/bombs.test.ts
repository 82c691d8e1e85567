/**
 * Issue 11, item 3: decompression bombs. A .wlc of a few hundred bytes whose packed frame claims a
 * 100000×100000 latent (or whose header claims a huge shape) is refused with a coded error before
 * anything of that size is allocated: in unpackLatents, in Codec.decodeFrame, and end to end in
 * walloc-decode (exit status 1, no output file left behind).
 */
import t from 'tap';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Codec } from '../../src/codec/codec.js';
import { readWlcSync, writeWlc, WlcParser } from '../../src/container/index.js';
import { isWallocError } from '../../src/errors.js';
import { makeFrame, type Frame } from '../../src/frame.js';
import { DEFAULT_MAX_LATENT_VALUES, MAX_LATENT_VALUES_CAP, packLatents, unpackLatents, type PackInfo } from '../../transforms/pack.js';
import { runBin } from '../helpers/io.js';

const codec = Codec.load('rgb-16x-linear');
const small = await packLatents(new Int8Array(12 * 4 * 4), [12, 4, 4], { format: 'webp' });
const HUGE: PackInfo = { format: 'webp', latentShape: [12, 100000, 100000], bits: 8, planes: 3, tiles: 2 };
// Under packLayout's own 2^31-pixel check, over the unpack limit: 32000×32000 px × 3 planes.
const BIG: PackInfo = { format: 'png', latentShape: [12, 16000, 16000], bits: 8, planes: 3, tiles: 2 };

function packedFrame(info: PackInfo, sourceShape: number[]): Frame {
  return makeFrame('packed', [small.data.length], small.data, {
    pts: 0, source: 'image', sourceShape, pad: [[0, 0], [0, 0]], levels: 3, wavelet: 'bior4.4', bits: 8, extra: { pack: info },
  });
}

/** Runs `fn`, returning its coded error and how much memory grew meanwhile. */
async function refused(fn: () => Promise<unknown>): Promise<{ code: string; grew: number; ms: number }> {
  const before = process.memoryUsage();
  const t0 = performance.now();
  try {
    await fn();
  } catch (e) {
    const after = process.memoryUsage();
    if (!isWallocError(e)) throw e;
    return { code: e.code, grew: Math.max(after.arrayBuffers - before.arrayBuffers, after.rss - before.rss), ms: performance.now() - t0 };
  }
  throw new Error('not refused');
}

const MB = 2 ** 20;

t.test('unpackLatents refuses a PackInfo that promises too much, before decoding', async (t) => {
  const a = await refused(() => unpackLatents(small.data, HUGE));
  t.equal(a.code, 'WALLOC_ERR_UNPACK', '100000×100000: beyond any image');
  const b = await refused(() => unpackLatents(small.data, BIG));
  t.equal(b.code, 'WALLOC_ERR_LIMIT_EXCEEDED', `32000×32000×3 > ${DEFAULT_MAX_LATENT_VALUES}`);
  t.ok(a.grew < 64 * MB && b.grew < 64 * MB, `memory grew by ${(Math.max(a.grew, b.grew) / MB).toFixed(1)} MB`);
  // The limit is overridable within the hard cap, and an override above the cap is a usage error.
  const c = await refused(() => unpackLatents(small.data, BIG, { maxValues: MAX_LATENT_VALUES_CAP + 1 }));
  t.equal(c.code, 'WALLOC_ERR_INVALID_ARGUMENT');
  const d = await refused(() => unpackLatents(small.data, { ...BIG, latentShape: [12, 64, 64] }, { maxValues: 1000 }));
  t.equal(d.code, 'WALLOC_ERR_LIMIT_EXCEEDED', 'a lowered limit applies');
});

t.test('Codec.decodeFrame checks the decoded size before unpacking or synthesising', async (t) => {
  const a = await refused(() => codec.decodeFrame(packedFrame(HUGE, [3, 800000, 800000])));
  t.equal(a.code, 'WALLOC_ERR_LIMIT_EXCEEDED');
  t.ok(a.grew < 64 * MB && a.ms < 2000, `refused in ${a.ms.toFixed(0)} ms, memory grew ${(a.grew / MB).toFixed(1)} MB`);
  // 4000×4000 latent → 32000×32000 px: within packLayout, beyond the 268 MP default of --max-pixels.
  const b = await refused(() => codec.decodeFrame(packedFrame({ ...BIG, latentShape: [12, 4000, 4000] }, [3, 32000, 32000])));
  t.equal(b.code, 'WALLOC_ERR_LIMIT_EXCEEDED');
  const low = Codec.load('rgb-16x-linear', { limits: { maxPixels: 1000 } });
  const c = await refused(() => low.decodeFrame(packedFrame({ ...HUGE, latentShape: [12, 4, 4] }, [3, 32, 32])));
  t.equal(c.code, 'WALLOC_ERR_LIMIT_EXCEEDED', '--max-pixels lowers it');
  const d = await refused(() => codec.decodeFrame(packedFrame({ ...HUGE, latentShape: [7, 4, 4] }, [3, 32, 32])));
  t.equal(d.code, 'WALLOC_ERR_FRAME_SHAPE', 'wrong latent channel count');
  // The honest frame decodes.
  const ok = await codec.decodeFrame(packedFrame({ ...small.info }, [3, 32, 32]));
  t.same(ok.shape, [3, 32, 32]);
});

t.test('the container never buffers a claimed length: a 4 GB record costs nothing', async (t) => {
  const bytes = writeWlc(codec.header(), []);
  const hdr = bytes.subarray(0, bytes.length - 13);
  const prefix = Buffer.alloc(9);
  prefix.writeUInt32LE(0xfffffff0, 0);
  prefix[4] = 1;
  const p = new WlcParser();
  t.throws(() => [...p.write(Buffer.concat([hdr, prefix, Buffer.alloc(1000)]))], { code: 'WALLOC_ERR_CONTAINER_LENGTH' });
  prefix.writeUInt32LE(200 * MB, 0);
  const q = new WlcParser();
  [...q.write(Buffer.concat([hdr, prefix, Buffer.alloc(1000)]))];
  t.ok(q.bufferedBytes <= 1000, `a 200 MB claim holds only the ${q.bufferedBytes} bytes that arrived`);
});

t.test('walloc-decode refuses a 400-byte bomb .wlc end to end, leaving no output', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-bomb-'));
  const cases: Array<[string, Record<string, unknown>, PackInfo, number[]]> = [
    ['packed frame claims 100000×100000', { frames: 1 }, HUGE, [3, 800000, 800000]],
    ['header and frame claim a huge shape', { frames: 1, shape: [3, 100000, 100000] }, { ...BIG, latentShape: [12, 12500, 12500] }, [3, 100000, 100000]],
  ];
  for (const [what, extra, info, sourceShape] of cases) {
    const file = join(dir, 'bomb.wlc');
    const wlc = writeWlc(codec.header(extra), [packedFrame(info, sourceShape)]);
    t.ok(wlc.length < 1024, `${what}: ${wlc.length} bytes`);
    t.equal(readWlcSync(wlc).frames.length, 1, 'a well-formed stream');
    writeFileSync(file, wlc);
    const t0 = performance.now();
    const r = await runBin('walloc-decode', [file, '-o', join(dir, 'out.png')]);
    t.equal(r.code, 1, r.stderr);
    t.match(r.stderr, /WALLOC_ERR_LIMIT_EXCEEDED/);
    t.ok(performance.now() - t0 < 20000, 'quickly');
    t.notOk(existsSync(join(dir, 'out.png')));
  }
  const y = await runBin('walloc-decode', [join(dir, 'bomb.wlc'), '-o', join(dir, 'out.y4m')]);
  t.equal(y.code, 1, 'y4m output too');
  t.same(readdirSync(dir), ['bomb.wlc'], 'no temporary files left');
  const bad = await runBin('walloc-decode', [join(dir, 'bomb.wlc'), '--max-pixels', String(2 ** 31)]);
  t.equal(bad.code, 2, 'a limit over the hard cap is a usage error');
});
