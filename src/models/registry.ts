/**
 * The bundled models: one folder per model under `fixtures/models/NAME/`, each with a
 * `model.json` describing it. This module only lists and describes them; loading weights lives
 * beside the code that runs them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { werr } from '../errors.js';
import { packageRoot } from '../paths.js';

export interface ModelSummary {
  name: string;
  dir: string;
  /** `codec` for codecs (their model.json has no kind), else the folder's kind: `classifier`, `vqvae`, `token-classifier`. */
  kind: string;
  modality?: string;
  description?: string;
}

/** Folder holding the bundled models. */
export function bundledModelsDir(): string {
  return join(packageRoot(), 'fixtures', 'models');
}

/**
 * Lists the bundled models (folders with a model.json), sorted by name; with `kind`, only that kind.
 *
 * @example
 * for (const m of listBundledModels()) console.log(m.name, m.kind, m.modality);
 * listBundledModels('token-classifier').map((m) => m.name); // ['tokens-mnist-k128']
 */
export function listBundledModels(kind?: string): ModelSummary[] {
  const dir = bundledModelsDir();
  if (!existsSync(dir)) return [];
  const out: ModelSummary[] = [];
  for (const name of readdirSync(dir).sort()) {
    const file = join(dir, name, 'model.json');
    if (!existsSync(file)) continue;
    try {
      const cfg = JSON.parse(readFileSync(file, 'utf8')) as { kind?: unknown; modality?: string; description?: string };
      out.push({ name, dir: join(dir, name), kind: typeof cfg.kind === 'string' ? cfg.kind : 'codec', modality: cfg.modality, description: cfg.description });
    } catch {
      out.push({ name, dir: join(dir, name), kind: 'unknown', description: '(unreadable model.json)' });
    }
  }
  return kind === undefined ? out : out.filter((m) => m.kind === kind);
}

/**
 * The default codec per modality: the trained one when bundled, else its linear floor.
 *
 * @example
 * defaultModel('image'); // 'rgb-16x'
 */
export function defaultModel(modality: 'image' | 'audio' | 'volume'): string {
  const names = new Set(listBundledModels('codec').map((m) => m.name));
  const wanted = { image: 'rgb-16x', audio: 'stereo-5x', volume: 'volume-mri' }[modality];
  if (names.has(wanted)) return wanted;
  if (names.has(`${wanted}-linear`)) return `${wanted}-linear`;
  throw werr('WALLOC_ERR_MODEL_NOT_FOUND', { model: wanted, known: [...names].join(', ') || 'none' });
}
