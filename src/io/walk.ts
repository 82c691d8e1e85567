/** Listing a dataset folder: the files with given extensions, recursively, in a stable order. */
import { readdirSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { werr } from '../errors.js';

/**
 * Lists files under `dir` whose extension (lower-cased, with the dot) is in `extensions`, sorted by
 * relative path so that runs are reproducible.
 *
 * @example
 * listFiles('data/photos/train', new Set(['.png', '.jpg'])); // ['data/photos/train/a.png', …]
 */
export function listFiles(dir: string, extensions: ReadonlySet<string>): string[] {
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw werr('WALLOC_ERR_DATASET', { path: dir, reason: 'no such folder' });
  }
  if (!st.isDirectory()) throw werr('WALLOC_ERR_DATASET', { path: dir, reason: 'not a folder' });
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (extensions.has(extname(e.name).toLowerCase())) out.push(p);
    }
  };
  walk(dir);
  return out.sort((a, b) => relative(dir, a).localeCompare(relative(dir, b)));
}
