/**
 * `walloc info`: what this installation can do: version, the TensorFlow.js backend that would be
 * used (or why the one asked for cannot load), ffmpeg, and the bundled models. `walloc info FILE.wlc`
 * describes a stream instead (its header, records, size, frame size and rate), like ffprobe: a
 * damaged stream is described as far as it reads, then fails with the damage's coded error.
 * `--json` prints the same as one JSON object on stdout.
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { recordsLost, WlcReader, type WlcCorruption, type WlcHeader } from '../container/index.js';
import type { Frame } from '../frame.js';
import { availableBackends, getTf } from '../models/backend.js';
import { listBundledModels } from '../models/registry.js';
import { findFfmpeg } from '../io/ffmpeg.js';
import { openInput } from '../io/input.js';
import { notWlcError } from '../io/detect.js';
import { version } from '../paths.js';
import { isWallocError, werr, type ErrorCode, type WallocError } from '../errors.js';
import type { CommandIo, CommandSpec } from './command.js';

export interface InfoReport {
  version: string;
  node: string;
  platform: string;
  /**
   * `active` is null when the backend asked for (`--backend`, `WALLOC_BACKEND`) cannot load here;
   * `requested` and `error` then say which and why.
   */
  backend: { active: string | null; available: string[]; simd?: boolean; requested?: string; error?: { code: string; message: string } };
  ffmpeg: { path: string; version: string; from: string } | null;
  models: Array<{ name: string; kind: string; modality?: string; description?: string }>;
}

/**
 * Gathers the facts `walloc info` prints. A backend that cannot load is reported in
 * `backend.error`, not thrown: info is where a user finds out why (only a `--backend` name that is
 * no backend at all stays a usage error).
 *
 * @example
 * const r = await gatherInfo();
 * console.log(r.backend.active); // 'wasm' on most machines
 */
export async function gatherInfo(opts: { backend?: string } = {}): Promise<InfoReport> {
  return {
    version: version(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    backend: await probeBackend(opts.backend),
    ffmpeg: findFfmpeg(),
    models: listBundledModels().map(({ name, kind, modality, description }) => ({ name, kind, modality, description })),
  };
}

/** The backend getTf picks (or the error it gives) and the ones that load here. */
async function probeBackend(wanted: string | undefined): Promise<InfoReport['backend']> {
  const available = await availableBackends();
  try {
    const { tf, backend } = await getTf({ backend: wanted });
    const simd = backend === 'wasm' ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : undefined;
    return { active: backend, available, ...(simd === undefined ? {} : { simd }) };
  } catch (e) {
    // A bad WALLOC_BACKEND value is the environment's state, which info reports; a bad --backend
    // argument is the user's typo, and stays a usage error.
    const fromEnv = wanted === undefined;
    if (!isWallocError(e, 'WALLOC_ERR_BACKEND_UNAVAILABLE') && !(fromEnv && isWallocError(e, 'WALLOC_ERR_INVALID_ARGUMENT'))) throw e;
    return { active: null, available, requested: wanted ?? process.env.WALLOC_BACKEND ?? 'any', error: { code: e.code, message: e.message } };
  }
}

/** A damaged stretch of a stream that `walloc info` read past, or the error that stopped it. */
export interface StreamDamage {
  code: string;
  message: string;
  /** The first record that could not be read. */
  record?: number;
  /** The good record reading resumed at; absent when the damage runs to the end or stopped the read. */
  nextRecord?: number;
  /** The bytes skipped, [start, end). */
  bytes?: [number, number];
}

/** What `walloc info FILE.wlc` reports about a stream. */
export interface StreamReport {
  path: string;
  bytes: number;
  /** Frame records read (for audio: chunks of the stream, not seconds); damaged ones are not counted. */
  frames: number;
  /** Meta records (an audio stream's trailer, an archive's entry names …). */
  metaRecords: number;
  /** False when the stream ends without its end record (cut short). */
  terminated: boolean;
  header: WlcHeader;
  /** The first picture's width and height (image streams); `varies` when later frames differ. */
  frameSize?: { width: number; height: number; varies?: boolean };
  /** Frames per second, for a stream made from video (y4m or ffmpeg input). */
  frameRate?: number;
  /** Present only for a damaged stream: what could not be read, in stream order. */
  damage?: StreamDamage[];
}

/**
 * Reads a .wlc stream through (bounded memory: one record at a time), reading past damaged records
 * as `walloc-decode --skip-corrupt` does, and counts its records. A damaged stream is not thrown:
 * its report lists the damage (see {@link damageError} for the coded error).
 *
 * @throws WALLOC_ERR_FILE_NOT_FOUND, WALLOC_ERR_UNSUPPORTED_INPUT (not a .wlc), WALLOC_ERR_CONTAINER_* for a damaged header
 * @example
 * const r = await describeStream('photo.wlc'); // { frames: 1, frameSize: { width: 255, height: 171 }, header: { model: 'rgb-16x', … } }
 */
export async function describeStream(path: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<StreamReport> {
  const input = await openInput(path, stdin);
  const label = path === '-' ? 'stdin' : path;
  if (input.kind !== 'wlc') {
    input.stream.destroy();
    throw notWlcError(label, input.kind);
  }
  const reader = new WlcReader({ skipCorrupt: true });
  const damage: StreamDamage[] = [];
  let metaRecords = 0;
  reader.on('meta', () => { metaRecords++; });
  reader.on('corrupt', (c: WlcCorruption) => { damage.push(damageOf(c)); });
  const counter = { bytes: 0 };
  const pictures = new PictureStats();
  try {
    await pipeline(countBytes(input.stream, counter), reader, new Writable({ objectMode: true, write: (f: Frame, _e, cb) => { pictures.add(f); cb(); } }));
  } catch (e) {
    // Damage skipCorrupt cannot step over (a payload that passes its CRC but not its layout) ends the
    // read; what came before is still reported. A bad header, or no stream at all, is thrown.
    if (reader.header === undefined || !isWallocError(e) || !e.code.startsWith('WALLOC_ERR_CONTAINER_')) throw e;
    damage.push({ code: e.code, message: e.message, ...(typeof e.details.record === 'number' ? { record: e.details.record } : {}) });
  }
  return {
    path: label, bytes: counter.bytes, frames: pictures.frames, metaRecords, terminated: reader.terminated, header: await reader.headerReady,
    ...pictures.report(),
    ...(damage.length ? { damage } : {}),
  };
}

/**
 * The coded error for a damaged stream's first damage, for stderr and the exit status (1).
 *
 * @example
 * const r = await describeStream('dmg.wlc');
 * if (r.damage) throw damageError(r.damage[0]!); // walloc: record 4: CRC-32 mismatch … [WALLOC_ERR_CONTAINER_CRC]
 */
export function damageError(d: StreamDamage): WallocError {
  const e = werr(d.code as ErrorCode, { record: d.record });
  // The reader keeps the rendered message, not the values it was made from: carry it over as is.
  e.message = d.message;
  return e;
}

function damageOf(c: WlcCorruption): StreamDamage {
  return { code: c.code, message: c.reason, record: c.record, ...(c.nextRecord !== undefined ? { nextRecord: c.nextRecord } : {}), bytes: [c.start, c.end] };
}

/** Passes a byte stream through, counting its bytes (a pipe has no size to stat). */
function countBytes(src: Readable, into: { bytes: number }): AsyncGenerator<Buffer> {
  return (async function* () {
    for await (const chunk of src) {
      into.bytes += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  })();
}

/** Frame records counted, and the picture size and frame rate the first one carries. */
class PictureStats {
  frames = 0;
  private size: { width: number; height: number; varies?: boolean } | undefined;
  private rate: number | undefined;

  add(f: Frame): void {
    const size = pictureSize(f);
    if (this.frames++ === 0) {
      this.size = size;
      this.rate = frameRate(f);
    } else if (this.size && size && (size.width !== this.size.width || size.height !== this.size.height)) {
      this.size.varies = true;
    }
  }

  report(): Pick<StreamReport, 'frameSize' | 'frameRate'> {
    return { ...(this.size ? { frameSize: this.size } : {}), ...(this.rate !== undefined ? { frameRate: this.rate } : {}) };
  }
}

/** Width and height of the picture a frame record decodes to; undefined for audio and volumes. */
function pictureSize(f: Frame): { width: number; height: number } | undefined {
  // A codec's record (latent, packed) keeps the picture's shape in meta; an uncompressed one is it.
  const image = (f.meta.source ?? f.kind) === 'image';
  const shape = f.meta.sourceShape ?? f.shape;
  if (!image || shape.length !== 3) return undefined;
  return { width: shape[2]!, height: shape[1]! };
}

/** Frames per second from the y4m header a video's frames carry (its exact ratio, else the number). */
function frameRate(f: Frame): number | undefined {
  const extra = f.meta.extra as { fps?: unknown; y4m?: { fps?: unknown } } | undefined;
  const ratio = extra?.y4m?.fps;
  if (Array.isArray(ratio) && ratio.length === 2 && ratio[0] > 0 && ratio[1] > 0) return ratio[0] / ratio[1];
  return typeof extra?.fps === 'number' && extra.fps > 0 ? extra.fps : undefined;
}

/** `walloc info FILE.wlc` as text: a summary line, the model, picture facts, the header, the damage. */
function streamLines(s: StreamReport): string[] {
  const { model, modality, ...rest } = s.header as Record<string, unknown>;
  const facts: Array<[string, string]> = [];
  if (s.frameSize) facts.push(['frame size', `${s.frameSize.width}×${s.frameSize.height}${s.frameSize.varies ? ' (the first frame; later ones differ)' : ''}`]);
  if (s.frameRate !== undefined) facts.push(['frame rate', `${Number(s.frameRate.toFixed(3))} fps`]);
  facts.push(...Object.entries(rest).map(([k, v]): [string, string] => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]));
  for (const d of s.damage ?? []) facts.push(['damage', damageLine(d)]);
  const w = Math.max(8, ...facts.map(([k]) => k.length)) + 2;
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  return [
    `${s.path}: ${s.bytes} bytes, ${plural(s.frames, 'frame record')}${s.metaRecords ? `, ${plural(s.metaRecords, 'meta record')}` : ''}${s.damage ? ' read (damaged)' : s.terminated ? '' : ' (cut short: no end record)'}`,
    `${'model:'.padEnd(w)}${String(model)} (${String(modality ?? 'image')})`,
    ...facts.map(([k, v]) => `${`${k}:`.padEnd(w)}${v}`),
  ];
}

/** One damaged stretch: the error, its code, and what was lost (as walloc-decode --skip-corrupt says it). */
function damageLine(d: StreamDamage): string {
  const lost = d.record === undefined ? 'the rest of the stream' : recordsLost({ record: d.record, nextRecord: d.nextRecord });
  return `${d.message} [${d.code}]${d.bytes ? `; skipped bytes ${d.bytes[0]}–${d.bytes[1] - 1}` : ''} (lost: ${lost})`;
}

/** The installation as text: version, backend, ffmpeg and the model table. */
function installationLines(r: InfoReport): string[] {
  const b = r.backend;
  const backend = b.error
    ? `unavailable: ${b.error.message} [${b.error.code}]${process.env.WALLOC_BACKEND && b.requested === process.env.WALLOC_BACKEND ? ' (WALLOC_BACKEND is set)' : ''}`
    : `${b.active}${b.simd ? ' (SIMD)' : ''}; available: ${b.available.join(', ')}`;
  return [
    `walloc ${r.version} (Node ${r.node}, ${r.platform})`,
    `backend:  ${backend}`,
    `ffmpeg:   ${r.ffmpeg ? `${r.ffmpeg.version} (${r.ffmpeg.from}: ${r.ffmpeg.path})` : 'not found (set FFMPEG_PATH or install ffmpeg)'}`,
    `models:   ${r.models.length ? '' : 'none bundled'}`,
    ...modelTable(r.models),
  ];
}

/** `walloc info FILE.wlc`: the report on stdout; a damaged stream then fails with its coded error. */
async function streamMain(path: string, json: boolean, io: CommandIo): Promise<number> {
  if (path === '-' && io.stdin.isTTY) throw werr('WALLOC_ERR_MISSING_ARGUMENT', { what: 'a .wlc file (or a stream on stdin)', command: 'walloc info' });
  const s = await describeStream(path, io.stdin);
  io.stdout.write(json ? JSON.stringify(s) + '\n' : streamLines(s).join('\n') + '\n');
  // Like ffprobe: everything readable is printed first, and the damage still fails the command.
  if (s.damage) throw damageError(s.damage[0]!);
  return 0;
}

export const infoCommand: CommandSpec = {
  name: 'walloc info',
  summary: 'show the version, TensorFlow.js backend, ffmpeg and bundled models; or describe a .wlc stream',
  usage: ['walloc info [--json] [--backend NAME]', 'walloc info FILE.wlc|- [--json]'],
  maxPositionals: 1,
  options: {
    json: { type: 'boolean', help: 'print one JSON object on stdout' },
    backend: { type: 'string', arg: 'NAME', help: 'TensorFlow.js backend to try: gpu, node, wasm or cpu (or set WALLOC_BACKEND)' },
  },
  async run({ values, positionals }, io) {
    if (positionals[0] !== undefined) return streamMain(positionals[0], values.json === true, io);
    const r = await gatherInfo({ backend: values.backend as string | undefined });
    io.stdout.write(values.json ? JSON.stringify(r) + '\n' : installationLines(r).join('\n') + '\n');
    return 0;
  },
};

/** One line per model, columns aligned: name, kind, modality, description. */
function modelTable(models: InfoReport['models']): string[] {
  const w = (f: (m: InfoReport['models'][number]) => string) => Math.max(0, ...models.map((m) => f(m).length));
  const wn = w((m) => m.name);
  const wk = w((m) => m.kind);
  const wm = w((m) => m.modality ?? '');
  return models.map((m) => `  ${m.name.padEnd(wn)}  ${m.kind.padEnd(wk)}  ${(m.modality ?? '').padEnd(wm)}  ${m.description ?? ''}`.trimEnd());
}

export const modelsCommand: CommandSpec = {
  name: 'walloc models',
  summary: 'list the bundled models (codecs, classifiers, VQ-VAEs) with their kind and what they are',
  usage: ['walloc models [--kind codec|classifier|vqvae|token-classifier] [--json]'],
  options: {
    kind: { type: 'string', arg: 'KIND', help: 'only models of this kind' },
    json: { type: 'boolean', help: 'one JSON object per model on stdout' },
  },
  async run({ values }, io) {
    const kinds = ['codec', 'classifier', 'vqvae', 'token-classifier'];
    if (values.kind !== undefined && !kinds.includes(values.kind as string)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--kind must be one of ${kinds.join(', ')}, got "${String(values.kind)}"` });
    const all = listBundledModels(values.kind as string | undefined).map(({ name, kind, modality, description }) => ({ name, kind, modality, description }));
    if (values.json) {
      for (const m of all) io.stdout.write(JSON.stringify(m) + '\n');
      return 0;
    }
    if (all.length === 0) {
      io.stderr.write(`walloc models: no bundled model${values.kind ? ` of kind ${String(values.kind)}` : ''}\n`);
      return 0;
    }
    io.stdout.write(modelTable(all).map((l) => l.slice(2)).join('\n') + '\n');
    return 0;
  },
};
