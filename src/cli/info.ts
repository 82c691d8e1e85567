/**
 * `walloc info`: what this installation can do: version, the TensorFlow.js backend that would be
 * used, ffmpeg, and the bundled models. `walloc info FILE.wlc` describes a stream instead (its
 * header, records and size), like ffprobe. `--json` prints the same as one JSON object on stdout.
 */
import { createReadStream, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { WlcReader, type WlcHeader } from '../container/index.js';
import { availableBackends, getTf } from '../models/backend.js';
import { listBundledModels } from '../models/registry.js';
import { findFfmpeg } from '../io/ffmpeg.js';
import { version } from '../paths.js';
import { werr } from '../errors.js';
import type { CommandSpec } from './command.js';

export interface InfoReport {
  version: string;
  node: string;
  platform: string;
  backend: { active: string; available: string[]; simd?: boolean };
  ffmpeg: { path: string; version: string; from: string } | null;
  models: Array<{ name: string; kind: string; modality?: string; description?: string }>;
}

/**
 * Gathers the facts `walloc info` prints.
 *
 * @example
 * const r = await gatherInfo();
 * console.log(r.backend.active); // 'wasm' on most machines
 */
export async function gatherInfo(opts: { backend?: string } = {}): Promise<InfoReport> {
  const { tf, backend } = await getTf(opts);
  const simd = backend === 'wasm' ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : undefined;
  return {
    version: version(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    backend: { active: backend, available: await availableBackends(), ...(simd === undefined ? {} : { simd }) },
    ffmpeg: findFfmpeg(),
    models: listBundledModels().map(({ name, kind, modality, description }) => ({ name, kind, modality, description })),
  };
}

/** What `walloc info FILE.wlc` reports about a stream. */
export interface StreamReport {
  path: string;
  bytes: number;
  /** Frame records (for audio: chunks of the stream, not seconds). */
  frames: number;
  /** Meta records (an audio stream's trailer, an archive's entry names …). */
  metaRecords: number;
  /** False when the stream ends without its end record (cut short). */
  terminated: boolean;
  header: WlcHeader;
}

/**
 * Reads a .wlc stream through (bounded memory: one record at a time) and counts its records.
 *
 * @throws WALLOC_ERR_FILE_NOT_FOUND, WALLOC_ERR_CONTAINER_* for a damaged stream
 * @example
 * const r = await describeStream('photo.wlc'); // { frames: 1, header: { model: 'rgb-16x', … } }
 */
export async function describeStream(path: string): Promise<StreamReport> {
  let bytes: number;
  try {
    bytes = statSync(path).size;
  } catch {
    throw werr('WALLOC_ERR_FILE_NOT_FOUND', { path });
  }
  const reader = new WlcReader();
  let frames = 0;
  let metaRecords = 0;
  reader.on('meta', () => { metaRecords++; });
  await pipeline(createReadStream(path), reader, new Writable({ objectMode: true, write: (_f, _e, cb) => { frames++; cb(); } }));
  return { path, bytes, frames, metaRecords, terminated: reader.terminated, header: await reader.headerReady };
}

export const infoCommand: CommandSpec = {
  name: 'walloc info',
  summary: 'show the version, TensorFlow.js backend, ffmpeg and bundled models; or describe a .wlc stream',
  usage: ['walloc info [--json] [--backend NAME]', 'walloc info FILE.wlc [--json]'],
  maxPositionals: 1,
  options: {
    json: { type: 'boolean', help: 'print one JSON object on stdout' },
    backend: { type: 'string', arg: 'NAME', help: 'TensorFlow.js backend to try: gpu, node, wasm or cpu (or set WALLOC_BACKEND)' },
  },
  async run({ values, positionals }, io) {
    if (positionals[0] !== undefined) {
      const s = await describeStream(positionals[0]);
      if (values.json) {
        io.stdout.write(JSON.stringify(s) + '\n');
        return 0;
      }
      const { model, modality, ...rest } = s.header as Record<string, unknown>;
      const w = Math.max(8, ...Object.keys(rest).map((k) => k.length)) + 2;
      io.stdout.write([
        `${s.path}: ${s.bytes} bytes, ${s.frames} frame record${s.frames === 1 ? '' : 's'}${s.metaRecords ? `, ${s.metaRecords} meta record${s.metaRecords === 1 ? '' : 's'}` : ''}${s.terminated ? '' : ' (cut short: no end record)'}`,
        `${'model:'.padEnd(w)}${String(model)} (${String(modality ?? 'image')})`,
        ...Object.entries(rest).map(([k, v]) => `${`${k}:`.padEnd(w)}${typeof v === 'object' ? JSON.stringify(v) : String(v)}`),
      ].join('\n') + '\n');
      return 0;
    }
    const r = await gatherInfo({ backend: values.backend as string | undefined });
    if (values.json) {
      io.stdout.write(JSON.stringify(r) + '\n');
      return 0;
    }
    const lines = [
      `walloc ${r.version} (Node ${r.node}, ${r.platform})`,
      `backend:  ${r.backend.active}${r.backend.simd ? ' (SIMD)' : ''}; available: ${r.backend.available.join(', ')}`,
      `ffmpeg:   ${r.ffmpeg ? `${r.ffmpeg.version} (${r.ffmpeg.from}: ${r.ffmpeg.path})` : 'not found (set FFMPEG_PATH or install ffmpeg)'}`,
      `models:   ${r.models.length ? '' : 'none bundled'}`,
      ...modelTable(r.models),
    ];
    io.stdout.write(lines.join('\n') + '\n');
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
