/**
 * `walloc eval DIR`: rate–distortion and speed of a codec on a folder of photos, per image and on
 * average; `--compare webp` adds lossy WebP at the same bytes; `--json` prints CompressAI-style
 * JSON on stdout.
 */
import { werr } from '../errors.js';
import { evalImages, type ImageScore } from '../eval/image-eval.js';
import type { CommandSpec } from './command.js';
import { defaultModel } from './encode.js';
import { intOption } from './options.js';

const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : String(x));

export const evalCommand: CommandSpec = {
  name: 'walloc eval',
  summary: 'measure bpp, compression ratio, PSNR, SSIM, MS-SSIM and speed on a folder of images',
  usage: ['walloc eval DIR [--model NAME|DIR] [--compare webp] [--json]'],
  options: {
    model: { type: 'string', short: 'm', arg: 'NAME|DIR', help: 'codec model (default: rgb-16x)' },
    compare: { type: 'string', arg: 'CODEC', help: 'also encode each image with this codec at the same bytes: webp' },
    json: { type: 'boolean', help: 'print one JSON object (CompressAI keys) on stdout' },
    limit: { type: 'string', arg: 'N', help: 'evaluate only the first N images' },
    backend: { type: 'string', arg: 'NAME', help: 'TensorFlow.js backend: gpu, node, wasm or cpu' },
  },
  examples: ['walloc eval data/photos/eval --model rgb-16x --compare webp'],
  async run({ values, positionals }, io) {
    const dir = positionals[0];
    if (dir === undefined) throw werr('WALLOC_ERR_MISSING_ARGUMENT', { what: 'a folder of images', command: 'walloc eval' });
    if (values.compare !== undefined && values.compare !== 'webp') throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--compare supports webp, got "${String(values.compare)}"` });
    const compareWebp = values.compare === 'webp';
    const header = `${'image'.padEnd(36)} ${'size'.padStart(10)} ${'bpp'.padStart(6)} ${'ratio'.padStart(6)} ${'PSNR'.padStart(6)} ${'SSIM'.padStart(6)} ${'MS-SSIM'.padStart(7)} ${'enc s'.padStart(6)} ${'dec s'.padStart(6)}${compareWebp ? `  | WebP q ${'bpp'.padStart(6)} ${'PSNR'.padStart(6)} ${'SSIM'.padStart(6)}` : ''}`;
    const row = (s: ImageScore) =>
      `${s.file.slice(-36).padEnd(36)} ${`${s.width}×${s.height}`.padStart(10)} ${f(s.bpp, 3).padStart(6)} ${f(s.ratio, 1).padStart(6)} ${f(s['psnr-rgb']).padStart(6)} ${f(s['ssim-rgb'], 4).padStart(6)} ${f(s['ms-ssim-rgb'], 4).padStart(7)} ${f(s.encoding_time, 3).padStart(6)} ${f(s.decoding_time, 3).padStart(6)}` +
      (s.webp ? `  | ${String(s.webp.quality).padStart(6)} ${f(s.webp.bpp, 3).padStart(6)} ${f(s.webp['psnr-rgb']).padStart(6)} ${f(s.webp['ssim-rgb'], 4).padStart(6)}` : '');
    if (!values.json) io.stdout.write(header + '\n');
    const r = await evalImages(dir, {
      model: (values.model as string | undefined) ?? defaultModel('image'),
      compareWebp,
      backend: values.backend as string | undefined,
      limit: intOption(values.limit, 'limit', 1, 1e9),
      onSkip: (file, reason) => io.stderr.write(`walloc eval: skipping ${file}: ${reason}\n`),
      onImage: (s, i, n) => (values.json ? io.stderr.write(`\r${i + 1}/${n} ${s.file}\x1b[K`) : io.stdout.write(row(s) + '\n')),
    });
    if (values.json) {
      io.stderr.write('\n');
      io.stdout.write(JSON.stringify(r, null, 2) + '\n');
      return 0;
    }
    if (r.images === 0) throw werr('WALLOC_ERR_DATASET', { path: dir, reason: 'no readable images' });
    const m = r.results;
    io.stdout.write(`\n${r.name}: ${r.images} images, ${f(r.megapixels)} MP\n`);
    io.stdout.write(`  walloc: ${f(m.bpp!, 3)} bpp (mean), ${f(m.ratio!, 1)}:1 (pixel-weighted), PSNR ${f(m['psnr-rgb']!)} dB, SSIM ${f(m['ssim-rgb']!, 4)}, MS-SSIM ${f(m['ms-ssim-rgb']!, 4)}, encode ${f(m.encode_mp_per_s!)} MP/s, decode ${f(m.decode_mp_per_s!)} MP/s\n`);
    if (r.webp) {
      const w = r.webp;
      io.stdout.write(`  WebP at the same bytes: ${f(w.bpp!, 3)} bpp, ${f(w.ratio!, 1)}:1, PSNR ${f(w['psnr-rgb']!)} dB, SSIM ${f(w['ssim-rgb']!, 4)}, MS-SSIM ${f(w['ms-ssim-rgb']!, 4)}, encode ${f(w.encode_mp_per_s!)} MP/s, decode ${f(w.decode_mp_per_s!)} MP/s\n`);
    }
    return 0;
  },
};
