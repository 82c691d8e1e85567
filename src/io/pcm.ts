/**
 * Raw PCM: interleaved little-endian samples ⇄ planar float32 in [-1, 1], and a byte stream cut
 * into planar chunks as it arrives (for `--format s16le|f32le --rate R --channels C` input, and as
 * the sample layer under the WAV reader and the ffmpeg audio source).
 *
 * Integer formats map full scale to ±1 the way ffmpeg's swresample does: s16 reads as x/32768 and
 * writes as round(x·32768) clamped to [−32768, 32767], so integer data round-trips through float
 * exactly (+1.0 writes as 32767).
 */
import { werr } from '../errors.js';

export type SampleFormat = 'u8' | 's16le' | 's24le' | 's32le' | 'f32le' | 'f64le';
export const SAMPLE_FORMATS: readonly SampleFormat[] = ['u8', 's16le', 's24le', 's32le', 'f32le', 'f64le'];

/** Bytes one sample of one channel takes. */
export function bytesPerSample(format: SampleFormat): number {
  switch (format) {
    case 'u8': return 1;
    case 's16le': return 2;
    case 's24le': return 3;
    case 's32le': case 'f32le': return 4;
    case 'f64le': return 8;
    default: throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `unknown sample format "${String(format)}" (known: ${SAMPLE_FORMATS.join(', ')})` });
  }
}

/** Checks a `--format` value. */
export function parseSampleFormat(v: string, source = 'input'): SampleFormat {
  if ((SAMPLE_FORMATS as readonly string[]).includes(v)) return v as SampleFormat;
  throw werr('WALLOC_ERR_AUDIO_FORMAT', { source, reason: `sample format "${v}" is not one of ${SAMPLE_FORMATS.join(', ')}` });
}

/**
 * Interleaved PCM bytes → one Float32Array per channel. `bytes.length` must be a whole number of
 * sample frames (channels × bytes per sample).
 *
 * @example
 * const [l, r] = decodePcm(Buffer.from([0, 0x40, 0, 0xc0]), 's16le', 2); // l[0] = 0.5, r[0] = -0.5
 */
export function decodePcm(bytes: Uint8Array, format: SampleFormat, channels: number): Float32Array[] {
  const bps = bytesPerSample(format);
  const frameBytes = bps * channels;
  if (bytes.length % frameBytes !== 0) throw werr('WALLOC_ERR_INTERNAL', { reason: `${bytes.length} bytes are not whole ${frameBytes}-byte sample frames` });
  const n = bytes.length / frameBytes;
  const out = Array.from({ length: channels }, () => new Float32Array(n));
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let c = 0; c < channels; c++) {
    const o = out[c]!;
    let p = c * bps;
    switch (format) {
      case 'u8': for (let i = 0; i < n; i++, p += frameBytes) o[i] = (bytes[p]! - 128) / 128; break;
      case 's16le': for (let i = 0; i < n; i++, p += frameBytes) o[i] = dv.getInt16(p, true) / 32768; break;
      case 's24le':
        for (let i = 0; i < n; i++, p += frameBytes) {
          const v = bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16);
          o[i] = ((v << 8) >> 8) / 8388608;
        }
        break;
      case 's32le': for (let i = 0; i < n; i++, p += frameBytes) o[i] = dv.getInt32(p, true) / 2147483648; break;
      case 'f32le': for (let i = 0; i < n; i++, p += frameBytes) o[i] = dv.getFloat32(p, true); break;
      case 'f64le': for (let i = 0; i < n; i++, p += frameBytes) o[i] = dv.getFloat64(p, true); break;
    }
  }
  return out;
}

/** round(x·scale) clamped to [−scale, scale − 1]; NaN is silence. */
const toInt = (x: number, scale: number): number => {
  if (x !== x) return 0;
  const v = Math.round(x * scale);
  return v >= scale ? scale - 1 : v < -scale ? -scale : v;
};

/**
 * Planar float channels → interleaved PCM bytes (integers clamped and rounded; floats as is).
 *
 * @example
 * encodePcm([new Float32Array([0.5]), new Float32Array([-0.5])], 's16le'); // <Buffer 00 40 00 c0>
 */
export function encodePcm(planar: readonly Float32Array[], format: SampleFormat, start = 0, end = planar[0]?.length ?? 0): Buffer {
  const bps = bytesPerSample(format);
  const channels = planar.length;
  const n = Math.max(0, end - start);
  const buf = Buffer.allocUnsafe(n * channels * bps);
  const frameBytes = bps * channels;
  for (let c = 0; c < channels; c++) {
    const src = planar[c]!;
    let p = c * bps;
    for (let i = start; i < start + n; i++, p += frameBytes) {
      const x = src[i]!;
      switch (format) {
        case 'u8': buf[p] = 128 + toInt(x, 128); break;
        case 's16le': buf.writeInt16LE(toInt(x, 32768), p); break;
        case 's24le': {
          const v = toInt(x, 8388608);
          buf[p] = v & 0xff; buf[p + 1] = (v >> 8) & 0xff; buf[p + 2] = (v >> 16) & 0xff;
          break;
        }
        case 's32le': buf.writeInt32LE(toInt(x, 2147483648), p); break;
        case 'f32le': buf.writeFloatLE(x, p); break;
        case 'f64le': buf.writeDoubleLE(x, p); break;
      }
    }
  }
  return buf;
}

/** A raw PCM stream's layout. */
export interface PcmLayout {
  format: SampleFormat;
  channels: number;
  sampleRate: number;
}

export interface PcmChunkOptions {
  /** Name for errors ("stdin", a path). */
  source?: string;
  /** Stop after this many bytes (a WAV data chunk of known size); undefined reads to the end. */
  maxBytes?: number;
  /** Fail with WALLOC_ERR_AUDIO_TRUNCATED if the stream ends before `maxBytes`. */
  requireAll?: boolean;
  /** Most sample frames per yielded chunk (default 16384). */
  chunkFrames?: number;
}

/**
 * Cuts a byte stream of interleaved PCM into planar float chunks as it arrives: memory is bounded
 * by one chunk, whatever the stream's length. A trailing partial sample frame is an error
 * (WALLOC_ERR_AUDIO_TRUNCATED): ffmpeg and WAV writers only ever write whole frames.
 *
 * @example
 * for await (const [l, r] of pcmChunks(process.stdin, { format: 's16le', channels: 2, sampleRate: 44100 })) use(l, r);
 */
export async function* pcmChunks(bytes: AsyncIterable<Uint8Array>, layout: PcmLayout, opts: PcmChunkOptions = {}): AsyncGenerator<Float32Array[]> {
  const source = opts.source ?? 'input';
  if (!Number.isInteger(layout.channels) || layout.channels < 1 || layout.channels > 64) {
    throw werr('WALLOC_ERR_AUDIO_FORMAT', { source, reason: `channel count ${layout.channels} is not 1 to 64` });
  }
  const frameBytes = bytesPerSample(layout.format) * layout.channels;
  const chunkBytes = (opts.chunkFrames ?? 16384) * frameBytes;
  let pending: Buffer = Buffer.alloc(0);
  let total = 0;
  const limit = opts.maxBytes ?? Infinity;
  // Float samples can be NaN or infinite, which no codec can code: say which sample, here.
  const isFloat = layout.format === 'f32le' || layout.format === 'f64le';
  let frames = 0;
  const checked = (planar: Float32Array[]): Float32Array[] => {
    if (isFloat) {
      for (const [c, ch] of planar.entries()) {
        for (let i = 0; i < ch.length; i++) {
          const v = ch[i]!;
          if (v - v !== 0) throw werr('WALLOC_ERR_AUDIO_FORMAT', { source, reason: `sample ${frames + i} of channel ${c + 1} is ${v} (float audio must be finite)` });
        }
      }
    }
    frames += planar[0]?.length ?? 0;
    return planar;
  };
  for await (const raw of bytes) {
    let b = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    if (total + b.length > limit) b = b.subarray(0, limit - total);
    total += b.length;
    pending = pending.length ? Buffer.concat([pending, b]) : b;
    while (pending.length >= chunkBytes) {
      yield checked(decodePcm(pending.subarray(0, chunkBytes), layout.format, layout.channels));
      pending = pending.subarray(chunkBytes);
    }
    if (total >= limit) break;
  }
  const whole = pending.length - (pending.length % frameBytes);
  if (whole > 0) yield checked(decodePcm(pending.subarray(0, whole), layout.format, layout.channels));
  if (opts.requireAll && total < limit) {
    throw werr('WALLOC_ERR_AUDIO_TRUNCATED', { source, reason: `the header announces ${limit} bytes of samples but the input ends after ${total}` });
  }
  if (pending.length !== whole) {
    throw werr('WALLOC_ERR_AUDIO_TRUNCATED', { source, reason: `the input ends inside a sample frame (${pending.length - whole} of ${frameBytes} bytes)` });
  }
}
