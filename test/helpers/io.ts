/** Test helpers: in-memory stdio for running commands in-process, and spawning the built bins. */
import { PassThrough } from 'node:stream';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { CommandIo } from '../../src/cli/command.js';
import { packageRoot } from '../../src/paths.js';

export interface MemoryIo extends CommandIo {
  out(): string;
  err(): string;
}

/** A CommandIo whose stdout/stderr are captured as strings. */
export function memoryIo(env: NodeJS.ProcessEnv = {}): MemoryIo {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const o: Buffer[] = [];
  const e: Buffer[] = [];
  stdout.on('data', (c: Buffer) => o.push(c));
  stderr.on('data', (c: Buffer) => e.push(c));
  return {
    stdin: new PassThrough(),
    stdout,
    stderr,
    env,
    out: () => Buffer.concat(o).toString('utf8'),
    err: () => Buffer.concat(e).toString('utf8'),
  };
}

export interface SpawnResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs a built bin (dist/src/cli/bin/NAME.js) as a real process, optionally feeding stdin. */
export function runBin(name: string, args: string[], opts: { input?: Buffer; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<SpawnResult> {
  const bin = join(packageRoot(), 'dist', 'src', 'cli', 'bin', `${name}.js`);
  return new Promise((resolve, reject) => {
    // timeoutMs: a hang becomes a failed result (killed: code null) instead of a stuck test.
    const p = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...opts.env }, cwd: opts.cwd, ...(opts.timeoutMs ? { timeout: opts.timeoutMs, killSignal: 'SIGKILL' as const } : {}) });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => out.push(c));
    p.stderr.on('data', (c: Buffer) => err.push(c));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }));
    p.stdin.on('error', () => { /* the child may exit before reading everything */ });
    p.stdin.end(opts.input);
  });
}
