/**
 * Channel handling shared by every audio path (walloc-encode/-decode, batches): the codecs are
 * stereo, so mono comes in duplicated and goes out as the average, and more than two channels is
 * refused rather than guessed at.
 */
import { werr } from '../errors.js';
import type { Frame } from '../frame.js';
import type { AudioSink } from './audio-sink.js';

/**
 * Planar chunk → stereo (mono duplicated); more than two channels is a coded error.
 *
 * @throws WALLOC_ERR_AUDIO_CHANNELS
 * @example
 * toStereo([mono], 'talk.wav'); // [mono, mono]
 */
export function toStereo(chunk: Float32Array[], source: string): Float32Array[] {
  if (chunk.length === 2) return chunk;
  if (chunk.length === 1) return [chunk[0]!, chunk[0]!];
  throw werr('WALLOC_ERR_AUDIO_CHANNELS', { source, channels: chunk.length });
}

/**
 * Writes decoded stereo frames ([2, n], planar) to a sink, as the average of the two channels when
 * the source was mono. Resolves with the samples per channel written.
 *
 * @example
 * samples += await writeAudioFrames(await decoder.push(record), sink, header.sourceChannels === 1);
 */
export async function writeAudioFrames(frames: readonly Frame[], sink: AudioSink, mono: boolean): Promise<number> {
  let samples = 0;
  for (const f of frames) {
    const n = f.shape[1]!;
    samples += n;
    const d = f.data as Float32Array;
    const l = d.subarray(0, n);
    const r = d.subarray(n, 2 * n);
    if (mono) {
      const m = new Float32Array(n);
      for (let i = 0; i < n; i++) m[i] = 0.5 * (l[i]! + r[i]!);
      await sink.write([m]);
    } else {
      await sink.write([l, r]);
    }
  }
  return samples;
}
