/**
 * The audio paths of walloc-encode and walloc-decode (issue 5), kept beside those commands so
 * their image/video paths stay as they were:
 *
 * - encode: WAV (file or pipe, unknown length accepted), raw PCM (`--format --rate --channels`),
 *   or any media through ffmpeg → resampled to the model's rate when needed → mono duplicated,
 *   more than two channels refused → chunked streaming encode (src/codec/audio-stream.ts), one
 *   record per chunk as audio arrives, a trailer meta record with the true length.
 * - decode: records → audio as they arrive → WAV / raw PCM / ffmpeg by the output's extension.
 */
import { basename, extname } from 'node:path';
import { addAbortSignal } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Codec } from '../codec/codec.js';
import { AudioFileDecoder } from '../codec/audio-decode.js';
import { audioRecords, audioStreamHeader } from '../codec/audio-encode.js';
import { AudioStreamEncoder, planAudioStream } from '../codec/audio-stream.js';
import { WlcWriter, type WlcHeader, type WlcReader } from '../container/index.js';
import { werr } from '../errors.js';
import type { Frame } from '../frame.js';
import { MAX_SOURCE_RATE, MIN_SOURCE_RATE, openAudio } from '../io/audio-source.js';
import { SAMPLE_FORMATS } from '../io/pcm.js';
import type { OpenedInput } from '../io/input.js';
import { openOutput, writeAtomically } from '../io/output.js';
import { openAudioSink } from '../io/wav.js';
import { loadModel } from '../models/model-file.js';
import { AUDIO_EXTENSIONS } from '../train/audio-data.js';
import type { CommandIo } from './command.js';
import { defaultModel } from '../models/registry.js';
import { interruptSignal } from './run.js';
import { asksForVolume } from './volume.js';
import { intOption, numberOption } from './options.js';

/** True when the flags describe headerless PCM (`--format`, `--rate`, `--channels`). */
export const asksForRawPcm = (values: Record<string, unknown>): boolean =>
  values.format !== undefined || values.rate !== undefined || values.channels !== undefined;

/** True when walloc-encode should take the audio path for this input and these flags. */
export function isAudioRequest(input: OpenedInput, values: Record<string, unknown>): boolean {
  if (input.kind === 'wav') return true;
  // Volume flags or a codec of another kind win over a guess from the first bytes.
  if (input.kind === 'audio') return asksForVolume(values) ? false : typeof values.model !== 'string' || modelModality(values.model) === 'audio';
  if (asksForRawPcm(values) || values.latency !== undefined) return true;
  if (input.kind !== 'unknown') return false;
  if (typeof values.model === 'string') return modelModality(values.model) === 'audio';
  return input.label !== '-' && AUDIO_EXTENSIONS.has(extname(input.label).toLowerCase());
}

/** The modality of a codec model, or undefined when it does not load (its own command says why). */
function modelModality(model: string): string | undefined {
  try {
    return loadModel(model).config.modality;
  } catch {
    return undefined;
  }
}

export async function encodeAudioMain(values: Record<string, unknown>, input: OpenedInput, io: CommandIo): Promise<number> {
  const inPath = input.label;
  const raw = asksForRawPcm(values);
  if (raw && input.kind === 'wav') throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: 'the input is a WAV (it has a header); --format/--rate/--channels are for headerless PCM' });
  if (raw && (values.format === undefined || values.rate === undefined || values.channels === undefined)) {
    throw werr('WALLOC_ERR_MISSING_ARGUMENT', { what: 'each of --format, --rate and --channels (raw PCM input)', command: 'walloc-encode' });
  }
  if (raw && !(SAMPLE_FORMATS as readonly string[]).includes(String(values.format))) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--format must be one of ${SAMPLE_FORMATS.join(', ')}, got "${String(values.format)}"` });
  }
  const packFormat = values.pack as 'webp' | 'png' | undefined;
  const effort = intOption(values.effort, 'effort', 0, 6);
  const codec = Codec.load((values.model as string | undefined) ?? defaultModel('audio'), {});
  if (codec.model.config.modality !== 'audio') throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `model ${codec.model.config.name} is a ${codec.model.config.modality} codec; audio needs an audio model such as stereo-5x` });
  const latencyMs = values.latency === undefined ? undefined : numberOption(values.latency, 'latency', 1, 600_000);
  const plan = planAudioStream(codec, { latencyMs });
  const audio = await openAudio(input, {
    sampleRate: plan.sampleRate,
    ...(raw ? { raw: { format: String(values.format), sampleRate: numberOption(values.rate, 'rate', MIN_SOURCE_RATE, MAX_SOURCE_RATE, true), channels: numberOption(values.channels, 'channels', 1, 64, true) } } : {}),
  });
  // From here on, whatever fails must not leave ffmpeg (when it reads the input) running.
  try {
    const source = inPath === '-' ? 'stdin' : inPath;
    if (audio.channels > 2) throw werr('WALLOC_ERR_AUDIO_CHANNELS', { source, channels: audio.channels });
    const enc = new AudioStreamEncoder(codec, plan, { pack: { ...(packFormat ? { format: packFormat } : {}), ...(effort !== undefined ? { effort } : {}) } });
    const header = audioStreamHeader(codec, plan, audio, { source: inPath === '-' ? 'stdin' : basename(inPath) });
    const out = openOutput((values.output as string | undefined) ?? '-', { stdout: io.stdout, force: values.force === true });
    const { signal, release } = interruptSignal();
    const t0 = performance.now();
    const writer = new WlcWriter({ header });
    let bytes = 0;
    writer.on('data', (c: Buffer) => { bytes += c.length; });
    try {
      await writeAtomically(out, () => pipeline(audioRecords(audio, enc, source), writer, out.stream, { signal }));
    } finally {
      release();
      codec.dispose();
    }
    if (!values.quiet && out.label !== '-') {
      const s = (performance.now() - t0) / 1000;
      const seconds = enc.samples / plan.sampleRate;
      const kbps = (8 * bytes) / seconds / 1000;
      // Against the source as it came (its rate and channels, 16-bit): an 8 kHz mono recording is
      // not 44.1 kHz stereo, whatever the codec resampled it to.
      const rate = audio.sourceRate ?? plan.sampleRate;
      const ratio = (16 * audio.channels * rate * seconds) / (8 * bytes);
      const layout = `${rate === 44100 ? '44.1' : String(rate / 1000)} kHz ${audio.channels === 1 ? 'mono' : audio.channels === 2 ? 'stereo' : `${audio.channels}-channel`}`;
      io.stderr.write(`${out.label}: ${seconds.toFixed(2)} s of ${audio.channels === 1 ? 'mono' : 'stereo'} audio in ${enc.records} record${enc.records === 1 ? '' : 's'} → ${bytes} bytes (${kbps.toFixed(1)} kbps, ${ratio.toFixed(1)}:1 vs the source as 16-bit PCM, ${layout}) in ${s.toFixed(2)} s with ${codec.model.id}; algorithmic latency ${plan.latencyMs} ms (chunk ${plan.chunk} samples)\n`);
    } else if (values.latency !== undefined && !values.quiet) {
      io.stderr.write(`walloc-encode: algorithmic latency ${plan.latencyMs} ms (chunk ${plan.chunk} samples at ${plan.sampleRate} Hz)\n`);
    }
    return 0;
  } finally {
    audio.dispose?.();
  }
}

/** walloc-decode's audio output by its flags: -o's kind, --format, --force, and --rate (else `sourceRate`). */
function audioOutput(values: Record<string, unknown>, io: CommandIo, outPath: string, sampleRate: number, channels: number, sourceRate: number | undefined): ReturnType<typeof openAudioSink> {
  return openAudioSink(outPath, {
    sampleRate, channels, format: values.format as string | undefined, stdout: io.stdout, force: values.force === true,
    outputRate: values.rate !== undefined ? numberOption(values.rate, 'rate', MIN_SOURCE_RATE, MAX_SOURCE_RATE, true) : sourceRate,
    exactRate: values.rate !== undefined,
  });
}

/** walloc-decode's audio path: the header is read, the codec loaded and checked. */
export async function decodeAudioMain(values: Record<string, unknown>, header: WlcHeader, codec: Codec, reader: WlcReader, io: CommandIo, outPath: string, signal: AbortSignal): Promise<void> {
  const dec = new AudioFileDecoder(codec, header, { backend: values.backend as string | undefined, fillGaps: values['skip-corrupt'] === true });
  try {
    const sink = await audioOutput(values, io, outPath, dec.sampleRate, dec.channels, dec.sourceRate);
    // The reader hands meta records (the trailer) to an event, in their place among the frames.
    reader.on('meta', (data: unknown) => { void dec.push({ type: 'meta', data }, sink); });
    // Ctrl-C ends the read even while the input stalls (a pipe with nothing coming).
    addAbortSignal(signal, reader);
    await writeAtomically(sink, () => dec.decodeInto(reader as AsyncIterable<Frame>, sink, outPath, signal));
    const lost = dec.filledSamples;
    if (lost > 0 && values.quiet !== true) {
      io.stderr.write(`walloc-decode: ${lost} samples (${(lost / dec.sampleRate).toFixed(2)} s) of skipped records were filled with near silence; the audio after them keeps its place\n`);
    }
  } finally {
    dec.dispose();
  }
}

/**
 * walloc-decode of uncompressed audio frames (a filter graph's `save=file=x.wlc` after audio
 * filters, no codec): the samples go to the sink as they are, at the header's rate.
 */
export async function decodeRawAudioMain(values: Record<string, unknown>, header: WlcHeader, reader: WlcReader, io: CommandIo, outPath: string, signal: AbortSignal): Promise<void> {
  const rate = header.sampleRate;
  const channels = Array.isArray(header.shape) ? header.shape[0] : undefined;
  if (typeof rate !== 'number' || typeof channels !== 'number') throw werr('WALLOC_ERR_CONTAINER_HEADER', { reason: `${outPath}: an audio stream without a codec needs sampleRate and shape in its header` });
  const sink = await audioOutput(values, io, outPath, rate, channels, rate);
  addAbortSignal(signal, reader);
  await writeAtomically(sink, async () => {
    let frames = 0;
    for await (const f of reader as AsyncIterable<Frame>) {
      if (f.kind !== 'audio' || f.shape[0] !== channels) throw werr('WALLOC_ERR_FRAME_KIND', { stage: 'walloc-decode', expected: `audio frames of ${channels} channels`, actual: `${f.kind} ${f.shape.join('×')}` });
      const n = f.shape[1]!;
      const data = f.data as Float32Array;
      await sink.write(Array.from({ length: channels }, (_, c) => data.subarray(c * n, (c + 1) * n)));
      frames++;
    }
    if (frames === 0) throw werr('WALLOC_ERR_CONTAINER_EMPTY', { path: outPath, reason: 'the stream holds no frame' });
  });
}

