/**
 * YUV4MPEG2 (y4m) in and out: the uncompressed stream `ffmpeg -f yuv4mpegpipe` writes and reads,
 * and so the way walloc exchanges video with ffmpeg over a pipe. It carries its frame size in a
 * one-line text header, unlike rawvideo, so nothing has to travel out of band.
 *
 * Layout: `YUV4MPEG2 W<w> H<h> [F<n>:<d>] [I<p|t|b|m|?>] [A<n>:<d>] [C<space>] [X<anything>]\n`, then
 * per frame `FRAME[ params]\n` followed by the planes Y, Cb, Cr (and alpha for 444alpha), 8 bits per
 * sample, row-major. Supported: C420jpeg, C420mpeg2, C420paldv, C420, C411, C422, C444, C444alpha,
 * Cmono; higher bit depths (C420p10, …) are refused with a hint to ask ffmpeg for 8 bits.
 *
 * Colour: BT.601 matrix, limited ("TV", 16–235) range unless the header carries `XCOLORRANGE=FULL`
 * (ffmpeg writes it for full-range yuvj sources) or the caller forces a range. BT.601 limited is
 * what ffmpeg's y4m output of ordinary video carries and what its own rgb24 conversion assumes when
 * a stream says nothing else. Cmono is the exception: ffmpeg's gray is full range (white is 255,
 * measured with its own gray→rgb24), so mono defaults to full range in both directions. Chroma siting follows the colour space (centred for 420jpeg, co-sited
 * left for 420mpeg2/422/411, top-left for 420paldv and 420); interlaced field siting is ignored,
 * an error far below what a learned codec at 16× notices.
 *
 * Memory: the parser holds one raw frame and a few rows of scratch, whatever the chunking.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { werr } from '../errors.js';
import { makeFrame, type ImageFrame } from '../frame.js';
import { FRAME_HIGH_WATER_MARK } from '../streams.js';
import { checkImageSize, resolveImageLimits, type ImageLimits } from './limits.js';

/** 8-bit colour spaces this module reads and writes (the y4m `C` tag without the `C`). */
export type Y4mColorspace = '420jpeg' | '420mpeg2' | '420paldv' | '420' | '411' | '422' | '444' | '444alpha' | 'mono';
export type ColorRange = 'limited' | 'full';
export type ChromaUpsampling = 'bilinear' | 'nearest';

/** A parsed stream header; JSON-serialisable, and carried in every frame's `meta.extra.y4m`. */
export interface Y4mHeader {
  width: number;
  height: number;
  /** Frame rate as a fraction [numerator, denominator]; 25:1 when the header has no F tag (as ffmpeg assumes). */
  fps: [number, number];
  /** Interlacing: p (progressive), t (top field first), b (bottom first), m (mixed), ? (unknown). */
  interlace: string;
  /** Pixel aspect ratio; [0, 0] when unknown. */
  aspect: [number, number];
  colorspace: Y4mColorspace;
  range: ColorRange;
  /** X tags verbatim, without the leading X (e.g. "YSCSS=420JPEG"). */
  x: string[];
}

const MAGIC = 'YUV4MPEG2 ';
const FRAME_MARKER = 'FRAME';
/** Header lines longer than this are garbage: ffmpeg's are under 100 bytes. */
const MAX_HEADER_LINE = 4096;
const MAX_FRAME_LINE = 1024;

interface Subsampling { sx: number; sy: number; planes: 1 | 3 | 4; cositedX: boolean; cositedY: boolean }

const LAYOUT: Readonly<Record<Y4mColorspace, Subsampling>> = {
  '420jpeg': { sx: 2, sy: 2, planes: 3, cositedX: false, cositedY: false },
  '420mpeg2': { sx: 2, sy: 2, planes: 3, cositedX: true, cositedY: false },
  // PAL-DV alternates Cb and Cr siting line by line; top-left co-siting is the usual approximation.
  '420paldv': { sx: 2, sy: 2, planes: 3, cositedX: true, cositedY: true },
  '420': { sx: 2, sy: 2, planes: 3, cositedX: true, cositedY: true },
  '411': { sx: 4, sy: 1, planes: 3, cositedX: true, cositedY: false },
  '422': { sx: 2, sy: 1, planes: 3, cositedX: true, cositedY: false },
  '444': { sx: 1, sy: 1, planes: 3, cositedX: false, cositedY: false },
  '444alpha': { sx: 1, sy: 1, planes: 4, cositedX: false, cositedY: false },
  mono: { sx: 1, sy: 1, planes: 1, cositedX: false, cositedY: false },
};

const isColorspace = (s: string): s is Y4mColorspace => Object.hasOwn(LAYOUT, s);

/** Byte sizes of one frame's planes. */
export interface Y4mPlanes {
  /** Chroma plane width and height (0 for mono). */
  chromaWidth: number;
  chromaHeight: number;
  /** Bytes of one frame's samples, without the FRAME line. */
  frameBytes: number;
}

/**
 * Plane sizes of a frame of the given header.
 *
 * @example
 * y4mPlanes({ width: 5, height: 3, colorspace: '420jpeg' }); // { chromaWidth: 3, chromaHeight: 2, frameBytes: 27 }
 */
export function y4mPlanes(h: Pick<Y4mHeader, 'width' | 'height' | 'colorspace'>): Y4mPlanes {
  const l = LAYOUT[h.colorspace];
  if (l.planes === 1) return { chromaWidth: 0, chromaHeight: 0, frameBytes: h.width * h.height };
  const chromaWidth = Math.ceil(h.width / l.sx);
  const chromaHeight = Math.ceil(h.height / l.sy);
  const luma = h.width * h.height;
  return { chromaWidth, chromaHeight, frameBytes: luma + 2 * chromaWidth * chromaHeight + (l.planes === 4 ? luma : 0) };
}

const bad = (source: string, reason: string, extra: Record<string, unknown> = {}) =>
  werr('WALLOC_ERR_UNSUPPORTED_INPUT', { path: source, reason, format: 'y4m', ...extra });

function ratio(value: string, tag: string, source: string): [number, number] {
  const m = /^(\d+):(\d+)$/.exec(value);
  if (!m) throw bad(source, `y4m header tag ${tag}${value} is not a ratio n:d`);
  return [Number(m[1]), Number(m[2])];
}

/**
 * Parses a y4m stream header line (with or without its trailing newline). Checks the size
 * against `limits` before anything is allocated for it.
 *
 * @example
 * parseY4mHeader('YUV4MPEG2 W64 H48 F5:1 Ip A1:1 C420jpeg XYSCSS=420JPEG');
 * // { width: 64, height: 48, fps: [5, 1], interlace: 'p', aspect: [1, 1], colorspace: '420jpeg', range: 'limited', x: ['YSCSS=420JPEG'] }
 */
export function parseY4mHeader(line: string, limits: ImageLimits = {}, source = 'y4m stream'): Y4mHeader {
  const text = line.endsWith('\n') ? line.slice(0, -1) : line;
  if (!text.startsWith(MAGIC)) throw bad(source, `not a YUV4MPEG2 stream (it starts with ${JSON.stringify(text.slice(0, 10))})`);
  const h: Y4mHeader = { width: 0, height: 0, fps: [25, 1], interlace: '?', aspect: [0, 0], colorspace: '420jpeg', range: 'limited', x: [] };
  let width: number | undefined;
  let height: number | undefined;
  let range: ColorRange | undefined;
  for (const token of text.slice(MAGIC.length).split(' ')) {
    if (token === '') continue;
    const tag = token[0]!;
    const value = token.slice(1);
    switch (tag) {
      case 'W': width = /^\d+$/.test(value) ? Number(value) : NaN; break;
      case 'H': height = /^\d+$/.test(value) ? Number(value) : NaN; break;
      case 'F': h.fps = ratio(value, tag, source); break;
      case 'A': h.aspect = ratio(value, tag, source); break;
      case 'I': h.interlace = value; break;
      case 'C': {
        if (!isColorspace(value)) {
          const deep = /p(9|1[0-6])$|16$/.test(value);
          throw bad(source, `y4m colour space C${value} is not supported${deep ? ' (more than 8 bits per sample)' : ''}; ` +
            'have ffmpeg write 8-bit video with -pix_fmt yuv444p or yuv420p');
        }
        h.colorspace = value;
        break;
      }
      case 'X':
        h.x.push(value);
        if (value === 'COLORRANGE=FULL') range = 'full';
        else if (value === 'COLORRANGE=LIMITED') range = 'limited';
        break;
      default: break; // The spec says readers ignore unknown tags.
    }
  }
  if (width === undefined || height === undefined) throw bad(source, 'y4m header lacks the W (width) or H (height) tag');
  checkImageSize(width, height, limits, source);
  h.width = width;
  h.height = height;
  // ffmpeg's gray is full range (it writes white as 255 and reads Cmono that way); colour is limited.
  h.range = range ?? (h.colorspace === 'mono' ? 'full' : 'limited');
  if (!(h.fps[0] > 0 && h.fps[1] > 0)) h.fps = [25, 1];
  return h;
}

/**
 * Formats a header line, newline included.
 *
 * @example
 * formatY4mHeader({ width: 64, height: 48, fps: [5, 1], interlace: 'p', aspect: [1, 1], colorspace: '444', range: 'limited', x: [] });
 * // 'YUV4MPEG2 W64 H48 F5:1 Ip A1:1 C444\n'
 */
export function formatY4mHeader(h: Y4mHeader): string {
  const parts = [`YUV4MPEG2 W${h.width} H${h.height} F${h.fps[0]}:${h.fps[1]} I${h.interlace} A${h.aspect[0]}:${h.aspect[1]} C${h.colorspace}`];
  for (const x of h.x) parts.push(`X${x}`);
  return `${parts.join(' ')}\n`;
}

// --- colour conversion ---------------------------------------------------------------------

/** BT.601 luma weights. */
const KR = 0.299;
const KB = 0.114;
const KG = 1 - KR - KB;

interface RangeScale { yOff: number; yScale: number; cScale: number }
/** Limited range spans 219 luma and 224 chroma codes; full range all 255. */
const RANGE: Readonly<Record<ColorRange, RangeScale>> = {
  limited: { yOff: 16, yScale: 219, cScale: 224 },
  full: { yOff: 0, yScale: 255, cScale: 255 },
};

/** Per-axis interpolation map: output index → two source indices and the weight of the second. */
interface AxisMap { i0: Int32Array; i1: Int32Array; w: Float32Array }

function axisMap(n: number, factor: number, srcN: number, cosited: boolean, mode: ChromaUpsampling): AxisMap {
  const i0 = new Int32Array(n);
  const i1 = new Int32Array(n);
  const w = new Float32Array(n);
  for (let x = 0; x < n; x++) {
    if (mode === 'nearest' || factor === 1) {
      i0[x] = i1[x] = Math.min(Math.floor(x / factor), srcN - 1);
      continue;
    }
    // Position of luma sample x on the chroma grid: chroma sample j sits at luma j·f (co-sited)
    // or at the centre of its f luma samples, (j + 0.5)·f − 0.5.
    const pos = Math.min(Math.max(cosited ? x / factor : (x + 0.5) / factor - 0.5, 0), srcN - 1);
    const a = Math.floor(pos);
    i0[x] = a;
    i1[x] = Math.min(a + 1, srcN - 1);
    w[x] = pos - a;
  }
  return { i0, i1, w };
}

export interface YuvToRgbOptions {
  /** Force a range, overriding the header (default: the header's, itself limited unless XCOLORRANGE=FULL). */
  range?: ColorRange;
  /** Chroma upsampling for subsampled colour spaces (default bilinear). */
  upsampling?: ChromaUpsampling;
}

/**
 * Converts 8-bit planar YUV frames of one fixed layout to planar RGB float frames. Maps and scratch
 * rows are built once per stream; the per-pixel loop allocates nothing.
 *
 * @example
 * const conv = new YuvToRgb(header);
 * const rgb = new Float32Array(3 * header.width * header.height);
 * conv.convert(rawFrameBytes, rgb); // values in [-0.5, 0.5]
 */
export class YuvToRgb {
  readonly #w: number;
  readonly #h: number;
  readonly #layout: Subsampling;
  readonly #cw: number;
  readonly #ch: number;
  readonly #cols: AxisMap;
  readonly #rows: AxisMap;
  readonly #uRow: Float32Array;
  readonly #vRow: Float32Array;
  /** (Y − yOff)·yScale' − 0.5 for each code: one table lookup per luma sample. */
  readonly #yTable = new Float32Array(256);
  readonly #crR: number;
  readonly #cbG: number;
  readonly #crG: number;
  readonly #cbB: number;

  constructor(header: Pick<Y4mHeader, 'width' | 'height' | 'colorspace' | 'range'>, options: YuvToRgbOptions = {}) {
    this.#w = header.width;
    this.#h = header.height;
    this.#layout = LAYOUT[header.colorspace];
    const planes = y4mPlanes(header);
    this.#cw = Math.max(planes.chromaWidth, 1);
    this.#ch = Math.max(planes.chromaHeight, 1);
    const mode = options.upsampling ?? 'bilinear';
    this.#cols = axisMap(this.#w, this.#layout.sx, this.#cw, this.#layout.cositedX, mode);
    this.#rows = axisMap(this.#h, this.#layout.sy, this.#ch, this.#layout.cositedY, mode);
    this.#uRow = new Float32Array(this.#cw);
    this.#vRow = new Float32Array(this.#cw);
    const r = RANGE[options.range ?? header.range];
    // Output is x/255 − 0.5 with x = 255·(Y − yOff)/yScale + …, so the 255s cancel.
    for (let y = 0; y < 256; y++) this.#yTable[y] = (y - r.yOff) / r.yScale - 0.5;
    this.#crR = (2 * (1 - KR)) / r.cScale;
    this.#cbB = (2 * (1 - KB)) / r.cScale;
    this.#cbG = (2 * (1 - KB) * KB) / KG / r.cScale;
    this.#crG = (2 * (1 - KR) * KR) / KG / r.cScale;
  }

  /** Converts one frame: `raw` holds the planes, `out` receives [3, H, W] floats clamped to [-0.5, 0.5]. */
  convert(raw: Uint8Array, out: Float32Array): void {
    const w = this.#w;
    const h = this.#h;
    const plane = w * h;
    const yT = this.#yTable;
    if (this.#layout.planes === 1) {
      for (let i = 0; i < plane; i++) {
        const v = Math.min(Math.max(yT[raw[i]!]!, -0.5), 0.5);
        out[i] = v;
        out[plane + i] = v;
        out[2 * plane + i] = v;
      }
      return;
    }
    const cw = this.#cw;
    const uBase = plane;
    const vBase = plane + cw * this.#ch;
    const { i0: c0, i1: c1, w: cwt } = this.#cols;
    const { i0: r0, i1: r1, w: rwt } = this.#rows;
    const uRow = this.#uRow;
    const vRow = this.#vRow;
    const crR = this.#crR;
    const cbG = this.#cbG;
    const crG = this.#crG;
    const cbB = this.#cbB;
    for (let y = 0; y < h; y++) {
      // Vertical interpolation into one chroma row (centred on 128), then horizontal per pixel.
      const a = uBase + r0[y]! * cw;
      const b = uBase + r1[y]! * cw;
      const va = vBase + r0[y]! * cw;
      const vb = vBase + r1[y]! * cw;
      const wy = rwt[y]!;
      for (let j = 0; j < cw; j++) {
        uRow[j] = raw[a + j]! + (raw[b + j]! - raw[a + j]!) * wy - 128;
        vRow[j] = raw[va + j]! + (raw[vb + j]! - raw[va + j]!) * wy - 128;
      }
      const rowStart = y * w;
      for (let x = 0; x < w; x++) {
        const j0 = c0[x]!;
        const j1 = c1[x]!;
        const wx = cwt[x]!;
        const u = uRow[j0]! + (uRow[j1]! - uRow[j0]!) * wx;
        const v = vRow[j0]! + (vRow[j1]! - vRow[j0]!) * wx;
        const i = rowStart + x;
        const l = yT[raw[i]!]!;
        out[i] = Math.min(Math.max(l + crR * v, -0.5), 0.5);
        out[plane + i] = Math.min(Math.max(l - cbG * u - crG * v, -0.5), 0.5);
        out[2 * plane + i] = Math.min(Math.max(l + cbB * u, -0.5), 0.5);
      }
    }
  }
}

/** Colour spaces {@link rgbToYuv} writes: box-averaged chroma is centred, hence 420jpeg. */
export type Y4mOutputColorspace = '420jpeg' | '444' | 'mono';

/**
 * Converts a planar RGB (or grey) float frame to 8-bit planar YUV in `out` (which must hold
 * {@link y4mPlanes}(…).frameBytes bytes). 4:2:0 chroma is the mean over each 2×2 block (1 or 2
 * pixels at odd edges), computed from the block's mean RGB — the same thing, as the matrix is linear.
 * Samples are rounded half to even and clamped by the Uint8ClampedArray view.
 *
 * @example
 * const out = new Uint8Array(y4mPlanes({ width: 4, height: 2, colorspace: '444' }).frameBytes);
 * rgbToYuv(frame.data, 3, 4, 2, '444', 'limited', out);
 */
export function rgbToYuv(src: Float32Array, channels: 1 | 3, width: number, height: number, colorspace: Y4mOutputColorspace, range: ColorRange, out: Uint8Array): void {
  const dst = new Uint8ClampedArray(out.buffer, out.byteOffset, out.byteLength);
  const plane = width * height;
  const { yOff, yScale, cScale } = RANGE[range];
  const g = channels === 3 ? plane : 0;
  const b = channels === 3 ? 2 * plane : 0;
  // Inputs are clamped to [0, 1] first so out-of-range floats do not leak into chroma; NaN → 0.
  const clamp01 = (v: number) => (v > -0.5 ? (v < 0.5 ? v + 0.5 : 1) : 0);
  for (let i = 0; i < plane; i++) {
    dst[i] = yOff + yScale * (KR * clamp01(src[i]!) + KG * clamp01(src[g + i]!) + KB * clamp01(src[b + i]!));
  }
  if (colorspace === 'mono') return;
  const cbK = cScale / (2 * (1 - KB));
  const crK = cScale / (2 * (1 - KR));
  if (colorspace === '444') {
    for (let i = 0; i < plane; i++) {
      const r = clamp01(src[i]!);
      const gg = clamp01(src[g + i]!);
      const bb = clamp01(src[b + i]!);
      const l = KR * r + KG * gg + KB * bb;
      dst[plane + i] = 128 + cbK * (bb - l);
      dst[2 * plane + i] = 128 + crK * (r - l);
    }
    return;
  }
  const cw = Math.ceil(width / 2);
  const ch = Math.ceil(height / 2);
  const uBase = plane;
  const vBase = plane + cw * ch;
  for (let cy = 0; cy < ch; cy++) {
    const y0 = 2 * cy;
    const y1 = Math.min(y0 + 1, height - 1);
    for (let cx = 0; cx < cw; cx++) {
      const x0 = 2 * cx;
      const x1 = Math.min(x0 + 1, width - 1);
      // Duplicate the edge pixel at odd sizes: the mean then equals the mean of the real ones.
      const p00 = y0 * width + x0;
      const p01 = y0 * width + x1;
      const p10 = y1 * width + x0;
      const p11 = y1 * width + x1;
      const r = (clamp01(src[p00]!) + clamp01(src[p01]!) + clamp01(src[p10]!) + clamp01(src[p11]!)) * 0.25;
      const gg = (clamp01(src[g + p00]!) + clamp01(src[g + p01]!) + clamp01(src[g + p10]!) + clamp01(src[g + p11]!)) * 0.25;
      const bb = (clamp01(src[b + p00]!) + clamp01(src[b + p01]!) + clamp01(src[b + p10]!) + clamp01(src[b + p11]!)) * 0.25;
      const l = KR * r + KG * gg + KB * bb;
      dst[uBase + cy * cw + cx] = 128 + cbK * (bb - l);
      dst[vBase + cy * cw + cx] = 128 + crK * (r - l);
    }
  }
}

// --- parser --------------------------------------------------------------------------------

export interface Y4mParserOptions extends YuvToRgbOptions {
  /** Size limits checked against the header before the frame buffer is allocated. */
  limits?: ImageLimits;
  /** Names the input in error messages (a path, "stdin"); default "y4m stream". */
  source?: string;
  /** Accept a completely empty input as a stream of zero frames (default false: it is an error). */
  allowEmpty?: boolean;
}

const NL = 0x0a;

/**
 * The y4m state machine without streams: feed it byte chunks of any size, get frames back.
 * {@link Y4mParser} wraps it as a Transform; {@link readY4m} runs it over one buffer.
 *
 * @example
 * const dec = new Y4mDecoder({ source: 'clip.y4m' });
 * const frames = [...dec.write(chunk1), ...dec.write(chunk2)];
 * dec.end(); // throws if the stream stopped inside a frame
 */
export class Y4mDecoder {
  readonly #opts: Y4mParserOptions;
  readonly #source: string;
  #state: 'header' | 'frameHeader' | 'data' = 'header';
  #line = new Uint8Array(256);
  #lineLen = 0;
  #header: Y4mHeader | undefined;
  #raw = new Uint8Array(0);
  #rawLen = 0;
  #conv: YuvToRgb | undefined;
  #index = 0;
  #seen = 0;

  constructor(options: Y4mParserOptions = {}) {
    this.#opts = { ...options, limits: resolveImageLimits(options.limits) };
    this.#source = options.source ?? 'y4m stream';
  }

  /** The stream header, once it has been read. */
  get header(): Y4mHeader | undefined { return this.#header; }
  /** Frames emitted so far. */
  get frames(): number { return this.#index; }

  /** Consumes a chunk; returns the frames it completed (often none or one). */
  write(chunk: Uint8Array): ImageFrame[] {
    const frames: ImageFrame[] = [];
    this.#seen += chunk.length;
    let pos = 0;
    while (pos < chunk.length) {
      if (this.#state === 'data') {
        const take = Math.min(chunk.length - pos, this.#raw.length - this.#rawLen);
        this.#raw.set(chunk.subarray(pos, pos + take), this.#rawLen);
        this.#rawLen += take;
        pos += take;
        if (this.#rawLen === this.#raw.length) {
          frames.push(this.#emit());
          this.#state = 'frameHeader';
          this.#rawLen = 0;
        }
        continue;
      }
      pos = this.#readLine(chunk, pos);
    }
    return frames;
  }

  /** Declares the end of input: fine between frames, an error inside one or before any header. */
  end(): void {
    if (this.#state === 'header') {
      if (this.#seen === 0 && this.#opts.allowEmpty) return;
      throw bad(this.#source, this.#seen === 0 ? 'the y4m input is empty' : 'the y4m stream ends inside its header');
    }
    if (this.#state === 'data' || this.#lineLen > 0) {
      const got = this.#state === 'data' ? this.#rawLen : 0;
      throw bad(this.#source, `truncated: the stream ends inside frame ${this.#index} (${got} of ${this.#raw.length} bytes)`, { frame: this.#index });
    }
  }

  /** Accumulates a header or FRAME line; returns the new position in `chunk`. */
  #readLine(chunk: Uint8Array, pos: number): number {
    const max = this.#state === 'header' ? MAX_HEADER_LINE : MAX_FRAME_LINE;
    const nl = chunk.indexOf(NL, pos);
    const end = nl < 0 ? chunk.length : nl;
    const need = this.#lineLen + (end - pos);
    if (need > max) {
      throw this.#state === 'header'
        ? bad(this.#source, `y4m header line longer than ${max} bytes`)
        : bad(this.#source, `frame ${this.#index}: FRAME line longer than ${max} bytes`, { frame: this.#index });
    }
    if (need > this.#line.length) {
      const bigger = new Uint8Array(Math.min(max, Math.max(need, this.#line.length * 2)));
      bigger.set(this.#line.subarray(0, this.#lineLen));
      this.#line = bigger;
    }
    this.#line.set(chunk.subarray(pos, end), this.#lineLen);
    this.#lineLen = need;
    this.#checkPrefix();
    if (nl < 0) return chunk.length;
    const text = Buffer.from(this.#line.buffer, 0, this.#lineLen).toString('latin1');
    this.#lineLen = 0;
    if (this.#state === 'header') this.#startStream(text);
    else this.#state = 'data';
    return nl + 1;
  }

  /** Fails fast on garbage: the magic or the FRAME marker is checked as soon as its bytes arrive. */
  #checkPrefix(): void {
    const expect = this.#state === 'header' ? MAGIC : FRAME_MARKER;
    const n = Math.min(this.#lineLen, expect.length + (this.#state === 'header' ? 0 : 1));
    for (let i = 0; i < n; i++) {
      const c = this.#line[i]!;
      const ok = i < expect.length ? c === expect.charCodeAt(i) : c === 0x20 || c === NL;
      if (ok) continue;
      const found = JSON.stringify(Buffer.from(this.#line.buffer, 0, Math.min(this.#lineLen, 12)).toString('latin1'));
      if (this.#state === 'header') throw bad(this.#source, `not a YUV4MPEG2 stream (it starts with ${found})`);
      throw bad(this.#source, `frame ${this.#index}: expected a FRAME marker, found ${found}`, { frame: this.#index });
    }
  }

  #startStream(text: string): void {
    const h = parseY4mHeader(text, this.#opts.limits, this.#source);
    if (this.#opts.range) h.range = this.#opts.range;
    this.#header = h;
    this.#raw = new Uint8Array(y4mPlanes(h).frameBytes);
    this.#conv = new YuvToRgb(h, this.#opts);
    this.#state = 'frameHeader';
  }

  #emit(): ImageFrame {
    const h = this.#header!;
    const out = new Float32Array(3 * h.width * h.height);
    this.#conv!.convert(this.#raw, out);
    const pts = this.#index++;
    return makeFrame('image', [3, h.height, h.width], out, { pts, extra: { fps: h.fps[0] / h.fps[1], y4m: h } });
  }
}

/**
 * A Transform from y4m bytes (any chunking) to image frames [3, H, W]. Frame meta: `pts` is the
 * frame index; `extra.fps` the rate as a number; `extra.y4m` the stream header, so a decoder can
 * write the same rate, interlacing and aspect back.
 *
 * @example
 * await pipeline(createReadStream('clip.y4m'), new Y4mParser({ limits: { maxPixels: 8_294_400 } }), encoder, sink);
 */
export class Y4mParser extends Transform {
  readonly #dec: Y4mDecoder;

  constructor(options: Y4mParserOptions = {}) {
    super({ readableObjectMode: true, readableHighWaterMark: FRAME_HIGH_WATER_MARK });
    this.#dec = new Y4mDecoder(options);
  }

  /** The stream header, once read. */
  get header(): Y4mHeader | undefined { return this.#dec.header; }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      for (const f of this.#dec.write(chunk)) this.push(f);
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.#dec.end();
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }
}

/**
 * Decodes a whole y4m stream held in memory.
 *
 * @example
 * const frames = readY4m(await readFile('fixtures/video/chelsea_pan_96x64.y4m'));
 */
export function readY4m(bytes: Uint8Array, options: Y4mParserOptions = {}): ImageFrame[] {
  const dec = new Y4mDecoder(options);
  const frames = dec.write(bytes);
  dec.end();
  return frames;
}

// --- writer --------------------------------------------------------------------------------

export interface Y4mWriterOptions {
  /** 4:2:0 (default; what every player takes) or 4:4:4 (no chroma loss). Grey frames default to mono. */
  chroma?: '420' | '444' | 'mono';
  /** Range of the samples written (default limited, as BT.601 video; full for mono, as ffmpeg's gray). */
  range?: ColorRange;
  /** Frame rate [n, d]; default: the first frame's meta.extra.y4m.fps, else 25:1. */
  fps?: [number, number];
}

/** The header a writer will use for a stream whose first frame is `frame`. */
function writerHeader(frame: ImageFrame, options: Y4mWriterOptions): Y4mHeader {
  const [c, height, width] = frame.shape as [number, number, number];
  const src = (frame.meta.extra?.y4m ?? undefined) as Partial<Y4mHeader> | undefined;
  const chroma = options.chroma ?? (c === 1 ? 'mono' : '420');
  const colorspace: Y4mOutputColorspace = chroma === '420' ? '420jpeg' : chroma;
  const range = options.range ?? (colorspace === 'mono' ? 'full' : 'limited');
  const fps = options.fps ?? (Array.isArray(src?.fps) ? src.fps : [25, 1]);
  if (!(Number.isSafeInteger(fps[0]) && Number.isSafeInteger(fps[1]) && fps[0] > 0 && fps[1] > 0)) {
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `y4m frame rate must be two positive integers, got ${fps.join(':')}` });
  }
  return {
    width, height, fps: [fps[0], fps[1]],
    interlace: typeof src?.interlace === 'string' && /^[ptbm?]$/.test(src.interlace) ? src.interlace : 'p',
    aspect: Array.isArray(src?.aspect) ? [src.aspect[0]!, src.aspect[1]!] : [1, 1],
    colorspace,
    range,
    // ffmpeg writes the same YSCSS tag for its own 4:2:0 and 4:4:4 output; COLORRANGE is read by ffmpeg ≥ 4.4.
    x: [...(colorspace === '420jpeg' ? ['YSCSS=420JPEG'] : colorspace === '444' ? ['YSCSS=444'] : []), `COLORRANGE=${range.toUpperCase()}`],
  };
}

const FRAME_LINE = Buffer.from('FRAME\n', 'latin1');

/**
 * Encodes frames as y4m: one Buffer per call, the header glued to the first frame. The size is
 * fixed by the first frame; a later frame of another size is an error (y4m cannot change size).
 *
 * @example
 * const enc = new Y4mEncoder({ chroma: '444' });
 * const bytes = Buffer.concat(frames.map((f) => enc.encode(f)));
 */
export class Y4mEncoder {
  readonly #opts: Y4mWriterOptions;
  #header: Y4mHeader | undefined;
  #frameBytes = 0;

  /** Frames encoded so far. */
  #count = 0;

  constructor(options: Y4mWriterOptions = {}) {
    this.#opts = options;
  }

  get header(): Y4mHeader | undefined { return this.#header; }

  encode(frame: ImageFrame): Buffer {
    const s = frame.shape;
    if (frame.kind !== 'image' || s.length !== 3 || (s[0] !== 1 && s[0] !== 3)) {
      throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `y4m takes image frames [1 or 3, H, W], got ${frame.kind} [${s.join(', ')}]` });
    }
    let prefix: Buffer | undefined;
    if (this.#header === undefined) {
      this.#header = writerHeader(frame, this.#opts);
      this.#frameBytes = y4mPlanes(this.#header).frameBytes;
      prefix = Buffer.from(formatY4mHeader(this.#header), 'latin1');
    } else if (s[1] !== this.#header.height || s[2] !== this.#header.width) {
      // Counted here, not by pts: an archive's entries all have pts 0.
      throw werr('WALLOC_ERR_FRAME_SHAPE', { reason: `y4m streams have one size: frame ${this.#count + 1} is ${s[2]}×${s[1]}, the first ${this.#header.width}×${this.#header.height}; frames of several sizes go to numbered images (-o f-%04d.png)` });
    }
    this.#count++;
    const h = this.#header;
    const lead = (prefix?.length ?? 0) + FRAME_LINE.length;
    const out = Buffer.allocUnsafe(lead + this.#frameBytes);
    if (prefix) prefix.copy(out, 0);
    FRAME_LINE.copy(out, lead - FRAME_LINE.length);
    rgbToYuv(frame.data, s[0] as 1 | 3, h.width, h.height, h.colorspace as Y4mOutputColorspace, h.range, out.subarray(lead));
    return out;
  }
}

/**
 * A Transform from image frames to y4m bytes, for `walloc-decode | ffmpeg -f yuv4mpegpipe -i - …`.
 *
 * @example
 * await pipeline(frames, new Y4mWriter({ chroma: '420' }), process.stdout);
 */
export class Y4mWriter extends Transform {
  readonly #enc: Y4mEncoder;

  constructor(options: Y4mWriterOptions = {}) {
    super({ writableObjectMode: true, writableHighWaterMark: FRAME_HIGH_WATER_MARK });
    this.#enc = new Y4mEncoder(options);
  }

  override _transform(frame: ImageFrame, _enc: BufferEncoding, cb: TransformCallback): void {
    let bytes: Buffer;
    try {
      bytes = this.#enc.encode(frame);
    } catch (e) {
      cb(e as Error);
      return;
    }
    cb(null, bytes);
  }
}

/**
 * Encodes frames into one y4m buffer.
 *
 * @example
 * await writeFile('out.y4m', writeY4m(frames, { chroma: '444', fps: [30000, 1001] }));
 */
export function writeY4m(frames: Iterable<ImageFrame>, options: Y4mWriterOptions = {}): Buffer {
  const enc = new Y4mEncoder(options);
  const parts: Buffer[] = [];
  for (const f of frames) parts.push(enc.encode(f));
  return Buffer.concat(parts);
}
