/**
 * Encoding a recording into .wlc records, shared by walloc-encode and `walloc batch`: the header
 * fields that describe the source and the chunk layout, and the records themselves (chunked
 * frames, then the trailer meta record), so both write the same bytes for the same input.
 */
import type { WlcHeader, WlcMeta } from '../container/index.js';
import type { Frame } from '../frame.js';
import { toStereo } from '../io/audio-channels.js';
import type { AudioSource } from '../io/audio-source.js';
import { AUDIO_STREAM_KEY, type AudioStreamEncoder, type AudioStreamPlan } from './audio-stream.js';
import type { Codec } from './codec.js';

/**
 * The header of an audio stream: `source` fields first (walloc-encode: `source`; a batch: `source`,
 * `sourceBytes`, `sourceSha256`), then what the source was and how it is chunked.
 *
 * @example
 * const header = audioStreamHeader(codec, plan, audio, { source: 'talk.flac' });
 */
export function audioStreamHeader(codec: Codec, plan: AudioStreamPlan, audio: Pick<AudioSource, 'via' | 'channels' | 'sampleRate' | 'sourceRate'>, source: Record<string, unknown>): WlcHeader {
  return codec.header({
    ...source, container: audio.via, sourceChannels: audio.channels, sourceRate: audio.sourceRate ?? audio.sampleRate,
    sampleRate: plan.sampleRate, [AUDIO_STREAM_KEY]: plan,
  });
}

/**
 * The records of a recording, as they are made: each chunk (mono duplicated to stereo) through
 * the stream encoder, what it holds back at the end, then the trailer.
 *
 * @throws WALLOC_ERR_AUDIO_CHANNELS for more than two channels (from toStereo)
 * @example
 * for await (const item of audioRecords(audio, enc, 'talk.flac')) writer.write(item);
 */
export async function* audioRecords(audio: Pick<AudioSource, 'chunks'>, enc: AudioStreamEncoder, source: string): AsyncGenerator<Frame | WlcMeta> {
  for await (const chunk of audio.chunks) yield* await enc.push(toStereo(chunk, source));
  yield* await enc.end();
  yield { type: 'meta', data: enc.trailer() };
}
