/**
 * The records a batch leaves behind: a `--manifest` JSON-lines log of every input (what it became,
 * sizes, hashes, status) and an `--errors` file of the inputs that failed. Lines are appended with
 * one synchronous write each, so a crash can cut at most the last line, and a resumed run appends
 * to the same manifest (its skipped files are logged as `skipped`).
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { werr } from '../errors.js';
import type { TaskResult } from './task.js';

/** One manifest line: a task result plus when and where it ran. */
export interface ManifestRecord extends TaskResult {
  /** ISO time the result was recorded. */
  time: string;
  /** Host and process that did the work (`host:pid`), to audit distributed runs. */
  by?: string;
}

function ensureDir(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
}

/**
 * Appends JSON lines to a file.
 *
 * @example
 * const m = new JsonLinesFile('run.jsonl');
 * m.append({ rel: 'a.jpg', status: 'done' });
 */
export class JsonLinesFile {
  constructor(readonly path: string, opts: { truncate?: boolean } = {}) {
    try {
      ensureDir(path);
      if (opts.truncate) writeFileSync(path, '');
      else appendFileSync(path, '');
    } catch (e) {
      throw werr('WALLOC_ERR_FILE_WRITE', { path, reason: (e as NodeJS.ErrnoException).code ?? (e as Error).message }, e);
    }
  }

  append(record: unknown): void {
    appendFileSync(this.path, JSON.stringify(record) + '\n');
  }
}

/**
 * The errors file: one failed input per line as `PATH<TAB>CODE<TAB>MESSAGE`, PATH relative to the
 * batch root. It is itself a valid `--list` file (only the first field is read), so the failures of
 * one run can be retried with `walloc batch IN OUT --list errors.tsv` once fixed. Rewritten by each
 * run, so it lists what is still failing.
 *
 * @example
 * const errors = new ErrorsFile('errors.tsv');
 * errors.add(result); // for a failed TaskResult
 */
export class ErrorsFile {
  count = 0;

  constructor(readonly path: string, opts: { append?: boolean } = {}) {
    try {
      ensureDir(path);
      if (opts.append) appendFileSync(path, '');
      else writeFileSync(path, '');
    } catch (e) {
      throw werr('WALLOC_ERR_FILE_WRITE', { path, reason: (e as NodeJS.ErrnoException).code ?? (e as Error).message }, e);
    }
  }

  add(r: Pick<TaskResult, 'rel' | 'error'>): void {
    this.count++;
    const clean = (s: string) => s.replace(/[\t\r\n]+/g, ' ');
    appendFileSync(this.path, `${clean(r.rel)}\t${r.error?.code ?? 'WALLOC_ERR_INTERNAL'}\t${clean(r.error?.message ?? '')}\n`);
  }
}
