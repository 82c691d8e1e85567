/**
 * The `walloc-encode` path stage by stage, against sharp's lossy WebP encode (quality 80, effort 4)
 * of the same file bytes, measured in the same run.
 *
 * Stages, each timed on its own input (made once, outside the timing):
 *   decode    file bytes → float RGB frame (sharp, `readImage`)
 *   wpt       packet transform J=3 bior4.4 (pad included)
 *   project   1×1 projection 192 → 12
 *   compand   Gaussian-CDF companding (toUniform)
 *   quantize  round to int8
 *   pack      tile + lossless WebP at the default effort
 * then the whole path (file bytes → .wlc bytes, as `walloc-encode` does it) and sharp's
 * file bytes → lossy WebP q80. Every round runs each measurement once per photo, rounds are
 * interleaved, and each figure is the median over rounds of the per-round total, so a machine
 * shared with other jobs slows both sides alike. Ratios are what to compare across runs.
 *
 * Photos: $WALLOC_EVAL_DIR, else data/photos/eval, else fixtures/images (smoke only); the
 * $WALLOC_ENCODE_BENCH_PHOTOS largest (default 6).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { Codec } from '../../src/codec/codec.js';
import { toUniform } from '../../src/stages/companding.js';
import { writeWlc } from '../../src/container/index.js';
import { readImage } from '../../src/io/image.js';
import { packageRoot } from '../../src/paths.js';
import { listImages } from '../../src/train/photos.js';
import { DEFAULT_WEBP_EFFORT, packFrame } from '../../transforms/pack.js';
import { quantizeFrame } from '../../transforms/quantize.js';
import { wptForward } from '../../transforms/wpt.js';
import type { LatentFrame } from '../../src/frame.js';
import { type BenchTable, median } from './table.js';

const ROUNDS = Number(process.env.WALLOC_ENCODE_BENCH_ROUNDS ?? 3);
/** Lower pack efforts whose whole path is timed too, for the effort/bytes trade-off. */
const ALT_EFFORTS = [2, 1] as const;
const PHOTOS = Number(process.env.WALLOC_ENCODE_BENCH_PHOTOS ?? 6);

function photoDir(): string {
  if (process.env.WALLOC_EVAL_DIR) return process.env.WALLOC_EVAL_DIR;
  const data = join(packageRoot(), 'data', 'photos', 'eval');
  return existsSync(data) ? data : join(packageRoot(), 'fixtures', 'images');
}

async function ms(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/**
 * Runs the benchmark and returns one table (used by `npm run bench`).
 *
 * @example
 * const t = await bench(); // rows: each stage, the whole path, sharp WebP q80
 */
export async function bench(): Promise<BenchTable> {
  const dir = photoDir();
  const codec = Codec.load('rgb-16x-linear');
  const alt = ALT_EFFORTS.map((effort) => Codec.load('rgb-16x-linear', { pack: { effort } }));
  const c = codec.model.config;
  type Input = { buf: Buffer; mp: number };
  const candidates: Input[] = [];
  for (const f of listImages(dir)) {
    const buf = readFileSync(f);
    try {
      const m = await sharp(buf).metadata();
      candidates.push({ buf, mp: ((m.width ?? 0) * (m.height ?? 0)) / 1e6 });
    } catch {
      // not an image: skipped
    }
  }
  const inputs = candidates.sort((a, b) => b.mp - a.mp).slice(0, PHOTOS);
  const mp = inputs.reduce((s, x) => s + x.mp, 0);

  // Per-photo stage inputs, made once.
  const prepared: Array<{ buf: Buffer; frame: Awaited<ReturnType<typeof readImage>>; coeffs: ReturnType<typeof wptForward>; y: Float32Array; latent: LatentFrame; q: ReturnType<typeof quantizeFrame> }> = [];
  for (const { buf } of inputs) {
    const frame = await readImage(buf);
    const coeffs = wptForward(frame, { levels: c.levels, wavelet: c.wavelet });
    const y = codec.analysis.projectArray(coeffs.data);
    const latent = codec.analysis.encode(coeffs);
    const q = quantizeFrame(latent, { bits: c.bits, saturate: true });
    prepared.push({ buf, frame, coeffs, y, latent, q });
  }
  const scale = codec.analysis.getConfig().scale;
  const names = ['decode (sharp → float RGB)', 'wpt J=3 bior4.4', 'project 192→12', 'compand (toUniform)', 'quantize int8', `pack lossless WebP effort ${DEFAULT_WEBP_EFFORT}`, 'whole walloc-encode path', 'sharp lossy WebP q80 effort 4', ...ALT_EFFORTS.map((e) => `whole path, pack effort ${e}`)];
  const runs: number[][] = names.map(() => []);
  let wlcBytes = 0, webpBytes = 0, packBytes = 0;
  const altBytes = ALT_EFFORTS.map(() => 0);
  const round = async (record: boolean): Promise<void> => {
    const t = names.map(() => 0);
    wlcBytes = webpBytes = packBytes = 0;
    altBytes.fill(0);
    for (const p of prepared) {
      t[0] += await ms(() => readImage(p.buf));
      t[1] += await ms(() => wptForward(p.frame, { levels: c.levels, wavelet: c.wavelet }));
      t[2] += await ms(() => codec.analysis.projectArray(p.coeffs.data));
      const tmp = new Float32Array(p.y.length);
      t[3] += await ms(() => toUniform(p.y, c.latentDim, c.bits, scale, tmp));
      t[4] += await ms(() => quantizeFrame(p.latent, { bits: c.bits, saturate: true }));
      t[5] += await ms(async () => { packBytes += (await packFrame(p.q, { format: c.pack.format, bits: c.bits })).data.length; });
      t[6] += await ms(async () => {
        const frame = await readImage(p.buf);
        const packed = await codec.encodeFrame(frame);
        wlcBytes += writeWlc(codec.header({ shape: [...frame.shape], frames: 1 }), [packed]).length;
      });
      t[7] += await ms(async () => { webpBytes += (await sharp(p.buf).webp({ quality: 80, effort: 4 }).toBuffer()).length; });
      for (let a = 0; a < alt.length; a++) {
        const cod = alt[a]!;
        t[8 + a] += await ms(async () => {
          const frame = await readImage(p.buf);
          const packed = await cod.encodeFrame(frame);
          altBytes[a] += writeWlc(cod.header({ shape: [...frame.shape], frames: 1 }), [packed]).length;
        });
      }
    }
    if (record) t.forEach((v, i) => runs[i]!.push(v));
  };
  await round(false); // warm-up: JIT, sharp, tables
  for (let r = 0; r < ROUNDS; r++) await round(true);
  codec.dispose();
  for (const a of alt) a.dispose();
  const med = runs.map(median);
  const mps = med.map((m) => mp / (m / 1000));
  const webp = mps[7]!;
  const rows: BenchTable['rows'] = names.map((n, i) => [n, med[i]!, mps[i]!, mps[i]! / webp]);
  return {
    title: `walloc-encode path by stage vs sharp lossy WebP q80, ${inputs.length} photos (${mp.toFixed(1)} MP)`,
    columns: ['stage', 'ms (median of totals)', 'MP/s', '÷ sharp WebP MP/s'],
    rows,
    notes: [
      `photos: ${dir}, the ${inputs.length} largest; ${ROUNDS} interleaved rounds after one warm-up; model rgb-16x-linear (the encoder is the same linear map for every RGB model)`,
      `bytes: .wlc ${wlcBytes} (pack effort ${ALT_EFFORTS.map((e, i) => `${e}: ${altBytes[i]}, ${((altBytes[i]! / wlcBytes - 1) * 100).toFixed(1)}%`).join('; ')}), packed latents ${packBytes}, lossy WebP q80 ${webpBytes}; sharp at its default concurrency (${sharp.concurrency()} threads), walloc's own stages single-threaded`,
    ],
  };
}
