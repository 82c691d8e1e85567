/**
 * Resampling in front of an audio sink, by ffmpeg: the codec works at 44.1 kHz, and a decode
 * written as WAV or raw PCM goes back to the rate the source had (48 kHz, 16 kHz …). ffmpeg only
 * converts float samples here; the sink still writes the file (its header, sizes, atomic rename,
 * the terminal check), so a resampled output behaves like any other.
 */
import type { AudioSink } from './audio-sink.js';
import { decodePcm, encodePcm } from './pcm.js';
import { spawnFfmpeg, writeToChild } from './ffmpeg.js';

/**
 * Wraps `inner` (which writes at `to` Hz) so that it takes planar float audio at `from` Hz.
 * Backpressure runs end to end: a slow `inner` pauses ffmpeg's output, which stops ffmpeg reading,
 * which makes `write` wait.
 *
 * @throws WALLOC_ERR_FFMPEG_NOT_FOUND without an ffmpeg; WALLOC_ERR_FFMPEG_FAILED if it fails
 * @example
 * const wav = await openAudioSink('out.wav', { sampleRate: 48000, channels: 2, stdout: process.stdout });
 * const sink = resampleInto(wav, { from: 44100, to: 48000, channels: 2 });
 * await sink.write([left, right]); await sink.commit();
 */
export function resampleInto(inner: AudioSink, o: { from: number; to: number; channels: number }): AudioSink {
  const ch = String(o.channels);
  const ff = spawnFfmpeg(['-f', 'f32le', '-ar', String(o.from), '-ac', ch, '-i', 'pipe:0', '-f', 'f32le', '-ar', String(o.to), '-ac', ch, 'pipe:1']);
  const child = ff.child;
  const fail = () => ff.failure(`resampling to ${o.to} Hz`);

  // ffmpeg's output, in order, into the sink; a partial sample frame waits for the next chunk.
  const frameBytes = 4 * o.channels;
  let carry: Buffer = Buffer.alloc(0);
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown;
  const out = child.stdout!;
  out.on('data', (c: Buffer) => {
    const bytes = carry.length ? Buffer.concat([carry, c]) : c;
    const whole = bytes.length - (bytes.length % frameBytes);
    carry = Buffer.from(bytes.subarray(whole));
    if (whole === 0) return;
    const planar = decodePcm(bytes.subarray(0, whole), 'f32le', o.channels);
    out.pause();
    chain = chain.then(() => inner.write(planar)).then(() => { out.resume(); }, (e) => {
      failure ??= e;
      ff.kill();
    });
  });
  const drained = new Promise<void>((resolve) => out.once('close', () => resolve()));

  return {
    kind: `${inner.kind} at ${o.to} Hz`,
    async write(planar) {
      if (failure) throw failure;
      if (child.stdin!.destroyed) throw await fail();
      await writeToChild(child.stdin!, encodePcm(planar, 'f32le'));
    },
    async commit() {
      child.stdin!.end();
      const code = await ff.exited;
      await drained;
      await chain;
      if (failure) throw failure;
      if (code !== 0) throw await fail();
      await inner.commit();
    },
    abort() {
      ff.kill();
      inner.abort();
    },
  };
}
