/**
 * One recording in, one complete .wlc file's bytes out (and back), for batches. The .wlc is the one
 * `walloc-encode FILE -o x.wlc` writes with the same model (same header fields: container,
 * sourceChannels, sourceRate, sampleRate, the `audioStream` plan; same chunked records; the same
 * trailer meta record), except the batch's source fields (`source` is the path relative to the
 * batch root, plus `sourceBytes` and `sourceSha256`), so walloc-decode and classify read batch
 * outputs like any other. Outputs are small, so they are built in memory and written atomically
 * by the caller.
 *
 * Nothing about where or when the file was encoded goes into the bytes: a resumed batch ends
 * byte-identical to an uninterrupted one.
 */
import { Readable } from 'node:stream';
import type { Codec } from '../codec/codec.js';
import { AUDIO_STREAM_KEY, AudioStreamDecoder, AudioStreamEncoder, planAudioStream, planFromHeader, sourceRateOf } from '../codec/audio-stream.js';
import { inStreamOrder, isWlcMeta, readWlcSync, writeWlc, type WlcHeader, type WlcMeta } from '../container/index.js';
import { werr } from '../errors.js';
import type { Frame } from '../frame.js';
import { openAudio } from '../io/audio-source.js';
import { detectInput } from '../io/detect.js';
import type { OpenedInput } from '../io/input.js';
import { encodePcm } from '../io/pcm.js';
import { toStereo, writeAudioFrames } from '../io/audio-channels.js';
import { resampleInto } from '../io/resample.js';
import { wavHeader, type AudioSink } from '../io/wav.js';
import type { SourceFields } from './encode-file.js';

/** An encoded recording. */
export interface EncodedAudio {
  /** The complete .wlc file. */
  wlc: Buffer;
  header: WlcHeader;
  /** Length of the recording in seconds. */
  seconds: number;
}

/** Input kinds walloc-encode takes the audio path for with an audio model; the rest are not audio. */
const AUDIO_KINDS = new Set(['wav', 'audio', 'unknown']);

/**
 * Encodes one recording (its file bytes; `path` lets ffmpeg seek in formats it must read from a
 * file) with an audio codec. WAV is read from the bytes; other formats go through ffmpeg, which
 * is killed if anything fails.
 *
 * @throws WALLOC_ERR_UNSUPPORTED_INPUT (an image, a volume, a .wlc), WALLOC_ERR_FFMPEG_FAILED (not media),
 *   WALLOC_ERR_AUDIO_* (truncated, empty, too many channels)
 * @example
 * const { wlc } = await encodeAudioFile(readFileSync('rec/a.wav'), 'rec/a.wav', '/data/rec/a.wav', Codec.load('stereo-5x'), fields);
 */
export async function encodeAudioFile(bytes: Buffer, rel: string, path: string, codec: Codec, fields: SourceFields): Promise<EncodedAudio> {
  const kind = detectInput(bytes.subarray(0, 4096));
  if (!AUDIO_KINDS.has(kind)) {
    throw werr('WALLOC_ERR_UNSUPPORTED_INPUT', { path: rel, reason: `it is ${kind === 'wlc' ? 'already a .wlc stream' : `a ${kind} file`}, not audio; model ${codec.model.config.name} codes audio` });
  }
  const plan = planAudioStream(codec, {});
  // The input as walloc-encode opens it, but from the bytes already read (and hashed): the label
  // is the file's path, which ffmpeg reads by itself when the input is not a WAV.
  const input: OpenedInput = {
    kind, label: path, stream: Readable.from([bytes], { objectMode: false }), seekable: true,
    readAll: async () => bytes,
  };
  const audio = await openAudio(input, { sampleRate: plan.sampleRate, totalBytes: bytes.length });
  // From here on, whatever fails must not leave ffmpeg running.
  try {
    if (audio.channels > 2) throw werr('WALLOC_ERR_AUDIO_CHANNELS', { source: rel, channels: audio.channels });
    const enc = new AudioStreamEncoder(codec, plan, { pack: {} });
    const items: Array<Frame | WlcMeta> = [];
    for await (const chunk of audio.chunks) items.push(...await enc.push(toStereo(chunk, rel)));
    items.push(...await enc.end());
    items.push({ type: 'meta', data: enc.trailer() });
    // Field order as walloc-encode writes it, with the batch's source fields in `source`'s place.
    const header = codec.header({
      source: fields.source, sourceBytes: fields.sourceBytes, sourceSha256: fields.sourceSha256,
      container: audio.via, sourceChannels: audio.channels, sourceRate: audio.sourceRate ?? audio.sampleRate,
      sampleRate: plan.sampleRate, [AUDIO_STREAM_KEY]: plan,
    });
    return { wlc: writeWlc(header, items), header, seconds: enc.samples / plan.sampleRate };
  } finally {
    audio.dispose?.();
  }
}

/** An audio sink that keeps a 16-bit WAV in memory (sizes known at the end, written into the header). */
function memoryWav(sampleRate: number, channels: number): AudioSink & { bytes(): Buffer } {
  const parts: Buffer[] = [];
  let data = 0;
  let done: Buffer | undefined;
  return {
    kind: 'wav s16le',
    async write(planar) {
      const b = encodePcm(planar, 's16le');
      data += b.length;
      parts.push(b);
    },
    async commit() {
      done = Buffer.concat([wavHeader({ sampleRate, channels, format: 's16le', dataBytes: data }), ...parts]);
    },
    abort() {
      parts.length = 0;
    },
    bytes() {
      if (!done) throw werr('WALLOC_ERR_INTERNAL', { reason: 'WAV read before it was finished' });
      return done;
    },
  };
}

/**
 * Decodes a complete audio .wlc file into a 16-bit WAV at the source's rate (the header's
 * `sourceRate`; ffmpeg resamples from the codec's), mono when the source was mono: what
 * `walloc-decode x.wlc -o x.wav` writes.
 *
 * @throws WALLOC_ERR_CONTAINER_* for a damaged file, WALLOC_ERR_CONTAINER_MODEL for the wrong model
 * @example
 * const { wav } = await decodeAudioFile(readFileSync('rec/a.wlc'), (name) => Codec.load(name), 'rec/a.wlc');
 */
export async function decodeAudioFile(wlc: Uint8Array, codecFor: (model: string) => Codec, name = 'input'): Promise<{ wav: Buffer; seconds: number; header: WlcHeader }> {
  const { header, frames, meta, terminated } = readWlcSync(wlc, { strict: true });
  if (!terminated) throw werr('WALLOC_ERR_CONTAINER_TRUNCATED', { at: name, reason: 'no end record' });
  if (typeof header.model !== 'string') throw werr('WALLOC_ERR_CONTAINER_HEADER', { reason: `${name}: the header names no model` });
  const codec = codecFor(header.model);
  codec.checkHeader(header);
  const plan = planFromHeader(header as Record<string, unknown>);
  const dec = new AudioStreamDecoder(codec, plan);
  const mono = header.sourceChannels === 1;
  const channels = mono ? 1 : 2;
  const outRate = sourceRateOf(header as Record<string, unknown>, plan.sampleRate);
  const wav = memoryWav(outRate, channels);
  const sink = outRate !== plan.sampleRate ? resampleInto(wav, { from: plan.sampleRate, to: outRate, channels }) : wav;
  let samples = 0;
  const write = async (out: Frame[]) => { samples += await writeAudioFrames(out, sink, mono); };
  try {
    for (const item of inStreamOrder(frames, meta)) {
      if (isWlcMeta(item)) await dec.push(item);
      else await write(await dec.push(item));
    }
    await write(await dec.end());
    if (samples === 0) throw werr('WALLOC_ERR_CONTAINER_EMPTY', { path: name, reason: 'no audio decoded from the stream' });
    await sink.commit();
  } catch (e) {
    sink.abort();
    throw e;
  } finally {
    dec.dispose();
  }
  return { wav: wav.bytes(), seconds: samples / plan.sampleRate, header };
}
