/**
 * `save`: a sink filter that writes frames to a file or stdout (`-`). Latents, packed latents and
 * raw media frames go into a .wlc stream, whose header is filled from the first frame; image
 * frames may instead be written as PNG, JPEG or WebP (src/io/image.ts), one file per frame with a
 * `%d` pattern in the name (`frame%03d.png`, numbered from 1 as ffmpeg's image2 muxer and
 * walloc-decode number them). Files are written under a
 * temporary name and renamed only when complete, so a failed or interrupted graph leaves nothing
 * half-written; numbered images already renamed are removed again then, so it leaves no partial
 * sequence either. WAV, y4m and NIfTI sinks are left to src/io's writers when they land.
 */
import { existsSync, rmSync } from 'node:fs';
import { extname } from 'node:path';
import { Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { werr } from '../src/errors.js';
import { sizeOf, type Frame, type ImageFrame } from '../src/frame.js';
import { WlcWriter, type WlcHeader } from '../src/container/index.js';
import type { Model } from '../src/models/model-file.js';
import { IMAGE_FORMAT_BY_EXT, writeImage, type ImageFormat } from '../src/io/image.js';
import { frameName, isFramePattern } from '../src/io/frame-sink.js';
import { PACK_META_KEY, type PackInfo } from '../transforms/pack.js';
import { defineFilter, optionError, PAD_KINDS, type FilterContext, type OpenedSink } from './definition.js';
import { encodeNifti } from '../src/io/nifti.js';
import { frameToIntensities } from '../src/io/volume.js';
import { SLAB_META_KEY } from '../src/codec/volume-codec.js';

/** Media extensions other tools expect to hold their own format, which save does not write. */
const OTHER_MEDIA_EXT: ReadonlySet<string> = new Set([
  '.wav', '.flac', '.ogg', '.oga', '.opus', '.mp3', '.m4a', '.aac', '.aif', '.aiff', '.raw', '.pcm',
  '.y4m', '.mp4', '.mkv', '.mov', '.avi', '.webm', '.gif', '.tif', '.tiff', '.bmp', '.avif', '.heic', '.dcm',
]);

/**
 * The .wlc header for a stream whose first frame is `frame`: model (and its sha256 when the model
 * is known), modality, levels, wavelet, latent size, bits, pack format, original shape and sample
 * rate, each only when the frame says it.
 *
 * @example
 * wlcHeaderFor(packedFrame, loadModel('rgb-16x'));
 * // { model: 'rgb-16x', modelSha256: '…', modality: 'image', levels: 3, wavelet: 'bior4.4', latentDim: 12, bits: 8, pack: 'webp', shape: [3, 96, 128] }
 */
export function wlcHeaderFor(frame: Frame, model?: Model): WlcHeader {
  const m = frame.meta;
  const h: WlcHeader = {};
  // Frames carry the model id (`name@sha-prefix`); the header names the model as walloc-encode
  // does (the bundled name) and pins its full checksum separately.
  if (m.model !== undefined) h.model = model?.config.name ?? m.model.replace(/@[0-9a-f]+$/, '');
  if (model !== undefined) h.modelSha256 = model.sha256;
  const media = frame.kind === 'image' || frame.kind === 'audio' || frame.kind === 'volume' ? frame.kind : m.source;
  if (media !== undefined) h.modality = media;
  if (m.levels !== undefined) h.levels = m.levels;
  if (m.wavelet !== undefined) h.wavelet = m.wavelet;
  const pack = m.extra?.[PACK_META_KEY] as PackInfo | undefined;
  if (frame.kind === 'latent') h.latentDim = frame.shape[0]!;
  else if (pack && Array.isArray(pack.latentShape)) h.latentDim = pack.latentShape[0]!;
  if (m.bits !== undefined) h.bits = m.bits;
  if (frame.kind === 'packed' && pack) h.pack = pack.format;
  else if (frame.kind === 'latent') h.pack = 'raw';
  const shape = m.sourceShape ?? (media === frame.kind ? [...frame.shape] : undefined);
  if (shape !== undefined) h.shape = [...shape];
  if (m.sampleRate !== undefined) h.sampleRate = m.sampleRate;
  // VQ token streams (transforms/vq.ts): the codebook fingerprint, as vqHeader writes it, so that
  // classify and decoders can check a saved stream's codebook from its header.
  const tokensSha256 = m.extra?.tokensSha256;
  if (typeof tokensSha256 === 'string') h.tokensSha256 = tokensSha256;
  const codebook = m.extra?.codebook ?? (m.extra?.vq as { codebook?: unknown } | undefined)?.codebook;
  if (typeof codebook === 'number') h.codebook = codebook;
  return h;
}

export const saveFilter = defineFilter({
  name: 'save',
  description: 'sink: write frames to a .wlc stream, image files or a NIfTI volume (- is stdout)',
  inputs: [{ name: 'default', kinds: PAD_KINDS }],
  outputs: [],
  options: {
    file: { type: 'string', required: true, aliases: ['filename', 'f'], help: "path to write, or - for stdout; %d or %04d in an image name numbers the frames from 1, as ffmpeg does" },
    format: { type: 'enum', choices: ['auto', 'wlc', 'png', 'jpeg', 'webp', 'nifti'], default: 'auto', help: 'output format; auto: from the extension (.png, .jpg, .webp, .nii, .nii.gz), else .wlc (other media extensions such as .wav or .mp4 are refused)' },
    quality: { type: 'int', min: 1, max: 100, default: 90, help: 'JPEG and lossy WebP quality' },
  },
  examples: ['wpt,analysis=model=rgb-16x,quantize,pack,save=photo.wlc', 'unpack,dequantize,synthesis=model=rgb-16x,iwpt,save=out%03d.png', 'unpack,dequantize,synthesis=model=volume-mri-linear,iwpt,save=back.nii.gz'],
  create: (o, ctx) => {
    const ext = extname(o.file).toLowerCase();
    const nii = ext === '.nii' || o.file.toLowerCase().endsWith('.nii.gz');
    // A media name save cannot write (out.wav, x.mp4) would otherwise get a .wlc under that name.
    if (o.format === 'auto' && !nii && !IMAGE_FORMAT_BY_EXT[ext] && OTHER_MEDIA_EXT.has(ext)) {
      throw optionError('save', 'file', `save does not write ${ext} files (it writes .wlc, .png, .jpg, .webp and .nii/.nii.gz); save a .wlc and turn it into ${ext} with walloc-decode (-o out${ext}), or add format=wlc to keep this name`);
    }
    const format = o.format !== 'auto' ? o.format : nii ? 'nifti' : (IMAGE_FORMAT_BY_EXT[ext] ?? 'wlc');
    if (format === 'wlc') return wlcSink(o.file, ctx);
    if (format === 'nifti') return niftiSink(o.file, ctx);
    return imageSink(o.file, format, o.quality, ctx);
  },
});

type Ctx = FilterContext;

/**
 * Removes a partial output. A file stream still opening (`pending`) would create its temporary
 * file after the removal, so abort again once it has closed.
 */
function abortOutput(out: OpenedSink): void {
  out.abort();
  const s = out.stream as NodeJS.WritableStream & { pending?: boolean; once?: (e: string, f: () => void) => void };
  if (s.pending === true) s.once?.('close', () => out.abort());
}

function wlcSink(path: string, ctx: Ctx): Writable {
  // Opened at once, so that an unwritable path fails before any data flows.
  const out: OpenedSink = ctx.io.openOutput(path, { binary: true });
  let writer: WlcWriter | undefined;
  let done: Promise<void> | undefined;
  let committed = false;
  const start = (frame: Frame): WlcWriter => {
    const model = frame.meta.model === undefined ? undefined : ctx.findModel(frame.meta.model);
    const w = new WlcWriter({ header: wlcHeaderFor(frame, model) });
    // stdout is shared with the rest of the process: never end it.
    done = pipeline(w, out.stream, { end: out.label !== '-' });
    done.catch(() => {});
    return w;
  };
  return new Writable({
    objectMode: true,
    highWaterMark: 1,
    write(frame: Frame, _enc, cb) {
      let w: WlcWriter;
      try {
        w = writer ??= start(frame);
      } catch (e) {
        cb(e as Error);
        return;
      }
      if (w.write(frame)) cb();
      else w.once('drain', () => cb());
    },
    final(cb) {
      // No frame came: still a valid file, with an empty header since there was nothing to describe.
      const w = writer ?? new WlcWriter({ header: {} });
      if (!writer) {
        writer = w;
        done = pipeline(w, out.stream, { end: out.label !== '-' });
      }
      w.end();
      done!.then(() => out.commit()).then(() => {
        committed = true;
        cb();
      }, (e: unknown) => cb(e as Error));
    },
    destroy(err, cb) {
      // Any end but a committed one (an error, an abort, a torn-down graph) leaves no file. The
      // sink reports itself destroyed only once its file is closed and removed, so whoever awaits
      // the graph finds no temporary file left.
      if (committed) return cb(err);
      writer?.destroy();
      abortOutput(out);
      const s = out.stream as NodeJS.WritableStream & { closed?: boolean; once?: (e: string, f: () => void) => void };
      if (s !== process.stdout && s.closed === false && typeof s.once === 'function') s.once('close', () => cb(err));
      else cb(err);
    },
  });
}

/**
 * Volume frames → one NIfTI-1 file (gzip for `.nii.gz`), float32 intensities through each frame's
 * window, slabs placed by their first slice. Written when the graph ends (NIfTI needs the depth).
 */
function niftiSink(path: string, ctx: Ctx): Writable {
  const out: OpenedSink = ctx.io.openOutput(path, { binary: true });
  const parts: Array<{ data: Float32Array; shape: number[]; z0: number; spacing?: number[] }> = [];
  let committed = false;
  return new Writable({
    objectMode: true,
    highWaterMark: 1,
    write(frame: Frame, _enc, cb) {
      if (frame.kind !== 'volume' || frame.shape.length !== 4 || frame.shape[0] !== 1) return cb(werr('WALLOC_ERR_FRAME_KIND', { stage: 'save (nifti)', expected: 'one-channel volume', actual: `${frame.kind} [${frame.shape.join(', ')}]` }));
      const w = frame.meta.window ?? [-0.5, 0.5];
      const slab = frame.meta.extra?.[SLAB_META_KEY] as { z0?: number; range?: [number, number] } | undefined;
      parts.push({ data: frameToIntensities(frame as { data: Float32Array }, w, slab?.range), shape: frame.shape.slice(1), z0: slab?.z0 ?? 0, spacing: frame.meta.spacing });
      cb();
    },
    final(cb) {
      try {
        if (parts.length === 0) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: 'save (nifti): no volume frames' });
        const [, H, W] = parts[0]!.shape as [number, number, number];
        const depth = Math.max(...parts.map((p) => p.z0 + p.shape[0]!));
        const data = new Float32Array(depth * H * W);
        for (const p of parts) data.set(p.data, p.z0 * H * W);
        const sp = parts[0]!.spacing;
        const spacing: [number, number, number] = Array.isArray(sp) && sp.length === 3 ? [sp[0]!, sp[1]!, sp[2]!] : [1, 1, 1];
        const bytes = encodeNifti({ data, shape: [depth, H, W], spacing, dtype: 'float32' }, { gzip: path.toLowerCase().endsWith('.gz') });
        out.stream.end(bytes);
        finished(out.stream as Writable).then(() => out.commit()).then(() => { committed = true; cb(); }, (e: unknown) => cb(e as Error));
      } catch (e) {
        cb(e as Error);
      }
    },
    destroy(err, cb) {
      if (!committed) abortOutput(out);
      cb(err);
    },
  });
}

/**
 * Image frames → image files, each renamed into place as soon as it is written (a long run shows
 * its frames as they come). A run that does not end well (an error anywhere in the graph, an
 * interrupt) then removes the files it created, as walloc-decode does with `-o f-%04d.png`: an
 * output is complete or absent, never a prefix of the frames. A file that was there before and was
 * replaced cannot be given back, and stays.
 */
function imageSink(path: string, format: ImageFormat, quality: number, ctx: Ctx): Writable {
  const numbered = isFramePattern(path);
  let index = 0;
  let current: OpenedSink | undefined;
  const created: string[] = [];
  let writing: Promise<void> | undefined;
  let destroyed = false;
  let ended = false;
  return new Writable({
    objectMode: true,
    highWaterMark: 1,
    write(frame: Frame, _enc, cb) {
      writing = (async () => {
        if (frame.kind !== 'image') throw werr('WALLOC_ERR_FRAME_KIND', { stage: `save (${format})`, expected: 'image', actual: frame.kind });
        if (!numbered && index > 0) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `save: ${path} can hold one image; use a %d pattern (out%03d.png) or a .wlc file for several frames` });
        if (sizeOf(frame.shape) === 0) throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: 'empty image' });
        const bytes = await writeImage(frame as ImageFrame, undefined, { format, quality });
        // Torn down while encoding: open nothing more.
        if (destroyed) return;
        const name = numbered ? frameName(path, index + 1) : path;
        const existed = name !== '-' && existsSync(name);
        const out = (current = ctx.io.openOutput(name, { binary: true }));
        index++;
        if (out.label === '-') {
          await new Promise<void>((resolve, reject) => out.stream.write(bytes, (e?: Error | null) => (e ? reject(e) : resolve())));
        } else {
          out.stream.end(bytes);
          await finished(out.stream as Writable);
        }
        // Torn down while writing: destroy has aborted this file; renaming it now would resurrect it.
        if (destroyed) return;
        await out.commit();
        current = undefined;
        if (out.label !== '-' && !existed) created.push(name);
      })();
      writing.then(() => cb(), (e: unknown) => cb(e as Error));
    },
    final(cb) {
      ended = true;
      cb();
    },
    destroy(err, cb) {
      destroyed = true;
      if (ended) return cb(err);
      if (current) abortOutput(current);
      // The frame being written settles first (its rename, if already under way, included), so
      // that whoever awaits the graph finds none of this run's files.
      void (writing ?? Promise.resolve()).catch(() => {}).then(() => {
        for (const name of created.splice(0)) rmSync(name, { force: true });
        cb(err);
      });
    },
  });
}
