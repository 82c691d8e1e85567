/**
 * `load`: a source filter that reads a file or stdin (`-`) and emits frames. The kind is sniffed
 * from the first bytes: a .wlc stream gives whatever frames it holds (latents, packed latents, or
 * raw image/audio/volume frames); a PNG, JPEG, WebP, GIF or TIFF gives one image frame
 * (src/io/image.ts); a y4m stream or any video ffmpeg reads gives one image frame per picture,
 * decoded as they are pulled; a WAV gives audio frames of `chunk` samples; a NIfTI volume
 * (`.nii`, `.nii.gz`) gives one volume frame [1, D, H, W] mapped to [-0.5, 0.5] by its window.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isWallocError, werr } from '../src/errors.js';
import { WlcReader } from '../src/container/index.js';
import { readImage } from '../src/io/image.js';
import { openAudio } from '../src/io/audio-source.js';
import { makeFrame } from '../src/frame.js';
import { frameSourceFor } from '../src/io/frame-source.js';
import type { OpenedInput } from '../src/io/input.js';
import { defineFilter, PAD_KINDS } from './definition.js';
import { parseNifti } from '../src/io/nifti.js';
import { valueRange, volumeToFrame, volumeWindow } from '../src/io/volume.js';
import { SLAB_META_KEY } from '../src/codec/volume-codec.js';

const IMAGE_KINDS = new Set(['png', 'jpeg', 'webp', 'gif', 'tiff']);

export const loadFilter = defineFilter({
  name: 'load',
  description: 'source: read frames from a .wlc stream, an image, a y4m stream, a video, a WAV or a NIfTI volume (- is stdin)',
  inputs: [],
  outputs: [{ name: 'default', kinds: PAD_KINDS }],
  options: {
    file: { type: 'string', required: true, aliases: ['filename', 'f'], help: 'path to read, or - for stdin' },
    model: { type: 'string', help: 'refuse a .wlc stream whose header names another model' },
    strict: { type: 'bool', default: false, help: 'refuse a .wlc stream that lacks its end record' },
    chunk: { type: 'int', min: 256, max: 1 << 22, default: 16384, help: 'WAV input: samples per audio frame' },
  },
  details: 'What a source produces is only known once its file is open, so its pad accepts every kind; the next filter checks each frame.',
  examples: ['load=photo.png,wpt,analysis=model=rgb-16x,quantize,pack,save=photo.wlc', 'load=file=-:model=rgb-16x,unpack', 'load=brain.nii.gz,wpt=levels=2,analysis=model=volume-mri-linear,quantize,pack,save=brain.wlc'],
  create: async (o, ctx) => {
    const input = await ctx.io.openInput(o.file);
    if (input.kind === 'wlc') {
      const reader = new WlcReader({ strict: o.strict, ...(o.model === undefined ? {} : { expect: { model: o.model } }) });
      // The reader's own errors reach the graph through its edge; this only ties the file's life to it.
      pipeline(input.stream, reader).catch(() => {});
      return reader;
    }
    if (IMAGE_KINDS.has(input.kind)) {
      // One frame, decoded lazily so that opening many sources does not decode them all up front.
      const source = input;
      return Readable.from((async function* () {
        let frame;
        try {
          frame = await readImage(await source.readAll());
        } catch (e) {
          // readImage only knows it was given bytes; say which file they came from.
          if (isWallocError(e) && e.details.path === 'image buffer') throw werr(e.code, { ...e.details, path: source.label }, e);
          throw e;
        }
        yield { ...frame, meta: { ...frame.meta, extra: { ...frame.meta.extra, source: source.label } } };
      })(), { objectMode: true, highWaterMark: 1 });
    }
    if (input.kind === 'wav') {
      // Audio frames [C, L] at the file's own rate, one per chunk, pts in samples.
      const audio = await openAudio(input as OpenedInput, { chunkFrames: o.chunk });
      return Readable.from((async function* () {
        let pts = 0;
        for await (const chunk of audio.chunks) {
          const n = chunk[0]!.length;
          const data = new Float32Array(chunk.length * n);
          chunk.forEach((c, i) => data.set(c, i * n));
          yield makeFrame('audio', [chunk.length, n], data, { sampleRate: audio.sampleRate, pts, extra: { source: input.label } });
          pts += n;
        }
      })(), { objectMode: true, highWaterMark: 1 });
    }
    if (input.kind === 'nifti' || input.kind === 'gzip') {
      // One volume frame [1, D, H, W], normalised by its own window (minimum to 99.9th percentile).
      const source = input;
      return Readable.from((async function* () {
        const vol = parseNifti(await source.readAll(), { source: source.label });
        const f = volumeToFrame(vol, volumeWindow(vol.data));
        yield makeFrame('volume', f.shape, f.data, { ...f.meta, extra: { source: source.label, [SLAB_META_KEY]: { z0: 0, range: valueRange(vol.data) } } });
      })(), { objectMode: true, highWaterMark: 1 });
    }
    // y4m is parsed here; anything else is decoded by ffmpeg, frame by frame.
    const { frames } = await frameSourceFor(input as OpenedInput, {});
    return frames instanceof Readable ? frames : Readable.from(frames, { objectMode: true, highWaterMark: 1 });
  },
});
