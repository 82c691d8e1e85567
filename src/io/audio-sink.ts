/**
 * The one interface every audio output implements (WAV / raw files and stdout, ffmpeg outputs,
 * the resampler in front of them, in-memory WAVs), in a module of its own so that writers and the
 * wrappers around them do not import each other.
 */

/** Where decoded audio goes: a WAV or raw PCM file or stdout, or any format ffmpeg writes. */
export interface AudioSink {
  /** Writes one planar chunk (resolves when the bytes are accepted: backpressure). */
  write(planar: readonly Float32Array[]): Promise<void>;
  /** Finishes and makes the output visible (rename into place, WAV sizes patched). */
  commit(): Promise<void>;
  /** Removes any partial output. */
  abort(): void;
  /** What is written, for messages: 'wav s16le', 'raw f32le', 'ffmpeg .flac'. */
  kind: string;
}
