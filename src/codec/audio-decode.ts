/**
 * Decoding an audio .wlc into an audio sink, shared by walloc-decode and `walloc batch --decode`:
 * the stream's records (chunked, as walloc-encode writes them, or whole clips, as graphs and the
 * API write them) become planar samples at the codec's rate, mono again when the source was mono,
 * written to a sink that the caller opens at `sampleRate` (and resamples to `sourceRate` if it
 * wants the source's rate back). Nothing is held beyond one record: hours of audio decode in the
 * memory of a few chunks.
 */
import type { WlcHeader, WlcMeta } from '../container/index.js';
import { werr } from '../errors.js';
import type { Frame } from '../frame.js';
import { writeAudioFrames } from '../io/audio-channels.js';
import type { AudioSink } from '../io/audio-sink.js';
import { AUDIO_STREAM_KEY, AudioStreamDecoder, modelSampleRate, planFromHeader, sourceRateOf, type AudioStreamPlan } from './audio-stream.js';
import type { Codec } from './codec.js';

/** What the decoder needs besides the codec. */
export interface AudioDecodeOptions {
  /** TensorFlow.js backend for the decoder net. */
  backend?: string;
  /** Fill records that were skipped as damaged with near silence, so later audio keeps its place. */
  fillGaps?: boolean;
}

/** One record at a time in, planar samples out. */
interface RecordDecoder {
  push(item: Frame | WlcMeta): Promise<Frame[]>;
  end(): Promise<Frame[]>;
  dispose(): void;
  gapColumns: number;
}

/** Records that are whole clips (a graph's or the API's audio .wlc): each decodes on its own. */
function clipDecoder(codec: Codec): RecordDecoder {
  return {
    gapColumns: 0,
    push: async (item) => ('kind' in item ? [await codec.decodeFrame(item)] : []),
    end: async () => [],
    dispose: () => {},
  };
}

/**
 * An audio .wlc's decoder: reads the header's layout, then turns its records, in stream order, into
 * samples written to a sink.
 *
 * @example
 * const dec = new AudioFileDecoder(codec, header);
 * const sink = await openAudioSink('x.wav', { sampleRate: dec.sampleRate, channels: dec.channels, stdout, outputRate: dec.sourceRate });
 * await writeAtomically(sink, () => dec.decodeInto(records, sink, 'x.wlc'));
 */
export class AudioFileDecoder {
  /** The rate the samples come out at (the codec's). */
  readonly sampleRate: number;
  /** The rate the source had (the header's `sourceRate`), to resample back to. */
  readonly sourceRate: number;
  /** 1 when the source was mono, else 2. */
  readonly channels: 1 | 2;
  /** The chunk layout, for a stream walloc-encode wrote; undefined for whole-clip records. */
  readonly plan: AudioStreamPlan | undefined;
  /** Samples written so far. */
  samples = 0;
  private readonly dec: RecordDecoder;

  constructor(codec: Codec, header: WlcHeader, opts: AudioDecodeOptions = {}) {
    const h = header as Record<string, unknown>;
    // A stream from walloc-encode carries its chunk layout; one written by a filter graph or the
    // API (save=x.wlc) does not: its records are whole clips, decoded one by one.
    this.plan = h[AUDIO_STREAM_KEY] !== undefined ? planFromHeader(h) : undefined;
    this.dec = this.plan ? new AudioStreamDecoder(codec, this.plan, { backend: opts.backend, fillGaps: opts.fillGaps }) : clipDecoder(codec);
    this.sampleRate = this.plan?.sampleRate ?? sourceRateOf(h, modelSampleRate(codec), 'sampleRate');
    this.sourceRate = sourceRateOf(h, this.sampleRate);
    this.channels = header.sourceChannels === 1 ? 1 : 2;
  }

  /** Samples that skipped records were filled with (0 without `fillGaps` or damage). */
  get filledSamples(): number {
    return this.plan ? this.dec.gapColumns * this.plan.hop : 0;
  }

  /**
   * Feeds one record (a frame or a meta record, in stream order) and writes what it completes.
   */
  async push(item: Frame | WlcMeta, sink: AudioSink): Promise<void> {
    const out = await this.dec.push(item);
    if (out.length) this.samples += await writeAudioFrames(out, sink, this.channels === 1);
  }

  /**
   * Writes the rest after the last record. A stream that decoded to nothing (empty, or every
   * record damaged and skipped) is an error, not a header-only file.
   *
   * @throws WALLOC_ERR_CONTAINER_EMPTY
   */
  async end(sink: AudioSink, name = 'input'): Promise<void> {
    this.samples += await writeAudioFrames(await this.dec.end(), sink, this.channels === 1);
    if (this.samples === 0) throw werr('WALLOC_ERR_CONTAINER_EMPTY', { path: name, reason: 'no audio decoded from the stream' });
  }

  /**
   * Decodes every record of `items` (frames and meta records in stream order) into `sink`; the
   * caller commits or aborts the sink.
   */
  async decodeInto(items: AsyncIterable<Frame | WlcMeta> | Iterable<Frame | WlcMeta>, sink: AudioSink, name = 'input', signal?: AbortSignal): Promise<void> {
    for await (const item of items) {
      if (signal?.aborted) throw signal.reason ?? new Error('interrupted');
      await this.push(item, sink);
    }
    await this.end(sink, name);
  }

  /** Frees the decoder net's tensors. */
  dispose(): void {
    this.dec.dispose();
  }
}
