/**
 * WAV in and out, streaming. The reader parses the RIFF header as bytes arrive (RIFF, RF64 and
 * BW64; PCM 8/16/24/32-bit integer, IEEE float 32/64, and WAVE_FORMAT_EXTENSIBLE of those) and then
 * hands the data chunk to {@link pcmChunks}, so a WAV of any length is read in bounded memory.
 *
 * Lengths on a pipe: a writer that cannot seek (ffmpeg to stdout) puts 0xFFFFFFFF (or 0) in the
 * RIFF and data sizes; both mean "until the end of the stream". A real size is trusted: fewer bytes
 * than announced is WALLOC_ERR_AUDIO_TRUNCATED — found before any sample is read when the input is
 * a file whose size is known, at the end otherwise (outputs are atomic, so nothing partial is left).
 *
 * The writer produces the canonical 44-byte header (format 1 for integers, 3 for float). When the
 * length is unknown up front (a stream) it writes 0xFFFFFFFF sizes, as ffmpeg does; a file output
 * is patched with {@link patchWavSizes} once complete.
 *
 * `wavefile` (DESIGN) reads whole buffers only; it stays the cross-check in the tests.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { isWallocError, werr } from '../errors.js';
import { bytesPerSample, pcmChunks, type SampleFormat } from './pcm.js';
import type { AudioSink } from './audio-sink.js';

/** What a WAV header says. */
export interface WavInfo {
  sampleRate: number;
  channels: number;
  format: SampleFormat;
  /** Bytes of sample data announced, or undefined when the writer did not know (a pipe). */
  dataBytes?: number;
  /** Sample frames announced (dataBytes / block align), when known. */
  frames?: number;
  container: 'RIFF' | 'RF64' | 'BW64';
}

/** Header bytes we are willing to skip before the data chunk (LIST/INFO, cue, bext…). */
export const MAX_WAV_HEADER_BYTES = 1 << 20;
const UNKNOWN32 = 0xffffffff;
/** Data sizes from here up, read from a pipe, are a recorder's "until I stop" (see readWav). */
const PIPE_PLACEHOLDER = 0x7f000000;

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

function sampleFormat(tag: number, bits: number, source: string): SampleFormat {
  if (tag === FORMAT_PCM) {
    if (bits === 8) return 'u8';
    if (bits === 16) return 's16le';
    if (bits === 24) return 's24le';
    if (bits === 32) return 's32le';
    throw werr('WALLOC_ERR_AUDIO_FORMAT', { source, reason: `${bits}-bit integer PCM (supported: 8, 16, 24, 32)` });
  }
  if (tag === FORMAT_FLOAT) {
    if (bits === 32) return 'f32le';
    if (bits === 64) return 'f64le';
    throw werr('WALLOC_ERR_AUDIO_FORMAT', { source, reason: `${bits}-bit float (supported: 32, 64)` });
  }
  const names: Record<number, string> = { 2: 'MS ADPCM', 6: 'A-law', 7: 'µ-law', 0x11: 'IMA ADPCM', 0x55: 'MP3', 0x50: 'MPEG' };
  throw werr('WALLOC_ERR_AUDIO_FORMAT', { source, reason: `WAV format tag 0x${tag.toString(16)}${names[tag] ? ` (${names[tag]})` : ''}; only PCM and IEEE float are read from a pipe; a file is decoded through ffmpeg (or convert with ffmpeg -c:a pcm_s16le)` });
}

/** The fmt chunk as written, before any check of its coding. */
interface RawFmt { tag: number; channels: number; rate: number; bits: number; align: number }

/**
 * Walks the RIFF chunks up to the data chunk, checking only the structure: undefined when more
 * bytes are needed. The coding is judged apart ({@link checkFmt}), so that a file whose samples
 * walloc does not read itself (µ-law, ADPCM: ffmpeg's) is still measured against its length.
 */
function walkWav(b: Uint8Array, source: string): { container: WavInfo['container']; fmt: RawFmt; dataOffset: number; dataBytes?: number } | undefined {
  const bad = (reason: string) => werr('WALLOC_ERR_AUDIO_FORMAT', { source, reason });
  if (b.length < 12) return undefined;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const tag4 = (o: number) => String.fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!);
  const container = tag4(0);
  if ((container !== 'RIFF' && container !== 'RF64' && container !== 'BW64') || tag4(8) !== 'WAVE') throw bad('not a WAV file (no RIFF/WAVE header)');
  let p = 12;
  let fmt: RawFmt | undefined;
  let ds64Data: number | undefined;
  for (;;) {
    if (p > MAX_WAV_HEADER_BYTES) throw bad(`no data chunk in the first ${MAX_WAV_HEADER_BYTES} bytes`);
    if (b.length < p + 8) return undefined;
    const id = tag4(p);
    const size = dv.getUint32(p + 4, true);
    if (id === 'data') {
      if (!fmt) throw bad('the data chunk comes before the fmt chunk');
      let dataBytes: number | undefined = size;
      if (container !== 'RIFF' && size === UNKNOWN32) dataBytes = ds64Data;
      if (dataBytes === UNKNOWN32 || dataBytes === 0) dataBytes = undefined; // unknown (pipe) — read to the end
      return { container, fmt, dataOffset: p + 8, dataBytes };
    }
    const body = p + 8;
    const padded = size + (size & 1);
    if (id === 'fmt ' || id === 'ds64') {
      if (size > 4096) throw bad(`${id.trim()} chunk of ${size} bytes`);
      if (b.length < body + size) return undefined;
      if (id === 'ds64') {
        if (size >= 16) ds64Data = dv.getUint32(body + 8, true) + dv.getUint32(body + 12, true) * 2 ** 32;
      } else {
        if (size < 16) throw bad(`fmt chunk of ${size} bytes (at least 16)`);
        let tag = dv.getUint16(body, true);
        if (tag === FORMAT_EXTENSIBLE) {
          if (size < 40) throw bad('WAVE_FORMAT_EXTENSIBLE fmt chunk shorter than 40 bytes');
          tag = dv.getUint16(body + 24, true); // first two bytes of the sub-format GUID
        }
        fmt = { tag, channels: dv.getUint16(body + 2, true), rate: dv.getUint32(body + 4, true), bits: dv.getUint16(body + 14, true), align: dv.getUint16(body + 12, true) };
      }
    } else if (size === UNKNOWN32) {
      throw bad(`chunk "${id}" of unknown length before the data`);
    }
    p = body + padded;
  }
}

/** The sample layout of a fmt chunk walloc reads itself (PCM and float), or WALLOC_ERR_AUDIO_FORMAT. */
function checkFmt(fmt: RawFmt, source: string): SampleFormat {
  const bad = (reason: string) => werr('WALLOC_ERR_AUDIO_FORMAT', { source, reason });
  if (fmt.channels < 1) throw bad('0 channels');
  if (fmt.rate < 1 || fmt.rate > 1_536_000) throw bad(`sample rate ${fmt.rate} Hz`);
  const format = sampleFormat(fmt.tag, fmt.bits, source);
  if (fmt.align !== fmt.channels * bytesPerSample(format)) throw bad(`block align ${fmt.align} does not match ${fmt.channels} channels of ${fmt.bits} bits`);
  return format;
}

/** Bytes of whole sample blocks in `dataBytes` (a trailing part block is not a sample). */
const wholeBlocks = (dataBytes: number, align: number): number => (align > 0 ? dataBytes - (dataBytes % align) : dataBytes);

/**
 * Parses a WAV header from the first bytes of a stream. Returns undefined when more bytes are
 * needed, else the info and the offset of the first sample byte.
 *
 * @example
 * const r = parseWavHeader(firstBytes, 'song.wav'); // { info: { sampleRate: 44100, channels: 2, format: 's16le', … }, dataOffset: 44 }
 */
export function parseWavHeader(b: Uint8Array, source = 'input'): { info: WavInfo; dataOffset: number } | undefined {
  const w = walkWav(b, source);
  return w && describe(w, source);
}

/** The info of a walked header whose coding walloc reads, or WALLOC_ERR_AUDIO_FORMAT. */
function describe(w: NonNullable<ReturnType<typeof walkWav>>, source: string): { info: WavInfo; dataOffset: number } {
  const info: WavInfo = { sampleRate: w.fmt.rate, channels: w.fmt.channels, format: checkFmt(w.fmt, source), container: w.container };
  if (w.dataBytes !== undefined) {
    info.dataBytes = wholeBlocks(w.dataBytes, w.fmt.align);
    info.frames = info.dataBytes / w.fmt.align;
  }
  return { info, dataOffset: w.dataOffset };
}

/** A WAV stream opened for reading: the header, then planar float chunks. */
export interface WavSource {
  info: WavInfo;
  /** The header bytes consumed (to hand the whole input to ffmpeg instead, e.g. to resample). */
  headerBytes: Buffer;
  /** Remaining raw bytes after the header (not yet read). Use either this or `chunks()`. */
  rest: AsyncIterable<Buffer>;
  /** Planar float chunks of the data chunk; throws WALLOC_ERR_AUDIO_TRUNCATED / _EMPTY at the end. */
  chunks(chunkFrames?: number): AsyncGenerator<Float32Array[]>;
}

export interface ReadWavOptions {
  source?: string;
  /** Bytes the whole input holds, when known (a file): a short file fails before any sample is read. */
  totalBytes?: number;
}

/**
 * Opens a WAV byte stream: reads just enough for the header, checks it, and returns the rest
 * as a lazy chunk generator.
 *
 * @example
 * const wav = await readWav(createReadStream('a.wav'), { source: 'a.wav' });
 * for await (const [l, r] of wav.chunks()) …
 */
export async function readWav(bytes: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, opts: ReadWavOptions = {}): Promise<WavSource> {
  const source = opts.source ?? 'input';
  const it = (async function* () { yield* bytes; })();
  let head = Buffer.alloc(0);
  let walked: ReturnType<typeof walkWav>;
  for (;;) {
    walked = walkWav(head, source);
    if (walked) break;
    const r = await it.next();
    if (r.done) {
      if (head.length === 0) throw werr('WALLOC_ERR_AUDIO_EMPTY', { source });
      throw werr('WALLOC_ERR_AUDIO_TRUNCATED', { source, reason: `the input ends inside the WAV header (${head.length} bytes)` });
    }
    head = Buffer.concat([head, Buffer.from(r.value)]);
  }
  // The length is checked before the coding: a short µ-law file (which openAudio would hand to
  // ffmpeg, which reads to the end without a word) is as truncated as a short PCM one.
  const { dataOffset } = walked;
  const announced = walked.dataBytes === undefined ? undefined : wholeBlocks(walked.dataBytes, walked.fmt.align);
  if (announced !== undefined && opts.totalBytes !== undefined && dataOffset + announced > opts.totalBytes) {
    throw werr('WALLOC_ERR_AUDIO_TRUNCATED', { source, reason: `the header announces ${announced} bytes of samples but the file holds only ${Math.max(0, opts.totalBytes - dataOffset)}` });
  }
  const { info } = describe(walked, source);
  if (info.dataBytes === 0) throw werr('WALLOC_ERR_AUDIO_EMPTY', { source });
  // On a pipe, recorders that cannot seek back write a placeholder near 2^31 as the data size
  // (arecord: 0x7ffffffe), not 0xFFFFFFFF: such a stream ends when the recording stops, which is
  // its real length, not a truncation. Files keep the strict check above.
  const placeholder = opts.totalBytes === undefined && info.dataBytes !== undefined && info.dataBytes >= PIPE_PLACEHOLDER;
  const first = head.subarray(dataOffset);
  let used = false;
  const rest = (async function* () {
    if (first.length) yield first;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    }
  })();
  return {
    info,
    headerBytes: head.subarray(0, dataOffset),
    rest,
    async *chunks(chunkFrames?: number) {
      if (used) throw werr('WALLOC_ERR_INTERNAL', { reason: 'WAV data read twice' });
      used = true;
      let frames = 0;
      for await (const c of pcmChunks(rest, info, { source, maxBytes: info.dataBytes, requireAll: info.dataBytes !== undefined && !placeholder, chunkFrames })) {
        frames += c[0]!.length;
        yield c;
      }
      if (frames === 0) throw werr('WALLOC_ERR_AUDIO_EMPTY', { source });
    },
  };
}

/** Output sample formats a WAV can hold here. */
export type WavSampleFormat = 's16le' | 's24le' | 's32le' | 'f32le';

/**
 * The canonical 44-byte WAV header. `dataBytes` undefined writes 0xFFFFFFFF sizes (length unknown,
 * as ffmpeg does on a pipe); sizes too large for RIFF are written the same way.
 *
 * @example
 * const h = wavHeader({ sampleRate: 44100, channels: 2, format: 's16le', dataBytes: 176400 });
 */
export function wavHeader(o: { sampleRate: number; channels: number; format: WavSampleFormat; dataBytes?: number }): Buffer {
  const bps = bytesPerSample(o.format);
  const h = Buffer.alloc(44);
  const known = o.dataBytes !== undefined && o.dataBytes + 36 <= UNKNOWN32;
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(known ? o.dataBytes! + 36 : UNKNOWN32, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(o.format === 'f32le' ? FORMAT_FLOAT : FORMAT_PCM, 20);
  h.writeUInt16LE(o.channels, 22);
  h.writeUInt32LE(o.sampleRate, 24);
  h.writeUInt32LE(o.sampleRate * o.channels * bps, 28);
  h.writeUInt16LE(o.channels * bps, 32);
  h.writeUInt16LE(bps * 8, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(known ? o.dataBytes! : UNKNOWN32, 40);
  return h;
}

/**
 * Writes the real sizes into a complete WAV file made with an unknown-length {@link wavHeader}
 * (left as 0xFFFFFFFF when they do not fit 32 bits).
 *
 * @example
 * patchWavSizes('/tmp/.out.wav.tmp', bytesOfSamples);
 */
export function patchWavSizes(path: string, dataBytes: number): void {
  if (dataBytes + 36 > UNKNOWN32) return;
  const fd = openSync(path, 'r+');
  try {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(dataBytes + 36, 0);
    writeSync(fd, b, 0, 4, 4);
    b.writeUInt32LE(dataBytes, 0);
    writeSync(fd, b, 0, 4, 40);
  } finally {
    closeSync(fd);
  }
}

export type { AudioSink } from './audio-sink.js';

export interface AudioSinkOptions {
  sampleRate: number;
  channels: number;
  /** Container by name: wav, or a raw sample format; default from the extension (wav on stdout). */
  format?: string;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  force?: boolean;
  /** Write at this rate (ffmpeg resamples from `sampleRate`; default: `sampleRate`). */
  outputRate?: number;
  /** Flush a WAV or raw file to disk before it is renamed into place (batches). */
  fsync?: boolean;
  /**
   * An ffmpeg output must be at exactly `outputRate` (an explicit --rate): fail if its encoder
   * cannot. Otherwise ffmpeg resamples towards it and the encoder takes its nearest rate (MP3 and
   * Opus have no 96 kHz).
   */
  exactRate?: boolean;
}

/**
 * Opens an audio output by name: `.wav` (16-bit unless `format` names a sample format), `.raw` /
 * `.pcm` (raw samples, s16le unless `format` says), `-` (WAV, or raw when `format` is a sample
 * format), any other extension through ffmpeg (`.flac`, `.ogg`, `.mp3`, `.opus` …). Files are
 * written atomically.
 *
 * @example
 * const sink = await openAudioSink('out.wav', { sampleRate: 44100, channels: 2, stdout: process.stdout });
 * await sink.write([left, right]); await sink.commit();
 */
export async function openAudioSink(path: string, o: AudioSinkOptions): Promise<AudioSink> {
  const { openOutput } = await import('./output.js');
  const ext = path === '-' ? '' : path.slice(path.lastIndexOf('.')).toLowerCase();
  const { SAMPLE_FORMATS, encodePcm } = await import('./pcm.js');
  const fmt = o.format;
  if (fmt !== undefined && fmt !== 'wav' && !(SAMPLE_FORMATS as readonly string[]).includes(fmt)) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--format for audio must be wav or a sample format (${SAMPLE_FORMATS.join(', ')}), got "${fmt}"` });
  }
  const isWav = ext === '.wav' || (path === '-' && (fmt === undefined || fmt === 'wav'));
  const isRaw = ext === '.raw' || ext === '.pcm' || (path === '-' && !isWav);
  if ((isWav || isRaw) && o.outputRate && o.outputRate !== o.sampleRate) {
    // The file is written at the output rate as usual; ffmpeg converts the samples in front of it.
    const { resampleInto } = await import('./resample.js');
    const inner = await openAudioSink(path, { ...o, sampleRate: o.outputRate, outputRate: undefined });
    try {
      return resampleInto(inner, { from: o.sampleRate, to: o.outputRate, channels: o.channels });
    } catch (e) {
      inner.abort();
      throw e;
    }
  }
  if (isWav || isRaw) {
    const sample = (fmt === undefined || fmt === 'wav' ? 's16le' : fmt) as SampleFormat;
    if (isWav && !['s16le', 's24le', 's32le', 'f32le'].includes(sample)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `a WAV output holds s16le, s24le, s32le or f32le, not ${sample}` });
    const out = openOutput(path, { stdout: o.stdout, force: o.force, fsync: o.fsync });
    // A pipe or device is written in place and cannot be seeked back to patch the WAV sizes.
    const special = path !== '-' && (await import('./atomic.js')).outputTarget(path).direct;
    const stream = out.stream as NodeJS.WritableStream & { path?: string };
    let bytes = 0;
    // A write error can come after write() returned true (a full disk, a file size limit): it is
    // kept, so the next write or the commit fails with it instead of waiting for a 'drain' that
    // never comes, or renaming a short file into place.
    let failed: Error | undefined;
    const onError = (e: Error) => { failed ??= e; };
    stream.on('error', onError);
    const writeError = (e: Error) => (isWallocError(e) ? e : werr('WALLOC_ERR_FILE_WRITE', { path: path === '-' ? 'stdout' : path, reason: (e as NodeJS.ErrnoException).code ?? e.message }, e));
    const put = (b: Buffer) => new Promise<void>((resolve, reject) => {
      if (failed) { reject(writeError(failed)); return; }
      if (stream.write(b)) { resolve(); return; }
      const done = () => {
        stream.off('drain', done); stream.off('error', done); stream.off('close', done);
        if (failed) reject(writeError(failed)); else resolve();
      };
      stream.on('drain', done); stream.on('error', done); stream.on('close', done);
    });
    if (isWav) await put(wavHeader({ sampleRate: o.sampleRate, channels: o.channels, format: sample as WavSampleFormat }));
    return {
      kind: `${isWav ? 'wav' : 'raw'} ${sample}`,
      async write(planar) {
        const b = encodePcm(planar, sample);
        bytes += b.length;
        await put(b);
      },
      async commit() {
        try {
          if (path !== '-') {
            const file = stream as unknown as NodeJS.WritableStream & { closed?: boolean; path: string };
            if (!failed) await new Promise<void>((resolve) => { file.end(() => resolve()); file.once('error', () => resolve()); });
            if (!file.closed) await new Promise<void>((resolve) => file.once('close', () => resolve()));
            if (failed) throw writeError(failed);
            if (isWav && !special) patchWavSizes(file.path, bytes);
          } else if (failed) {
            throw writeError(failed);
          }
          await out.commit();
        } finally {
          stream.off('error', onError);
        }
      },
      abort: () => {
        stream.off('error', onError);
        out.abort();
      },
    };
  }
  // Anything else: ffmpeg encodes f32le from a pipe into a temporary file that keeps the extension.
  const { renamedOutput } = await import('./atomic.js');
  const { spawnFfmpeg, writeToChild } = await import('./ffmpeg.js');
  const target = renamedOutput(path);
  const ff = spawnFfmpeg(['-f', 'f32le', '-ar', String(o.sampleRate), '-ac', String(o.channels), '-i', 'pipe:0',
    ...(o.outputRate && o.outputRate !== o.sampleRate ? (o.exactRate ? ['-ar', String(o.outputRate)] : ['-af', `aresample=${o.outputRate}`]) : []), '-y', target.tmp], { stdout: 'ignore' });
  const child = ff.child;
  const fail = () => ff.failure(`writing ${path}`);
  return {
    kind: `ffmpeg ${ext}`,
    async write(planar) {
      if (child.stdin!.destroyed) throw await fail();
      await writeToChild(child.stdin!, encodePcm(planar, 'f32le'));
    },
    async commit() {
      child.stdin!.end();
      const code = await ff.exited;
      if (code !== 0) { target.abort(); throw await fail(); }
      target.commit();
    },
    abort() {
      ff.kill();
      target.abort();
    },
  };
}
