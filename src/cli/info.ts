/**
 * `walloc info`: what this installation can do: version, the TensorFlow.js backend that would be
 * used, ffmpeg, and the bundled models. `--json` prints the same as one JSON object on stdout.
 */
import { availableBackends, getTf } from '../models/backend.js';
import { listBundledModels } from '../models/registry.js';
import { findFfmpeg } from '../io/ffmpeg.js';
import { version } from '../paths.js';
import type { CommandSpec } from './command.js';

export interface InfoReport {
  version: string;
  node: string;
  platform: string;
  backend: { active: string; available: string[]; simd?: boolean };
  ffmpeg: { path: string; version: string; from: string } | null;
  models: Array<{ name: string; modality?: string; description?: string }>;
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
    models: listBundledModels().map(({ name, modality, description }) => ({ name, modality, description })),
  };
}

export const infoCommand: CommandSpec = {
  name: 'walloc info',
  summary: 'show the version, TensorFlow.js backend, ffmpeg and bundled models',
  usage: ['walloc info [--json] [--backend NAME]'],
  options: {
    json: { type: 'boolean', help: 'print one JSON object on stdout' },
    backend: { type: 'string', arg: 'NAME', help: 'TensorFlow.js backend to try: gpu, node, wasm or cpu (or set WALLOC_BACKEND)' },
  },
  async run({ values }, io) {
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
      ...r.models.map((m) => `  ${m.name.padEnd(20)} ${m.modality ?? ''}  ${m.description ?? ''}`),
    ];
    io.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
};
