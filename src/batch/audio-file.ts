/**
 * One recording in, one complete .wlc file's bytes out (and back), for batches. The .wlc is the one
 * `walloc-encode FILE -o x.wlc` writes with the same model (same header fields: container,
 * sourceChannels, sourceRate, sampleRate, the `audioStream` plan; same chunked records; the same
 * trailer meta record), except the batch's source fields (`source` is the path relative to the
 * batch root, plus `sourceBytes` and `sourceSha256`), so walloc-decode and classify read batch
 * outputs like any other. Encoded outputs are small, so they are built in memory and written
 * atomically by the caller; decoded WAVs stream to their file.
 *
 * Nothing about where or when the file was encoded goes into the bytes: a resumed batch ends
 * byte-identical to an uninterrupted one.
 */
import { dirname } from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { Codec } from '../codec/codec.js';
import { AudioFileDecoder } from '../codec/audio-decode.js';
import { audioRecords, audioStreamHeader } from '../codec/audio-encode.js';
import { AudioStreamEncoder, planAudioStream } from '../codec/audio-stream.js';
import { inStreamOrder, readWlcSync, writeWlc, type WlcHeader, type WlcMeta } from '../container/index.js';
import { werr } from '../errors.js';
import type { Frame } from '../frame.js';
import { openAudio } from '../io/audio-source.js';
import { detectInput } from '../io/detect.js';
import type { OpenedInput } from '../io/input.js';
import { makeFolders } from '../io/atomic.js';
import { writeAtomically } from '../io/output.js';
import { openAudioSink } from '../io/wav.js';
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
    kind, label: path, stream: Readable.from([bytes], { objectMode: false }), seekable: true, size: bytes.length, head: bytes.subarray(0, 4096),
    readAll: async () => bytes,
  };
  const audio = await openAudio(input, { sampleRate: plan.sampleRate });
  // From here on, whatever fails must not leave ffmpeg running.
  try {
    if (audio.channels > 2) throw werr('WALLOC_ERR_AUDIO_CHANNELS', { source: rel, channels: audio.channels });
    const enc = new AudioStreamEncoder(codec, plan, { pack: {} });
    const items: Array<Frame | WlcMeta> = [];
    for await (const item of audioRecords(audio, enc, rel)) items.push(item);
    // Field order as walloc-encode writes it, with the batch's source fields in `source`'s place.
    const header = audioStreamHeader(codec, plan, audio, { source: fields.source, sourceBytes: fields.sourceBytes, sourceSha256: fields.sourceSha256 });
    return { wlc: writeWlc(header, items), header, seconds: enc.samples / plan.sampleRate };
  } finally {
    audio.dispose?.();
  }
}

/** The sink's stdout, never used for a file path (process.stdout would make a stdio proxy in a worker thread). */
const NO_STDOUT = new Writable({ write: (_c, _e, cb) => cb(new Error('a batch never writes to stdout')) });

/**
 * Decodes a complete audio .wlc file into a 16-bit WAV at `output`, at the source's rate (the
 * header's `sourceRate`; ffmpeg resamples from the codec's), mono when the source was mono: what
 * `walloc-decode x.wlc -o x.wav` writes, through the same decoder (chunked streams and the whole
 * clips graphs write). The WAV streams to a temporary file renamed into place when complete, so a
 * long recording never sits in memory.
 *
 * @throws WALLOC_ERR_CONTAINER_* for a damaged file, WALLOC_ERR_CONTAINER_MODEL for the wrong model
 * @example
 * const { seconds } = await decodeAudioFile(readFileSync('rec/a.wlc'), (name) => Codec.load(name), 'out/a.wav', { name: 'rec/a.wlc' });
 */
export async function decodeAudioFile(wlc: Uint8Array, codecFor: (model: string) => Codec, output: string, opts: { name?: string; fsync?: boolean } = {}): Promise<{ seconds: number; header: WlcHeader }> {
  const name = opts.name ?? 'input';
  const { header, frames, meta, terminated } = readWlcSync(wlc, { strict: true });
  if (!terminated) throw werr('WALLOC_ERR_CONTAINER_TRUNCATED', { at: name, reason: 'no end record' });
  if (typeof header.model !== 'string') throw werr('WALLOC_ERR_CONTAINER_HEADER', { reason: `${name}: the header names no model` });
  const codec = codecFor(header.model);
  codec.checkHeader(header);
  const dec = new AudioFileDecoder(codec, header);
  try {
    makeFolders(dirname(output));
    const sink = await openAudioSink(output, { sampleRate: dec.sampleRate, channels: dec.channels, outputRate: dec.sourceRate, stdout: NO_STDOUT, fsync: opts.fsync });
    await writeAtomically(sink, () => dec.decodeInto(inStreamOrder(frames, meta), sink, name));
    return { seconds: dec.samples / dec.sampleRate, header };
  } finally {
    dec.dispose();
  }
}
