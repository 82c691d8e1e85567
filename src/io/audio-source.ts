/**
 * Audio sources for the encoder: a WAV (file or pipe, read natively), raw PCM (`--format s16le
 * --rate 44100 --channels 2`), or any other media decoded by an ffmpeg child process, each as one
 * {@link AudioSource}: the stream's rate and channel count, then planar float32 chunks in [-1, 1]
 * as they arrive. Memory is bounded by a chunk whatever the length, so a live capture
 * (`arecord -f cd - | walloc-encode -`) runs indefinitely.
 *
 * Rates: when a `sampleRate` is asked for and the input has another, the input goes through ffmpeg
 * (`-ar`, its default swr resampler), WAV and PCM included — the WAV header bytes already read are
 * put back in front. ffmpeg writes WAV with 0xFFFFFFFF lengths on its pipe, which ./wav.ts reads.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { isWallocError, werr } from '../errors.js';
import { ffmpegFailed, ffmpegSpawnFailed, findFfmpeg, StderrTail, type FfmpegExit } from './ffmpeg.js';
import { isFlacAudio, isSeekingContainer } from './detect.js';
import type { OpenedInput } from './input.js';
import { encodePcm, pcmChunks, parseSampleFormat, type SampleFormat } from './pcm.js';
import { parseWavHeader, readWav, type WavSource } from './wav.js';

export interface AudioSource {
  sampleRate: number;
  channels: number;
  /** Sample frames, when the input announces them (a WAV file with a real length). */
  frames?: number;
  /** How it is read: 'wav', 'pcm', 'ffmpeg'. */
  via: 'wav' | 'pcm' | 'ffmpeg';
  /** The input's own rate before any resampling. */
  sourceRate?: number;
  /** Planar chunks (one Float32Array per channel). Iterate once. */
  chunks: AsyncIterable<Float32Array[]>;
  /**
   * Stops the source when `chunks` will not be read to its end (the caller failed before or while
   * reading): kills ffmpeg, whose open pipes would otherwise keep the process alive for ever.
   */
  dispose?: () => void;
}

export interface RawPcmOptions {
  format: SampleFormat | string;
  sampleRate: number;
  channels: number;
}

export interface FfmpegAudioOptions {
  /** Resample to this rate (ffmpeg -ar); default: keep the input's. */
  sampleRate?: number;
  /** Options before -i (e.g. ['-f', 's16le', '-ar', '48000', '-ac', '2'] for raw input, ['-f', 'lavfi']). */
  inputArgs?: string[];
  /** Name for errors. */
  source?: string;
  /** Sample frames per chunk (default 16384). */
  chunkFrames?: number;
  /**
   * Stop at the first decoding error (ffmpeg -xerror) instead of decoding what can be: for formats
   * where an error means damage (FLAC, WAV codings), not for MP3/AAC, whose padding after the
   * last frame can fail to decode in a whole file.
   */
  strict?: boolean;
  /** The input is a container ffmpeg reads by seeking (CAF, MP4): from a pipe it may yield nothing. */
  seeksForSamples?: boolean;
}

const alive = (c: ChildProcess): boolean => c.exitCode === null && c.signalCode === null;

/**
 * Decodes the first audio stream of anything ffmpeg reads (a path, a URL/lavfi spec with
 * inputArgs, or a byte stream) to planar float32, resampled when asked. ffmpeg is killed as soon
 * as the consumer stops; a failure becomes WALLOC_ERR_FFMPEG_FAILED with ffmpeg's own reason.
 *
 * @example
 * const a = await ffmpegAudio('song.ogg', { sampleRate: 44100 });
 * for await (const [l, r] of a.chunks) …
 */
export async function ffmpegAudio(input: string | Readable, opts: FfmpegAudioOptions = {}): Promise<AudioSource> {
  const ff = findFfmpeg();
  if (!ff) throw werr('WALLOC_ERR_FFMPEG_NOT_FOUND');
  const fromStream = typeof input !== 'string';
  const source = opts.source ?? (fromStream ? 'stdin' : input);
  // On a pipe, keep ffmpeg from holding samples back (live sources): every packet is flushed to
  // walloc as soon as it is made, and raw samples of a stated layout (the inputArgs) are not
  // probed; compressed input still needs its headers probed. (-fflags +nobuffer is not used: it
  // drops samples on a pipe.)
  const live = fromStream && opts.inputArgs ? ['-probesize', '32', '-analyzeduration', '0'] : [];
  // Two outputs: the samples (resampled by -ar) on stdout, and one frame at the input's own rate
  // on fd 3, whose WAV header gives the source rate as the decoder sees it (-ar hides it from the
  // first; ffmpeg's text description is not used, as the file's own metadata can forge lines in it).
  const pcm = ['-map', '0:a:0', '-map_metadata', '-1', '-vn'];
  // strict (-xerror): a decoding error (a FLAC cut short, a damaged frame) stops ffmpeg with a
  // failure; by default it logs it and exits 0 with the audio it could decode, and a partial encode
  // would pass for a whole one (the flac tool, too, fails on such files unless told to go on).
  const args = ['-hide_banner', '-nostdin', '-v', 'error', ...(opts.strict ? ['-xerror'] : []), ...live, ...(opts.inputArgs ?? []), '-i', fromStream ? 'pipe:0' : input,
    ...pcm, '-c:a', 'pcm_f32le', ...(opts.sampleRate ? ['-ar', String(opts.sampleRate)] : []), ...(fromStream ? ['-flush_packets', '1'] : []), '-f', 'wav', 'pipe:1',
    ...pcm, '-c:a', 'pcm_s16le', '-frames:a', '1', '-f', 'wav', 'pipe:3'];
  const child = spawn(ff.path, args, { stdio: [fromStream ? 'pipe' : 'ignore', 'pipe', 'pipe', 'pipe'], windowsHide: true });
  const stderr = new StderrTail();
  child.stderr!.on('data', (c: Buffer) => stderr.push(c));
  const nativeRate = readNativeRate(child.stdio[3] as Readable, source);
  const exited = new Promise<FfmpegExit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  let spawnError: Error | undefined;
  /** A failure of the input stream itself (e.g. a truncated WAV read by ./wav.ts) is the error to report. */
  let inputError: Error | undefined;
  child.on('error', (e) => { spawnError = e; });
  if (fromStream && child.stdin) {
    child.stdin.on('error', () => {}); // ffmpeg may stop reading first; its exit status decides
    input.on('error', (e) => { inputError ??= e; child.kill('SIGKILL'); });
    input.pipe(child.stdin);
  }
  let killed = false;
  const kill = () => {
    if (alive(child)) { killed = true; child.kill('SIGKILL'); }
    if (fromStream && child.stdin) input.unpipe(child.stdin);
  };
  /** ffmpeg's WAV output, once its header has come, and the sample frames handed on from it: a failure after some is a damaged input. */
  let wav: WavSource | undefined;
  let framesRead = 0;
  const failure = async (cause?: unknown) => {
    const exit = await exited;
    if (inputError) return inputError;
    if (spawnError) return ffmpegSpawnFailed(ff.path, spawnError, source);
    // After samples came, a decoder's own words ("decode_frame() failed") mean little to a person:
    // say what they imply.
    const context = framesRead && wav ? `after ${(framesRead / wav.info.sampleRate).toFixed(2)} s of audio from ${source}: it is damaged or cut short` : source;
    return ffmpegFailed(exit, stderr.text(), context, cause);
  };
  try {
    wav = await readWav(child.stdout!, { source });
  } catch (e) {
    // ffmpeg failed (and closed its output), or it runs on and its WAV was refused: it must not be
    // waited for then, as nobody reads what it still has to write.
    const exit = await Promise.race([exited, delay(1000)]);
    kill();
    child.stdout!.destroy();
    if ((exit && exit.code !== 0) || spawnError || inputError) throw await failure(e);
    throw e;
  }
  const w = wav;
  // The one-frame output is written with the first samples; the wait is bounded all the same.
  const sourceRate = await Promise.race([nativeRate, delay(5000)]);
  try {
    if (sourceRate === undefined) throw werr('WALLOC_ERR_FFMPEG_FAILED', { reason: `ffmpeg gave no sample rate for ${source}` });
    checkSourceRate(sourceRate, source);
  } catch (e) {
    kill();
    throw e;
  }
  async function* chunks(): AsyncGenerator<Float32Array[]> {
    let done = false;
    try {
      try {
        for await (const c of w.chunks(opts.chunkFrames)) {
          framesRead += c[0]!.length;
          yield c;
        }
      } catch (e) {
        const exit = await exited;
        if ((exit.code !== 0 && !killed) || inputError) throw await failure(e);
        // ffmpeg's CAF and MP4 readers seek for the samples: on a pipe they find none, and say nothing.
        if (fromStream && opts.seeksForSamples && isWallocError(e, 'WALLOC_ERR_AUDIO_EMPTY')) {
          throw werr('WALLOC_ERR_AUDIO_EMPTY', { source, hint: ' that ffmpeg could read from a pipe (CAF, and MP4 with its index at the end, need a file: give its path)' }, e);
        }
        throw e;
      }
      const exit = await exited;
      if ((exit.code !== 0 && !killed) || inputError) throw await failure();
      done = true;
    } finally {
      if (!done) kill();
    }
  }
  return { sampleRate: w.info.sampleRate, channels: w.info.channels, via: 'ffmpeg', sourceRate, chunks: chunks(), dispose: () => { kill(); child.stdout?.destroy(); } };
}

/**
 * The sample rate in the WAV header ffmpeg writes on fd 3 (one frame at the input's own rate),
 * as soon as it has arrived; undefined when that output ends without one (no audio, or ffmpeg
 * failed). The rest of the output is drained (ffmpeg keeps it open until it exits).
 */
function readNativeRate(fd3: Readable, source: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    let head: Buffer | undefined = Buffer.alloc(0);
    fd3.on('data', (c: Buffer) => {
      if (head === undefined) return;
      head = Buffer.concat([head, c]);
      let h;
      try {
        h = parseWavHeader(head, source);
      } catch {
        h = undefined; // a header cut in the middle of a chunk: wait for more
      }
      if (h || head.length > 65536) {
        head = undefined;
        resolve(h?.info.sampleRate);
      }
    });
    fd3.on('error', () => resolve(undefined)); // ffmpeg killed or failed: its exit status tells why
    fd3.on('close', () => resolve(undefined));
  });
}

const delay = (ms: number): Promise<undefined> => sleep(ms, undefined, { ref: false });

export interface OpenAudioOptions {
  /** Raw PCM layout (`--format --rate --channels`): the input is headerless samples. */
  raw?: RawPcmOptions;
  /** The rate the codec needs: other rates are resampled through ffmpeg. */
  sampleRate?: number;
  chunkFrames?: number;
}

/**
 * The lowest source rate taken (as the resample filter's). Below it, every input sample would turn
 * into dozens of 44.1 kHz samples: a 4 KB file at 1 Hz is hours of audio to encode.
 */
export const MIN_SOURCE_RATE = 1000;

/** The highest source rate taken: what a .wlc header may record and walloc-decode writes back. */
export const MAX_SOURCE_RATE = 768_000;

function checkSourceRate(rate: number, source: string): void {
  if (!(rate >= MIN_SOURCE_RATE && rate <= MAX_SOURCE_RATE)) {
    throw werr('WALLOC_ERR_AUDIO_FORMAT', { source, reason: `a sample rate of ${rate} Hz (walloc takes ${MIN_SOURCE_RATE} to ${MAX_SOURCE_RATE} Hz)` });
  }
}

/**
 * The audio of an opened input: WAV natively, raw PCM when a layout is given, anything else
 * through ffmpeg; resampled to `sampleRate` through ffmpeg when the rate differs.
 *
 * @example
 * const audio = await openAudio(await openInput('-', process.stdin), { sampleRate: 44100 });
 */
export async function openAudio(input: OpenedInput, opts: OpenAudioOptions = {}): Promise<AudioSource> {
  const source = input.label === '-' ? 'stdin' : input.label;
  const want = opts.sampleRate;
  if (opts.raw) {
    const format = parseSampleFormat(opts.raw.format, source);
    const layout = { format, sampleRate: opts.raw.sampleRate, channels: opts.raw.channels };
    checkSourceRate(layout.sampleRate, source);
    if (want !== undefined && want !== layout.sampleRate) {
      const a = await ffmpegAudio(input.stream, { sampleRate: want, source, chunkFrames: opts.chunkFrames, inputArgs: ['-f', format, '-ar', String(layout.sampleRate), '-ac', String(layout.channels)] });
      return { ...a, sourceRate: layout.sampleRate };
    }
    const stream = input.stream;
    return {
      sampleRate: layout.sampleRate, channels: layout.channels, via: 'pcm', sourceRate: layout.sampleRate,
      chunks: (async function* () {
        let n = 0;
        for await (const c of pcmChunks(stream, layout, { source, chunkFrames: opts.chunkFrames })) { n += c[0]!.length; yield c; }
        if (n === 0) throw werr('WALLOC_ERR_AUDIO_EMPTY', { source });
      })(),
    };
  }
  if (input.kind === 'wav') {
    let wav;
    try {
      wav = await readWav(input.stream, { source, totalBytes: input.size });
    } catch (e) {
      // WAV codings read natively are PCM and float; the others (µ-law, A-law, ADPCM, GSM …) are
      // ffmpeg's to decode, from a file it can open again. If it cannot either, the reason is ours.
      if ((e as { code?: string }).code !== 'WALLOC_ERR_AUDIO_FORMAT' || !input.seekable) throw e;
      input.stream.destroy();
      try {
        return await ffmpegAudio(input.label, { sampleRate: want, source, chunkFrames: opts.chunkFrames, strict: true });
      } catch {
        throw e;
      }
    }
    checkSourceRate(wav.info.sampleRate, source);
    if (want !== undefined && want !== wav.info.sampleRate) {
      // Resample through ffmpeg, but read the WAV here: its checks (truncation, empty data) hold
      // on this path too, and ffmpeg gets plain float samples.
      const samples = Readable.from((async function* () { for await (const c of wav.chunks(opts.chunkFrames)) yield encodePcm(c, 'f32le'); })(), { objectMode: false });
      const a = await ffmpegAudio(samples, { sampleRate: want, source, chunkFrames: opts.chunkFrames, inputArgs: ['-f', 'f32le', '-ar', String(wav.info.sampleRate), '-ac', String(wav.info.channels)] });
      return { ...a, sourceRate: wav.info.sampleRate };
    }
    return { sampleRate: wav.info.sampleRate, channels: wav.info.channels, frames: wav.info.frames, via: 'wav', sourceRate: wav.info.sampleRate, chunks: wav.chunks(opts.chunkFrames) };
  }
  // Anything else: ffmpeg, reading the file by path (so it can seek) or the pipe.
  const fromFile = input.seekable ?? input.label !== '-';
  if (fromFile) input.stream.destroy();
  const head = input.head ?? new Uint8Array(0);
  return ffmpegAudio(fromFile ? input.label : input.stream, { sampleRate: want, source, chunkFrames: opts.chunkFrames, strict: isFlacAudio(head), seeksForSamples: isSeekingContainer(head) });
}
