/**
 * `walloc`: the umbrella command. Each sub-command is a declarative {@link CommandSpec}; this file
 * only dispatches. `walloc-encode`, `walloc-decode` and `classify` are the same commands under
 * their own names, so that pipes read naturally.
 */
import { WallocError } from '../errors.js';
import { version } from '../paths.js';
import type { CommandIo, CommandSpec } from './command.js';
import { classifyCommand, trainClassifierCommand } from './classify.js';
import { decodeCommand } from './decode.js';
import { encodeCommand } from './encode.js';
import { evalCommand } from './eval.js';
import { filterCommand, filtersCommand } from './filter.js';
import { infoCommand, modelsCommand } from './info.js';
import { trainCommand } from './train.js';
import { trainLowrankCommand, trainTokenClassifierCommand, trainVqvaeCommand } from './vq.js';
import { batchCommand } from './batch.js';
import { workerCommand } from './worker.js';
import { reportError, runCommand } from './run.js';

/** Sub-commands by name. Later issues add encode, decode, filter, batch, train, eval, bench. */
export const SUBCOMMANDS: Record<string, CommandSpec> = {
  encode: encodeCommand,
  classify: classifyCommand,
  decode: decodeCommand,
  eval: evalCommand,
  filter: filterCommand,
  filters: filtersCommand,
  info: infoCommand,
  models: modelsCommand,
  train: trainCommand,
  batch: batchCommand,
  worker: workerCommand,
};

export function wallocHelp(): string {
  const width = Math.max(...Object.keys(SUBCOMMANDS).map((k) => k.length)) + 2;
  return [
    `walloc ${version()}: wavelet learned lossy compression for media that machines read`,
    '',
    'Usage:',
    '  walloc COMMAND [options]      run `walloc COMMAND --help` for a command\'s options',
    '  walloc --version | --help',
    '',
    'Commands:',
    ...Object.entries(SUBCOMMANDS).map(([k, c]) => `  ${k.padEnd(width)}${c.summary}`),
    '',
    'Environment: WALLOC_BACKEND (gpu|node|wasm|cpu), FFMPEG_PATH, WALLOC_DEBUG=1 (stack traces).',
    '',
  ].join('\n');
}

/**
 * `walloc train WHAT` beside codec (trainCommand): each has its own option table, the classifier
 * in src/cli/classify.ts, the VQ-VAE family in src/cli/vq.ts.
 */
const TRAIN_COMMANDS: Readonly<Record<string, CommandSpec>> = {
  classifier: trainClassifierCommand, vqvae: trainVqvaeCommand, lowrank: trainLowrankCommand, 'token-classifier': trainTokenClassifierCommand,
};

/**
 * Runs `walloc` with argv (without node and script), returning the exit status.
 *
 * @example
 * process.exitCode = await wallocMain(['info', '--json'], processIo());
 */
export async function wallocMain(argv: string[], io: CommandIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    if (first === 'help' && rest[0] === 'train' && rest[1] !== undefined && TRAIN_COMMANDS[rest[1]]) return runCommand(TRAIN_COMMANDS[rest[1]]!, ['--help'], io);
    if (first === 'help' && rest[0] !== undefined && SUBCOMMANDS[rest[0]]) return runCommand(SUBCOMMANDS[rest[0]], ['--help'], io);
    if (first === 'help' && rest[0]?.startsWith('filter=')) return runCommand(filtersCommand, [rest[0]], io);
    if (first === 'help' && rest[0] !== undefined) return reportError('walloc', new WallocError('WALLOC_ERR_UNKNOWN_COMMAND', { command: rest[0] }), io.stderr, io.env);
    (first === undefined ? io.stderr : io.stdout).write(wallocHelp());
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-V') {
    io.stdout.write(`${version()}\n`);
    return 0;
  }
  if (first === 'train' && rest[0] !== undefined && TRAIN_COMMANDS[rest[0]]) return runCommand(TRAIN_COMMANDS[rest[0]]!, rest.slice(1), io);
  const cmd = SUBCOMMANDS[first];
  if (!cmd) return reportError('walloc', new WallocError('WALLOC_ERR_UNKNOWN_COMMAND', { command: first }), io.stderr, io.env);
  return runCommand(cmd, rest, io);
}
