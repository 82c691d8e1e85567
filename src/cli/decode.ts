/**
 * `walloc-decode`: .wlc in (a file or stdin), media out. One image → PNG/JPEG/WebP (by extension,
 * PNG on stdout); a stream of frames → y4m (for `| ffmpeg -f yuv4mpegpipe -i -`), numbered images
 * (`out-%04d.png`), or any video format through ffmpeg (by extension). The model comes from the
 * stream's header (a bundled model by name) or from --model, and must match the header's checksum.
 */
import { extname } from 'node:path';
import { notWlcError } from '../io/detect.js';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Codec } from '../codec/codec.js';
import { latentModelOf, MAX_RECORD_BYTES_CAP, recordsLost, WlcReader, type WlcCorruption } from '../container/index.js';
import { MAX_LATENT_VALUES_CAP } from '../stages/pack.js';
import { imageLimitOptions, intOption, numberOption } from './options.js';
import { isWallocError, werr } from '../errors.js';
import type { Frame, ImageFrame } from '../frame.js';
import { openInput } from '../io/input.js';
import { checkNotInput, openOutput, writeAtomically } from '../io/output.js';
import { writeImage, WRITTEN_IMAGE_EXTENSIONS } from '../io/image.js';
import { frameSinkFor, isFramePattern } from '../io/frame-sink.js';
import type { CommandIo, CommandSpec } from './command.js';
import { AUDIO_EXTENSIONS } from '../train/audio-data.js';
import { interruptSignal } from './run.js';
import { decodeAudioMain, decodeRawAudioMain } from './audio.js';
import { decodeVolumeMain } from './volume.js';

// Extensions that cannot hold the stream's media: refused before decoding, instead of letting
// ffmpeg fail on a temporary file. Anything else goes to ffmpeg, which knows more formats.
const AUDIO_ONLY_EXT = [...AUDIO_EXTENSIONS];
const NOT_MEDIA_EXT = ['.txt', '.json', '.jsonl', '.csv', '.wlc', '.nii', '.nii.gz', '.raw', '.dcm'];

/**
 * Refuses an output name that cannot hold what the stream decodes to (`-o x.wav` for images,
 * `-o x.png` for audio). Volumes have their own list (src/cli/volume.ts).
 */
function checkOutputFor(modality: unknown, outPath: string): void {
  if (outPath === '-' || modality === 'volume') return;
  // A header without a modality is decoded as images (below), so it is checked as images.
  modality ??= 'image';
  const name = outPath.toLowerCase();
  const ends = (list: readonly string[]) => list.some((e) => name.endsWith(e));
  if (modality === 'audio' && (ends([...WRITTEN_IMAGE_EXTENSIONS, '.y4m', ...NOT_MEDIA_EXT.filter((e) => e !== '.raw')]) || isFramePattern(name))) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${outPath}: this stream holds audio; write .wav, raw PCM (--format s16le, f32le…) or an audio file ffmpeg writes (.flac, .mp3, .ogg, .m4a…)` });
  }
  if (modality === 'image' && ends([...AUDIO_ONLY_EXT, ...NOT_MEDIA_EXT])) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${outPath}: this stream holds images; write .png, .jpg or .webp (one frame), numbered images (frame-%04d.png), .y4m or a video file (.mp4, .mkv…)` });
  }
}

export const decodeCommand: CommandSpec = {
  name: 'walloc-decode',
  summary: 'turn a .wlc stream back into images (PNG, JPEG, WebP), y4m, video, audio or volumes (NIfTI)',
  usage: ['walloc-decode [INPUT|-] [-o OUTPUT|-] [--format png|y4m] [--model NAME|DIR] [--skip-corrupt] [limits]'],
  options: {
    output: { type: 'string', short: 'o', arg: 'FILE', help: 'output: image file, pattern with %d for numbered images, .y4m, a video file (through ffmpeg), or - for stdout (default)' },
    format: { type: 'string', arg: 'FMT', help: 'output format when it cannot come from the name: png or y4m (default: png for one image, y4m for several); audio: wav (default) or raw samples s16le, f32le, s24le, s32le (also the sample format of a .wav)' },
    rate: { type: 'string', arg: 'HZ', help: "audio: output sample rate (default: the source's, kept in the header; 44.1 kHz is the codec's own, other rates are resampled by ffmpeg)" },
    model: { type: 'string', short: 'm', arg: 'NAME|DIR', help: 'decoder model (default: the one named in the stream header)' },
    backend: { type: 'string', arg: 'NAME', help: 'TensorFlow.js backend: gpu, node, wasm or cpu' },
    force: { type: 'boolean', short: 'f', help: 'write binary to a terminal anyway' },
    // Issue 11: damaged records and resource limits (docs/reliability.md).
    'skip-corrupt': { type: 'boolean', help: 'report a damaged record on stderr and carry on with the next good one (default: stop with an error)' },
    quiet: { type: 'boolean', short: 'q', help: 'no warnings or notes on stderr (errors still are)' },
    'max-pixels': { type: 'string', arg: 'N', help: 'refuse decoded frames with more pixels than this (default: 268 MP)' },
    'max-side': { type: 'string', arg: 'N', help: 'refuse decoded frames wider or taller than this (default: 65535)' },
    'max-latent': { type: 'string', arg: 'N', help: 'refuse packed latent images of more bytes than this (default: 67108864)' },
    'max-record-bytes': { type: 'string', arg: 'N', help: 'refuse .wlc records longer than this (default: 268435456)' },
  },
  examples: [
    'walloc-decode photo.wlc -o photo.png',
    'walloc-decode cam.wlc | ffmpeg -f yuv4mpegpipe -i - cam-decoded.mp4',
    'walloc-decode cam.wlc -o frame-%04d.png',
    'walloc-decode damaged.wlc --skip-corrupt -o recovered.y4m',
    'walloc-decode song.wlc -o song.wav          # audio: .wav, .raw (--format f32le), or .flac/.ogg/… through ffmpeg',
    'walloc-decode brain.wlc -o back.nii.gz      # volumes: .nii.gz, .nii, .raw or slice-%03d.png',
  ],
  async run({ values, positionals }, io) {
    return decodeMain(values, positionals, io);
  },
};

async function decodeMain(values: Record<string, unknown>, positionals: string[], io: CommandIo): Promise<number> {
  if (positionals.length > 1) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `one input at a time (got ${positionals.length})` });
  const inPath = positionals[0] ?? '-';
  if (inPath === '-' && io.stdin.isTTY) throw werr('WALLOC_ERR_MISSING_ARGUMENT', { what: 'a .wlc file (or a stream on stdin)', command: 'walloc-decode' });
  const format = values.format as string | undefined;
  const audioFormats = ['wav', 'u8', 's16le', 's24le', 's32le', 'f32le', 'f64le'];
  if (format !== undefined && format !== 'png' && format !== 'y4m' && !audioFormats.includes(format)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--format must be png or y4m (images), or ${audioFormats.join(', ')} (raw audio), got "${format}"` });
  const outPath = (values.output as string | undefined) ?? '-';
  checkNotInput(inPath, outPath);
  if (values.rate !== undefined) numberOption(values.rate, 'rate', 1000, 768_000, true);

  const input = await openInput(inPath, io.stdin);
  if (input.kind !== 'wlc') throw notWlcError(inPath, input.kind);
  const limits = {
    ...imageLimitOptions(values),
    maxLatentValues: intOption(values['max-latent'], 'max-latent', 1, MAX_LATENT_VALUES_CAP),
  };
  const maxRecordBytes = intOption(values['max-record-bytes'], 'max-record-bytes', 1, MAX_RECORD_BYTES_CAP);
  const skipCorrupt = values['skip-corrupt'] === true;
  const reader = new WlcReader({ skipCorrupt, ...(maxRecordBytes !== undefined ? { maxRecordBytes } : {}) });
  // Without --skip-corrupt a damaged record stays fatal (the reader throws); with it, say what was lost.
  let corrupt = 0;
  reader.on('corrupt', (c: WlcCorruption) => {
    corrupt++;
    if (values.quiet !== true) io.stderr.write(`walloc-decode: warning: ${c.reason} [${c.code}]; skipped bytes ${c.start}–${c.end - 1} (${recordsLost(c)})\n`);
  });
  const { signal, release } = interruptSignal();
  const headerP = reader.headerReady;
  headerP.catch(() => {});
  // Until a pipeline consumes the reader, its errors reach us through headerReady (a bad header) or
  // the pipeline (a bad record); the reader's own 'error' event must not crash the process meanwhile
  // (a damaged header, or a damaged stream given with a model that does not load).
  reader.on('error', () => {});
  input.stream.pipe(reader);
  input.stream.on('error', (e) => reader.destroy(e));
  let codec: Codec | undefined;
  try {
    const header = await headerP;
    // VQ-VAE tokens (walloc filter's vqpack) are not codec latents: say how they decode.
    if (header.tokensSha256 !== undefined && typeof header.model === 'string' && values.model === undefined) {
      throw werr('WALLOC_ERR_UNSUPPORTED_INPUT', { path: inPath, reason: `it holds VQ-VAE tokens of ${header.model}, which walloc-decode does not read; decode them with walloc filter "load=file=${inPath},vqunpack,unvq=model=${header.model},save=file=OUT.png" (or classify them with classify)` });
    }
    // Uncompressed audio (a filter graph's save after audio filters): written out as it is.
    if (header.modality === 'audio' && header.model === undefined && header.latentDim === undefined && values.model === undefined) {
      checkOutputFor('audio', outPath);
      await decodeRawAudioMain(values, header, reader, io, outPath, signal);
      return 0;
    }
    try {
      codec = Codec.load(latentModelOf(header, inPath, values.model as string | undefined), { backend: values.backend as string | undefined, limits });
    } catch (e) {
      // The stream names a model that is not bundled: it was made with a model folder, which a
      // name resolves against the folder walloc-encode ran in, not this one.
      if (values.model === undefined && isWallocError(e, 'WALLOC_ERR_MODEL_NOT_FOUND')) {
        throw werr('WALLOC_ERR_MODEL_NOT_FOUND', { ...e.details, hint: `; ${inPath === '-' ? 'the stream' : inPath} was made with a model folder of that name: pass it with --model DIR` }, e);
      }
      throw e;
    }
    codec.checkHeader(header);
    checkOutputFor(header.modality, outPath);
    if (values.rate !== undefined && header.modality !== 'audio') throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--rate sets an audio output's sample rate; this stream holds ${header.modality ?? 'image'}s` });
    if (header.modality === 'audio') {
      await decodeAudioMain(values, header, codec, reader, io, outPath, signal);
      return 0;
    }
    if (header.modality === 'volume') {
      await decodeVolumeMain(values, header, codec, reader, io, outPath, signal);
      return 0;
    }
    if (format !== undefined && audioFormats.includes(format)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--format ${format} is for audio streams; this stream holds ${String(header.modality)}` });
    // Frames that reach the output: none (an empty stream, or every record damaged and skipped)
    // is an error, not an empty file.
    let frames = 0;
    const decoder = codec.decoder();
    const noFrames = () => werr('WALLOC_ERR_CONTAINER_EMPTY', { path: inPath, reason: corrupt > 0 ? 'every record was damaged and skipped' : 'the stream holds no frame' });
    const single = header.frames === 1;
    const ext = outPath === '-' ? '' : extname(outPath).toLowerCase();
    const asImage = (outPath === '-' ? (format ?? (single ? 'png' : 'y4m')) === 'png' : WRITTEN_IMAGE_EXTENSIONS.has(ext)) && !isFramePattern(outPath);
    if (asImage) {
      // One image: decode the (single) frame, then write it atomically.
      const out = openOutput(outPath, { stdout: io.stdout, force: values.force === true });
      await writeAtomically(out, async () => {
        await pipeline(reader, decoder, new Writable({
          objectMode: true,
          write(f: Frame, _e, cb) {
            if (++frames > 1) return cb(werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `the stream holds several frames; use -o NAME-%04d.png, .y4m or a video file` }));
            writeImage(f as ImageFrame, undefined, { format: outPath === '-' ? 'png' : undefined, ...(ext ? { format: ext === '.jpg' ? 'jpeg' : (ext.slice(1) as 'png' | 'jpeg' | 'webp') } : {}) })
              .then((buf) => (out.stream.write(buf) ? cb() : out.stream.once('drain', () => cb())), cb);
          },
        }), { signal });
        if (frames === 0) throw noFrames();
        if (out.stream !== io.stdout) out.stream.end();
      });
    } else {
      const sink = await frameSinkFor(outPath, { format: format as 'y4m' | 'png' | undefined, header, stdout: io.stdout, force: values.force === true });
      // Counted as they leave the decoder (a listener beside the pipeline's, so no extra buffering);
      // with none, that is the error, not what ffmpeg makes of an empty input.
      decoder.on('data', () => { frames++; });
      await writeAtomically(sink, async () => {
        await pipeline(reader, decoder, sink.stream, { signal }).catch((e: unknown) => { throw frames === 0 && isWallocError(e, 'WALLOC_ERR_FFMPEG_FAILED') ? noFrames() : e; });
        if (frames === 0) throw noFrames();
      });
    }
  } finally {
    release();
    codec?.dispose();
  }
  return 0;
}
