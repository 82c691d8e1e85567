/**
 * `walloc eval DIR`: rate–distortion and speed of a codec on a folder of photos, per image and on
 * average; `--compare webp` adds lossy WebP at the same bytes; `--json` prints CompressAI-style
 * JSON on stdout.
 */
import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { werr } from '../errors.js';
import { evalImages, type ImageScore } from '../eval/image-eval.js';
import type { CommandIo, CommandSpec } from './command.js';
import { defaultModel } from '../models/registry.js';
import { intOption, numberOption } from './options.js';
import { evalAudio, loadRecordings } from '../eval/audio-eval.js';
import { loadModel } from '../models/model-file.js';
import { listImages } from '../train/photos.js';
import { listAudio } from '../train/audio-data.js';
import { listVolumes } from '../train/volume-data.js';
import { evalVolumes, type VolumeScore } from '../eval/volume-eval.js';

/** True when the model named (bundled or a folder) codes audio. */
function isAudioModel(model: string | undefined): boolean {
  return modalityOf(model) === 'audio';
}

function modalityOf(model: string | undefined): string | undefined {
  if (model === undefined) return undefined;
  try {
    return loadModel(model).config.modality;
  } catch {
    return undefined; // the image path reports a missing model with its own coded error
  }
}

const listVolumesSafe = (dir: string): string[] => { try { return listVolumes(dir); } catch { return []; } };

async function evalVolumeCommand(dir: string, model: string, values: Record<string, unknown>, io: CommandIo): Promise<number> {
  const progress = jsonProgress(io);
  const compare = values.compare === undefined ? [] : String(values.compare).split(',').map((c) => c.trim());
  for (const c of compare) if (c !== 'webp' && c !== 'gzip') throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--compare supports webp and gzip for volumes (e.g. --compare webp,gzip), got "${c}"` });
  const row = (s: VolumeScore) => `${s.file.slice(-30).padEnd(30)} ${s.shape.join('×').padStart(12)} ${f(s.ratio, 1).padStart(7)} ${f(s.psnr).padStart(6)} ${f(s.ssim, 4).padStart(6)} ${f(s.encodeMvoxPerS, 1).padStart(6)} ${f(s.decodeMvoxPerS, 1).padStart(6)}`
    + (s.webp ? `  | ${String(s.webp.quality).padStart(3)} ${f(s.webp.ratio, 1).padStart(7)} ${f(s.webp.psnr).padStart(6)} ${f(s.webp.ssim, 4).padStart(6)}` : '')
    + (s.gzip ? `  | ${f(s.gzip.ratio, 2).padStart(6)}` : '');
  // The table's head goes out with its first row, so a folder with no volumes prints only its error.
  const head = () => io.stdout.write(`${'volume'.padEnd(30)} ${'D×H×W'.padStart(12)} ${'ratio'.padStart(7)} ${'PSNR'.padStart(6)} ${'SSIM'.padStart(6)} ${'enc'.padStart(6)} ${'dec'.padStart(6)}`
      + (compare.includes('webp') ? `  | WebP q ${'ratio'.padStart(5)} ${'PSNR'.padStart(6)} ${'SSIM'.padStart(6)}` : '') + (compare.includes('gzip') ? '  |   gzip' : '') + '   (ratio vs 16-bit; enc/dec Mvox/s)\n');
  const r = await evalVolumes(dir, {
    model, compare: compare as Array<'webp' | 'gzip'>, backend: values.backend as string | undefined, limit: intOption(values.limit, 'limit', 1, 1e9),
    onSkip: skipLine(io),
    onVolume: (s, i, n) => {
      if (values.json) {
        progress.file(i, n, s.file);
        return;
      }
      if (i === 0) head();
      io.stdout.write(row(s) + '\n');
    },
  });
  if (values.json) {
    progress.done();
    io.stdout.write(JSON.stringify(r, null, 2) + '\n');
    return 0;
  }
  const m = r.results;
  io.stdout.write(`\n${r.name}: ${r.volumes} volumes, ${f(r.megavoxels)} Mvoxels\n`);
  io.stdout.write(`  walloc: ${f(m.ratio, 1)}:1 (voxel-weighted, vs 16-bit), PSNR ${f(m.psnr)} dB, SSIM ${f(m.ssim, 4)} (means), encode ${f(m.encodeMvoxPerS, 1)} Mvox/s, decode ${f(m.decodeMvoxPerS, 1)} Mvox/s\n`);
  if (r.webp) io.stdout.write(`  per-slice WebP at ≤ the same bytes: ${f(r.webp.ratio, 1)}:1, PSNR ${f(r.webp.psnr)} dB, SSIM ${f(r.webp.ssim, 4)}\n`);
  if (r.gzip) io.stdout.write(`  gzip of the raw voxels (lossless): ${f(r.gzip.ratio, 2)}:1\n`);
  return 0;
}

const listImagesSafe = (dir: string): string[] => { try { return listImages(dir); } catch { return []; } };
const listAudioSafe = (dir: string): string[] => { try { return listAudio(dir); } catch { return []; } };

async function evalAudioCommand(dir: string, model: string, values: Record<string, unknown>, io: CommandIo): Promise<number> {
  if (values.compare !== undefined && values.compare !== 'opus') throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--compare supports opus for audio, got "${String(values.compare)}"` });
  const seconds = values.seconds === undefined ? 60 : numberOption(values.seconds, 'seconds', 0.1, 86_400);
  const recs = await loadRecordings(dir, seconds, intOption(values.limit, 'limit', 1, 1e9), skipLine(io));
  const r = await evalAudio(recs, { model, compareOpus: values.compare === 'opus' });
  if (values.json) {
    io.stdout.write(JSON.stringify({ recordings: recs.length, seconds: r.seconds, results: r.walloc, ...(r.opus ? { opus: r.opus } : {}) }, null, 2) + '\n');
    return 0;
  }
  io.stdout.write(`${recs.length} recordings, ${(r.seconds / 60).toFixed(1)} min\n`);
  io.stdout.write(`${'codec'.padEnd(34)} ${'ratio'.padStart(8)} ${'kbps'.padStart(7)} ${'PSNR'.padStart(6)} ${'SNR'.padStart(6)} ${'enc ×RT'.padStart(8)} ${'dec ×RT'.padStart(8)}\n`);
  for (const s of r.opus ? [r.walloc, r.opus] : [r.walloc]) {
    io.stdout.write(`${s.name.padEnd(34)} ${`${f(s.ratio, 1)}:1`.padStart(8)} ${f(s.kbps, 1).padStart(7)} ${f(s.psnr).padStart(6)} ${f(s.snr).padStart(6)} ${f(s.encodeRealtime, 0).padStart(8)} ${f(s.decodeRealtime, 0).padStart(8)}\n`);
  }
  return 0;
}

/** One stderr line per file eval passes over; the coded messages name the file already. */
const skipLine = (io: CommandIo) => (file: string, reason: string): void => {
  // On a terminal, over the progress line (which the next file redraws).
  io.stderr.write(`${io.stderr.isTTY ? '\r\x1b[K' : ''}walloc eval: skipping ${reason.includes(basename(file)) ? reason : `${file}: ${reason}`}\n`);
};

/**
 * With --json, the table is not printed: a terminal shows which file is scored, on one redrawn
 * line; a file or pipe gets no control codes, only the JSON on stdout. `done` ends the line.
 */
const jsonProgress = (io: CommandIo) => ({
  file: (i: number, n: number, file: string): void => { if (io.stderr.isTTY) io.stderr.write(`\r${i + 1}/${n} ${file}\x1b[K`); },
  done: (): void => { if (io.stderr.isTTY) io.stderr.write('\n'); },
});

const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : String(x));

export const evalCommand: CommandSpec = {
  name: 'walloc eval',
  summary: 'measure compression ratio, quality and speed on a folder of images (or audio recordings, or NIfTI volumes)',
  usage: ['walloc eval DIR [--model NAME|DIR] [--compare webp] [--json]', 'walloc eval DIR --model stereo-5x [--compare opus] [--json]'],
  options: {
    model: { type: 'string', short: 'm', arg: 'NAME|DIR', help: 'codec model (default: rgb-16x)' },
    compare: { type: 'string', arg: 'CODEC', help: 'also encode with this codec at the same size: webp (images), opus (audio), webp,gzip (volumes: per-slice WebP, lossless gzip)' },
    seconds: { type: 'string', arg: 'S', help: 'audio: evaluate the first S seconds of each recording (default 60)' },
    json: { type: 'boolean', help: 'print one JSON object (CompressAI keys) on stdout' },
    limit: { type: 'string', arg: 'N', help: 'evaluate only the first N images' },
    backend: { type: 'string', arg: 'NAME', help: 'TensorFlow.js backend: gpu, node, wasm or cpu' },
  },
  examples: ['walloc eval data/photos/eval --model rgb-16x --compare webp', 'walloc eval data/audio/eval --model stereo-5x --compare opus', 'walloc eval data/volumes/eval --model volume-mri --compare webp,gzip'],
  async run({ values, positionals }, io) {
    const dir = positionals[0];
    if (dir === undefined) throw werr('WALLOC_ERR_MISSING_ARGUMENT', { what: 'a folder of images', command: 'walloc eval' });
    const model = values.model as string | undefined;
    // A single NIfTI file is a dataset of one volume; any other file is not a dataset at all.
    if (existsSync(dir) && !statSync(dir).isDirectory() && !/\.nii(\.gz)?$/i.test(dir)) {
      throw werr('WALLOC_ERR_DATASET', { path: dir, reason: 'walloc eval reads a folder of images, recordings or volumes (or one .nii/.nii.gz); put the file in a folder' });
    }
    if (modalityOf(model) === 'volume' || (model === undefined && listImagesSafe(dir).length === 0 && listVolumesSafe(dir).length > 0)) {
      return evalVolumeCommand(dir, model ?? defaultModel('volume'), values, io);
    }
    if (isAudioModel(model) || (model === undefined && listImagesSafe(dir).length === 0 && listAudioSafe(dir).length > 0)) {
      return evalAudioCommand(dir, model ?? defaultModel('audio'), values, io);
    }
    if (values.compare !== undefined && values.compare !== 'webp') throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--compare supports webp for images (opus for audio), got "${String(values.compare)}"` });
    const compareWebp = values.compare === 'webp';
    const progress = jsonProgress(io);
    let shown = 0;
    const header = `${'image'.padEnd(36)} ${'size'.padStart(10)} ${'bpp'.padStart(6)} ${'ratio'.padStart(6)} ${'PSNR'.padStart(6)} ${'SSIM'.padStart(6)} ${'MS-SSIM'.padStart(7)} ${'enc s'.padStart(6)} ${'dec s'.padStart(6)}${compareWebp ? `  | WebP q ${'bpp'.padStart(6)} ${'PSNR'.padStart(6)} ${'SSIM'.padStart(6)}` : ''}`;
    const row = (s: ImageScore) =>
      `${s.file.slice(-36).padEnd(36)} ${`${s.width}×${s.height}`.padStart(10)} ${f(s.bpp, 3).padStart(6)} ${f(s.ratio, 1).padStart(6)} ${f(s['psnr-rgb']).padStart(6)} ${f(s['ssim-rgb'], 4).padStart(6)} ${f(s['ms-ssim-rgb'], 4).padStart(7)} ${f(s.encoding_time, 3).padStart(6)} ${f(s.decoding_time, 3).padStart(6)}` +
      (s.webp ? `  | ${String(s.webp.quality).padStart(6)} ${f(s.webp.bpp, 3).padStart(6)} ${f(s.webp['psnr-rgb']).padStart(6)} ${f(s.webp['ssim-rgb'], 4).padStart(6)}` : '');
    // The table's head goes out with its first row, so a folder with no readable image prints only its error.
    const r = await evalImages(dir, {
      model: model ?? defaultModel('image'),
      compareWebp,
      backend: values.backend as string | undefined,
      limit: intOption(values.limit, 'limit', 1, 1e9),
      onSkip: skipLine(io),
      onImage: (s, i, n) => (values.json ? progress.file(i, n, s.file) : io.stdout.write((shown++ === 0 ? header + '\n' : '') + row(s) + '\n')),
    });
    if (values.json) {
      progress.done();
      io.stdout.write(JSON.stringify(r, null, 2) + '\n');
      return 0;
    }
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
