/**
 * Image codec benchmarks, each against sharp/libwebp measured in the same run:
 * 1. rate–distortion on held-out photos: every bundled RGB model, and lossy WebP at the same bytes;
 * 2. encode throughput of the whole `walloc-encode` path (decode the file, transform, project,
 *    quantize, pack, frame) against sharp decoding the same file and encoding lossy WebP;
 * 3. decode throughput (unpack, decoder, inverse transform, PNG-ready bytes) against WebP decode.
 *
 * Photos: $WALLOC_EVAL_DIR, else data/photos/eval (scripts/fetch-photos.sh), else the small
 * fixtures (a smoke run only: those numbers mean little).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { Codec } from '../../src/codec/codec.js';
import { writeWlc } from '../../src/container/index.js';
import { evalImages } from '../../src/eval/image-eval.js';
import { readImage, imageToRgbBytes } from '../../src/io/image.js';
import { listBundledModels } from '../../src/models/registry.js';
import { packageRoot } from '../../src/paths.js';
import { listImages } from '../../src/train/photos.js';
import type { BenchTable } from './table.js';

function evalDir(): { dir: string; note: string } {
  if (process.env.WALLOC_EVAL_DIR) return { dir: process.env.WALLOC_EVAL_DIR, note: `photos: ${process.env.WALLOC_EVAL_DIR}` };
  const data = join(packageRoot(), 'data', 'photos', 'eval');
  if (existsSync(data)) return { dir: data, note: 'photos: data/photos/eval (held out from training; scripts/fetch-photos.sh)' };
  return { dir: join(packageRoot(), 'fixtures', 'images'), note: 'photos: fixtures/images only (run scripts/fetch-photos.sh data/photos for the real evaluation set)' };
}

const rgbModels = () => listBundledModels().filter((m) => m.modality === 'image' && m.name.startsWith('rgb-')).map((m) => m.name);

async function rateDistortion(dir: string, note: string): Promise<BenchTable> {
  const rows: BenchTable['rows'] = [];
  let webp: Record<string, number> | undefined;
  let images = 0;
  let mp = 0;
  for (const name of rgbModels()) {
    const r = await evalImages(dir, { model: name, compareWebp: webp === undefined });
    images = r.images;
    mp = r.megapixels;
    const m = r.results;
    rows.push([name, `${m.ratio!.toFixed(1)}:1`, m.bpp!, m['psnr-rgb']!, m['ssim-rgb']!, m['ms-ssim-rgb']!, m.encode_mp_per_s!, m.decode_mp_per_s!]);
    webp ??= r.webp;
  }
  if (webp) rows.push(['lossy WebP at the same bytes (sharp, effort 4)', `${webp.ratio!.toFixed(1)}:1`, webp.bpp!, webp['psnr-rgb']!, webp['ssim-rgb']!, webp['ms-ssim-rgb']!, webp.encode_mp_per_s!, webp.decode_mp_per_s!]);
  return {
    title: `Rate–distortion on ${images} held-out photos (${mp.toFixed(1)} MP)`,
    columns: ['codec', 'ratio (pixel-weighted)', 'bpp (mean)', 'PSNR dB', 'SSIM', 'MS-SSIM', 'encode MP/s', 'decode MP/s'],
    rows,
    notes: [note, 'bpp counts the whole .wlc file (header and framing included). WebP is matched per image to walloc\'s bytes of the first model listed (≤ its size).'],
  };
}

async function throughput(dir: string, note: string): Promise<BenchTable> {
  const files = listImages(dir);
  const inputs = files.map((f) => readFileSync(f)).filter((b) => b.length > 0);
  const model = rgbModels().includes('rgb-16x') ? 'rgb-16x' : 'rgb-16x-linear';
  const codec = Codec.load(model);
  const linear = Codec.load('rgb-16x-linear');
  // Warm both paths (sharp, the wasm backend, JIT) on the first file.
  const warm = await readImage(inputs[0]!);
  await codec.decodeFrame(await codec.encodeFrame(warm));
  await sharp(inputs[0]!).webp({ quality: 80 }).toBuffer();

  let pixels = 0;
  let encMs = 0;
  let webpEncMs = 0;
  let decMs = 0;
  let linDecMs = 0;
  let webpDecMs = 0;
  const ok: Buffer[] = [];
  for (const buf of inputs) {
    let img;
    try {
      img = await readImage(buf);
    } catch {
      continue;
    }
    ok.push(buf);
    pixels += img.data.length / 3;
    // walloc-encode's work, from file bytes to .wlc bytes.
    let t = performance.now();
    const frame = await readImage(buf);
    const packed = await codec.encodeFrame(frame);
    writeWlc(codec.header({ shape: [...frame.shape], frames: 1 }), [packed]);
    encMs += performance.now() - t;
    // sharp: the same file bytes to a lossy WebP.
    t = performance.now();
    const webp = await sharp(buf).webp({ quality: 80, effort: 4 }).toBuffer();
    webpEncMs += performance.now() - t;
    // Decoding to 8-bit RGB (what a PNG writer or a viewer needs).
    t = performance.now();
    imageToRgbBytes((await codec.decodeFrame(packed)) as typeof frame);
    decMs += performance.now() - t;
    t = performance.now();
    imageToRgbBytes((await linear.decodeFrame(await linear.encodeFrame(frame))) as typeof frame);
    linDecMs += performance.now() - t;
    t = performance.now();
    await sharp(webp).raw().toBuffer();
    webpDecMs += performance.now() - t;
  }
  codec.dispose();
  const mps = (ms: number) => pixels / 1e6 / (ms / 1000);
  return {
    title: `Throughput on ${ok.length} photos (${(pixels / 1e6).toFixed(1)} MP), one thread`,
    columns: ['path', 'walloc MP/s', 'sharp WebP MP/s', 'walloc ÷ WebP'],
    rows: [
      [`encode: file → .wlc (${model}) vs file → lossy WebP q80`, mps(encMs), mps(webpEncMs), mps(encMs) / mps(webpEncMs)],
      [`decode: .wlc → RGB (${model}, wasm) vs WebP → RGB`, mps(decMs), mps(webpDecMs), mps(decMs) / mps(webpDecMs)],
      ['encode + decode: rgb-16x-linear (no TensorFlow.js)', mps(linDecMs), mps(webpDecMs), mps(linDecMs) / mps(webpDecMs)],
    ],
    notes: [note, 'Encode includes decoding the input file with sharp on both sides. The linear row times encode and decode together.'],
  };
}

export async function bench(): Promise<BenchTable[]> {
  const { dir, note } = evalDir();
  return [await rateDistortion(dir, note), await throughput(dir, note)];
}
