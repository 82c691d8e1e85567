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
import { werr } from '../errors.js';
import { ffmpegErrorLine, findFfmpeg } from './ffmpeg.js';
import type { OpenedInput } from './input.js';
import { encodePcm, pcmChunks, parseSampleFormat, type SampleFormat } from './pcm.js';
import { readWav } from './wav.js';

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
  // Level-tagged info: the input's own stream line ("Audio: flac, 8000 Hz, mono") gives the
  // source rate that -ar hides from the WAV ffmpeg writes; only [error] lines explain a failure.
  const args = ['-hide_banner', '-nostdin', '-nostats', '-v', 'level+info', ...live, ...(opts.inputArgs ?? []), '-i', fromStream ? 'pipe:0' : input,
    '-map', '0:a:0', '-map_metadata', '-1', '-vn', '-c:a', 'pcm_f32le', ...(opts.sampleRate ? ['-ar', String(opts.sampleRate)] : []), ...(fromStream ? ['-flush_packets', '1'] : []), '-f', 'wav', 'pipe:1'];
  const child = spawn(ff.path, args, { stdio: [fromStream ? 'pipe' : 'ignore', 'pipe', 'pipe'], windowsHide: true });
  let stderr = '';
  let described = '';
  let onDescribed: () => void = () => {};
  const inputDescribed = new Promise<void>((resolve) => { onDescribed = resolve; });
  child.stderr!.on('data', (c: Buffer) => {
    const text = c.toString('utf8');
    if (!INPUT_DUMP_END.test(described) && described.length < 65536) {
      described += text;
      if (INPUT_DUMP_END.test(described) || described.length >= 65536) onDescribed();
    }
    stderr = (stderr + text).slice(-16384);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => { onDescribed(); resolve({ code, signal }); }));
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
  const failure = async (cause?: unknown) => {
    const exit = await exited;
    if (inputError) return inputError;
    if (spawnError) return werr('WALLOC_ERR_FFMPEG_FAILED', { reason: `cannot run ${ff.path}: ${spawnError.message}` }, spawnError);
    const line = ffmpegErrorLine(errorLines(stderr));
    const status = exit.signal ? `killed by ${exit.signal}` : `exit status ${exit.code}`;
    return werr('WALLOC_ERR_FFMPEG_FAILED', { reason: `${line ? `${line} (${status})` : status}; ${source}`, exitCode: exit.code }, cause);
  };
  let wav;
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
  // ffmpeg describes its input before it writes a byte of output, so this waits for data already
  // in the pipe (or for the exit).
  await Promise.race([inputDescribed, delay(1000)]);
  const sourceRate = inputRateOf(described);
  if (sourceRate !== undefined && sourceRate < MIN_SOURCE_RATE) {
    kill();
    checkSourceRate(sourceRate, source);
  }
  async function* chunks(): AsyncGenerator<Float32Array[]> {
    let done = false;
    try {
      try {
        yield* w.chunks(opts.chunkFrames);
      } catch (e) {
        const exit = await exited;
        if ((exit.code !== 0 && !killed) || inputError) throw await failure(e);
        throw e;
      }
      const exit = await exited;
      if ((exit.code !== 0 && !killed) || inputError) throw await failure();
      done = true;
    } finally {
      if (!done) kill();
    }
  }
  return { sampleRate: w.info.sampleRate, channels: w.info.channels, via: 'ffmpeg', ...(sourceRate ? { sourceRate } : {}), chunks: chunks(), dispose: () => { kill(); child.stdout?.destroy(); } };
}

/** Where ffmpeg's description of its input ends (the output's, or the stream mapping, begins). */
const INPUT_DUMP_END = /^\[info\] (Stream mapping:|Output #0)/m;

/** The first audio stream's rate in ffmpeg's input description ("Stream #0:1(eng): Audio: aac, 48000 Hz, …"). */
function inputRateOf(described: string): number | undefined {
  const end = INPUT_DUMP_END.exec(described);
  const input = end ? described.slice(0, end.index) : described;
  const m = /^\[info\]\s+Stream #0:\d+[^:]*: Audio: [^\n]*?, (\d+) Hz/m.exec(input);
  return m ? Number(m[1]) : undefined;
}

/**
 * Only the lines ffmpeg logged as errors (its info and warnings are not the reason it failed),
 * untagged; all of stderr from an ffmpeg that does not tag its lines.
 */
function errorLines(stderr: string): string {
  const lines = stderr.split(/\r\n|\r|\n/);
  if (!lines.some((l) => /\[(info|warning|error|fatal|panic|verbose|debug)\] /.test(l))) return stderr;
  return lines.filter((l) => /\[(error|fatal|panic)\] /.test(l)).map((l) => l.replace(/\[(error|fatal|panic)\] /, '')).join('\n');
}

const delay = (ms: number): Promise<undefined> => sleep(ms, undefined, { ref: false });

export interface OpenAudioOptions {
  /** Raw PCM layout (`--format --rate --channels`): the input is headerless samples. */
  raw?: RawPcmOptions;
  /** The rate the codec needs: other rates are resampled through ffmpeg. */
  sampleRate?: number;
  chunkFrames?: number;
  /** Size of the input when it is a file (lets a short WAV fail before anything is encoded). */
  totalBytes?: number;
}

/**
 * The lowest source rate taken (as the resample filter's). Below it, every input sample would turn
 * into dozens of 44.1 kHz samples: a 4 KB file at 1 Hz is hours of audio to encode.
 */
export const MIN_SOURCE_RATE = 1000;

function checkSourceRate(rate: number, source: string): void {
  if (!(rate >= MIN_SOURCE_RATE)) throw werr('WALLOC_ERR_AUDIO_FORMAT', { source, reason: `a sample rate of ${rate} Hz (walloc takes ${MIN_SOURCE_RATE} Hz and up)` });
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
      wav = await readWav(input.stream, { source, totalBytes: opts.totalBytes });
    } catch (e) {
      // WAV codings read natively are PCM and float; the others (µ-law, A-law, ADPCM, GSM …) are
      // ffmpeg's to decode, from a file it can open again. If it cannot either, the reason is ours.
      if ((e as { code?: string }).code !== 'WALLOC_ERR_AUDIO_FORMAT' || !input.seekable) throw e;
      input.stream.destroy();
      try {
        return await ffmpegAudio(input.label, { sampleRate: want, source, chunkFrames: opts.chunkFrames });
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
  return ffmpegAudio(fromFile ? input.label : input.stream, { sampleRate: want, source, chunkFrames: opts.chunkFrames });
}
