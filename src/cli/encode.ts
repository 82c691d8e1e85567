/**
 * `walloc-encode`: media in (a file or stdin, detected by its first bytes), .wlc out (a file,
 * written atomically, or stdout). Images are one record; a y4m stream, a video read through
 * ffmpeg, the pages of an animated image and a folder or pattern of colour PNGs become one record
 * per frame, encoded as the frames arrive.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Codec } from '../codec/codec.js';
import { WlcWriter } from '../container/index.js';
import { werr } from '../errors.js';
import type { Frame, ImageFrame } from '../frame.js';
import { pageCount, readImage, readImagePages } from '../io/image.js';
import { openInput } from '../io/input.js';
import { checkNotInput } from '../io/output.js';
import { DETECT_BYTES, detectInput, isImageKind } from '../io/detect.js';
import { firstImageEnd, isMultiPictureJpeg } from '../io/image-end.js';
import { isDicomFolder } from '../io/dicom.js';
import { isColourSequence, listSliceFiles, otherImages } from '../io/png-stack.js';
import { isFramePattern } from '../io/frame-sink.js';
import { openOutput, writeAtomically } from '../io/output.js';
import { frameSourceFor } from '../io/frame-source.js';
import { defaultModel } from '../models/registry.js';
import { convertPixels } from '../../filters/f_format.js';
import { interruptSignal } from './run.js';
import type { CommandIo, CommandSpec } from './command.js';
import { imageLimitOptions, intOption } from './options.js';
import { asksForRawPcm, encodeAudioMain, isAudioRequest } from './audio.js';
import { asksForVolume, encodeVolumeMain, isSliceFolder, VOLUME_ENCODE_OPTIONS } from './volume.js';

export const encodeCommand: CommandSpec = {
  name: 'walloc-encode',
  summary: 'compress images, video frames, audio or volumes (NIfTI, DICOM, raw, PNG slices) into a .wlc stream',
  usage: ['walloc-encode [INPUT|-] [-o OUTPUT|-] [--model NAME|DIR] [options]'],
  options: {
    output: { type: 'string', short: 'o', arg: 'FILE', help: 'output .wlc file, or - for stdout (default: stdout)' },
    model: { type: 'string', short: 'm', arg: 'NAME|DIR', help: 'codec model (default: rgb-16x for images and video, stereo-5x for audio, volume-mri for volumes)' },
    pack: { type: 'string', arg: 'FORMAT', help: 'lossless coder for the latents: webp or png (default: the model\'s)' },
    effort: { type: 'string', arg: 'N', help: 'WebP effort 0 (fast) to 6 (small) (default: 1; 4 is 3.5% smaller and 6× slower)' },
    'max-pixels': { type: 'string', arg: 'N', help: 'refuse frames with more pixels than this (default: 268 MP)' },
    'max-side': { type: 'string', arg: 'N', help: 'refuse frames wider or taller than this (default: 65535)' },
    force: { type: 'boolean', short: 'f', help: 'write binary to a terminal anyway' },
    quiet: { type: 'boolean', short: 'q', help: 'no summary on stderr' },
    format: { type: 'string', arg: 'FMT', help: 'raw PCM input: s16le, f32le, s24le, s32le, u8 or f64le (with --rate and --channels)' },
    rate: { type: 'string', arg: 'HZ', help: 'raw PCM input: sample rate' },
    channels: { type: 'string', arg: 'N', help: 'raw PCM input: channels (1 or 2)' },
    latency: { type: 'string', arg: 'MS', help: 'audio: largest algorithmic latency wanted; picks the chunk (default: 65536-sample chunks)' },
    ...VOLUME_ENCODE_OPTIONS,
  },
  examples: [
    'walloc-encode photo.png -o photo.wlc',
    'ffmpeg -i cam.mp4 -f yuv4mpegpipe - | walloc-encode - > cam.wlc',
    'walloc-encode clip.mkv -o clip.wlc          # any format ffmpeg reads',
    "walloc-encode 'frames/f-%04d.png' -o clip.wlc   # colour PNGs (a folder or pattern): one record each",
    'ffmpeg -i song.ogg -f wav - | walloc-encode --model stereo-5x | walloc-decode -o out.wav',
    'arecord -f cd -t raw - | walloc-encode - --format s16le --rate 44100 --channels 2 --latency 200 -o live.wlc',
    'walloc-encode brain.nii.gz -o brain.wlc                 # volumes: NIfTI, raw (--shape --dtype) or PNG slices',
    'walloc-encode ct-series/ -o ct.wlc                      # a DICOM series (a folder of .dcm files; one .dcm works too)',
    'cat slices/*.png | walloc-encode - --stack --slab 32 -o scan.wlc',
  ],
  async run({ values, positionals }, io) {
    return encodeMain(values, positionals, io);
  },
};

async function encodeMain(values: Record<string, unknown>, positionals: string[], io: CommandIo): Promise<number> {
  if (positionals.length > 1) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `one input at a time (got ${positionals.length}); use \`walloc batch\` for many` });
  const inPath = positionals[0] ?? '-';
  if (inPath === '-' && io.stdin.isTTY) throw werr('WALLOC_ERR_MISSING_ARGUMENT', { what: 'an input file (or data on stdin)', command: 'walloc-encode' });
  const limits = imageLimitOptions(values);
  checkNotInput(inPath, (values.output as string | undefined) ?? '-');
  // Folders and patterns are not one input file, so decide first: grey PNG slices or a DICOM series
  // are a volume (issue 9); colour PNGs are a sequence of images, one record each, unless --stack
  // or a volume model says they are slices.
  // The flags (and, with --model, the model's modality) decide once: loading a model checks its files.
  const volumeAsked = asksForVolume(values);
  if (inPath !== '-' && (isSliceFolder(inPath) || (volumeAsked && !existsSync(inPath)))) {
    // No PNG there at all is its own error (naming the photos left out), not a volume's.
    const files = volumeAsked || isDicomFolder(inPath) ? [] : listSliceFiles(inPath);
    if (!(await isColourSequence(files))) return encodeVolumeMain(values, inPath, undefined, io);
    const skipped = !isFramePattern(inPath) && statSync(inPath).isDirectory() ? otherImages(readdirSync(inPath)) : '';
    if (skipped && values.quiet !== true) io.stderr.write(`walloc-encode: warning: ${inPath}: ${skipped} left out (a folder is read as PNG frames; walloc batch encodes photos of any format)\n`);
    const frames = (async function* () {
      for (const file of files) {
        const f = await readImage(file, limits);
        yield { ...f, meta: { ...f.meta, extra: { ...f.meta.extra, source: basename(file) } } };
      }
    })();
    return encodeFrames(values, frames, { source: basename(inPath), frames: files.length }, io);
  }

  // Raw PCM has no header to fail on: an empty input is "no audio samples", as for a WAV.
  const input = await openInput(inPath, io.stdin, asksForRawPcm(values) ? { ifEmpty: () => werr('WALLOC_ERR_AUDIO_EMPTY', { source: inPath === '-' ? 'stdin' : inPath }) } : {});
  if (input.kind === 'wlc') throw werr('WALLOC_ERR_UNSUPPORTED_INPUT', { path: inPath, reason: 'it is already a .wlc stream (decode it with walloc-decode)' });
  // Audio (issue 5): WAV, raw PCM flags, an audio model, or an audio file for ffmpeg.
  if (isAudioRequest(input, values)) return encodeAudioMain(values, input, io);
  // (A folder or pattern was dealt with above, so only the flags can still make this a volume.)
  if (input.kind === 'nifti' || input.kind === 'dicom' || input.kind === 'gzip' || volumeAsked) return encodeVolumeMain(values, inPath, input, io);

  // Frames come either from one decoded image or from a y4m/ffmpeg frame stream.
  const extra: Record<string, unknown> = { source: inPath === '-' ? 'stdin' : basename(inPath) };
  if (!isImageKind(input.kind)) {
    const src = await frameSourceFor(input, limits);
    return encodeFrames(values, src.frames, { ...extra, ...src.header }, io);
  }
  // From a file, readImage reads the path itself so that errors name it.
  // (A named pipe or <(…) cannot be opened twice: its bytes are read from the stream instead.)
  if (input.seekable) input.stream.destroy();
  const src = input.seekable ? inPath : await input.readAll();
  if (typeof src !== 'string') refuseSeveralImages(src);
  // An animated GIF or WebP (or a multi-page TIFF): every page is a frame, as from a video.
  const pageFrames = readImagePages(src, limits, inPath);
  const head = (await pageFrames.next()).value as ImageFrame;
  const pages = pageCount(head);
  const frames = (async function* () {
    yield head;
    yield* pageFrames;
  })();
  return encodeFrames(values, frames, { ...extra, shape: [...head.shape], frames: pages }, io);
}

/**
 * A pipe of several images (`cat *.png | walloc-encode -`): sharp would read the first and drop the
 * rest without a word. Bytes after the image that are not another picture (padding, a camera's
 * trailer) are left alone, as every decoder does.
 */
function refuseSeveralImages(bytes: Buffer): void {
  const end = firstImageEnd(bytes);
  if (end === undefined || end >= bytes.length || isMultiPictureJpeg(bytes)) return;
  const next = detectInput(bytes.subarray(end, end + DETECT_BYTES));
  if (!isImageKind(next)) return;
  throw werr('WALLOC_ERR_UNSUPPORTED_INPUT', { path: 'stdin', reason: `more than one image: a ${next.toUpperCase()} begins at byte ${end}, after the first; walloc-encode reads one image from a pipe. For several, give a folder or a pattern ('frames/f-%04d.png', one record each), use walloc batch, or --stack for the PNG slices of a volume` });
}

/** Image frames → .wlc with the image codec, written atomically, with a summary on stderr. */
async function encodeFrames(values: Record<string, unknown>, frames: AsyncIterable<Frame>, extra: Record<string, unknown>, io: CommandIo): Promise<number> {
  const packFormat = values.pack as string | undefined;
  if (packFormat !== undefined && packFormat !== 'webp' && packFormat !== 'png') throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--pack must be webp or png, got "${packFormat}"` });
  const effort = intOption(values.effort, 'effort', 0, 6);
  const codec = Codec.load((values.model as string | undefined) ?? defaultModel('image'), {
    pack: { ...(packFormat ? { format: packFormat } : {}), ...(effort !== undefined ? { effort } : {}) },
  });
  const modality = codec.model.config.modality;
  if (modality !== 'image') {
    codec.dispose();
    throw werr('WALLOC_ERR_MODEL_INPUT', { model: codec.model.config.name, reason: `it codes ${modality === 'audio' ? 'audio' : 'volumes'}, and ${String(extra.source ?? 'the input')} holds images; give an image model (rgb-16x, rgb-16x-linear; \`walloc models\` lists them)` });
  }

  const out = openOutput((values.output as string | undefined) ?? '-', { stdout: io.stdout, force: values.force === true });
  const { signal, release } = interruptSignal();
  const t0 = performance.now();
  let count = 0;
  let pixels = 0;
  // A grey codec (fmnist-gray-j2) reads luma: images are read as RGB, so they are converted here,
  // as the format=gray filter does in a graph.
  const grey = codec.model.config.channels === 1;
  const counted = async function* (src: AsyncIterable<Frame>) {
    for await (const f of src) {
      count++;
      pixels += f.data.length / (f.shape[0] ?? 1);
      yield grey && f.kind === 'image' && f.shape[0] !== 1 ? convertPixels(f, 'gray') : f;
    }
    // A y4m header with no FRAME (or a video with no picture) is not an empty success.
    if (count === 0) throw werr('WALLOC_ERR_UNSUPPORTED_INPUT', { path: String(extra.source ?? 'input'), reason: 'it holds no frames; nothing was written' });
  };
  // The header records what is coded: one channel for a grey codec, whatever the file held.
  const shape = grey && Array.isArray(extra.shape) ? [1, ...(extra.shape as number[]).slice(1)] : extra.shape;
  const writer = new WlcWriter({ header: codec.header({ ...extra, ...(shape ? { shape } : {}) }) });
  let bytes = 0;
  writer.on('data', (c: Buffer) => { bytes += c.length; });
  try {
    await writeAtomically(out, () => pipeline(counted(frames), codec.encoder(), writer, out.stream, { signal }));
  } finally {
    release();
    codec.dispose();
  }
  if (!values.quiet && out.label !== '-') {
    const s = (performance.now() - t0) / 1000;
    io.stderr.write(`${out.label}: ${count} frame${count === 1 ? '' : 's'}, ${(pixels / 1e6).toFixed(2)} MP → ${bytes} bytes (${((8 * bytes) / pixels).toFixed(3)} bpp, ${(((grey ? 8 : 24) * pixels) / (8 * bytes)).toFixed(1)}:1) in ${s.toFixed(2)} s with ${codec.model.id}\n`);
  }
  return 0;
}

