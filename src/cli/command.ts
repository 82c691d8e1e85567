/**
 * Declarative command definitions: each command states its options once (type, default, help),
 * and that one table drives argv parsing, validation and the `--help` text, in the way
 * libavfilter's option tables drive its parsing and `-h filter=`.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { werr } from '../errors.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  default?: string | boolean;
  /** Placeholder shown in help, e.g. FILE. */
  arg?: string;
  help: string;
  multiple?: boolean;
}

export interface CommandIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export interface CommandSpec {
  /** How the user types it: `walloc info`, `walloc-encode`. */
  name: string;
  summary: string;
  usage: string[];
  options: Record<string, OptionSpec>;
  examples?: string[];
  /** The most positional arguments it takes; more are a usage error. Unlimited when omitted. */
  maxPositionals?: number;
  /** Returns the exit status (0 when omitted). */
  run(args: ParsedArgs, io: CommandIo): Promise<number | void>;
}

/** The options every command has. */
export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  help: { type: 'boolean', short: 'h', help: 'show this help and exit' },
  version: { type: 'boolean', short: 'V', help: 'print walloc\'s version and exit' },
};

/**
 * Parses argv against a command's option table; unknown options and missing values become
 * coded usage errors (exit status 2).
 *
 * @example
 * const { values, positionals } = parseCommandArgs(infoCommand, ['--json']);
 */
export function parseCommandArgs(spec: CommandSpec, argv: string[]): ParsedArgs {
  const options = { ...COMMON_OPTIONS, ...spec.options };
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: Object.fromEntries(Object.entries(options).map(([k, o]) => [k, JSON.parse(JSON.stringify({ type: o.type, short: o.short, default: o.default, multiple: o.multiple })) as object])) as ParseArgsConfig['options'],
      allowPositionals: true,
      strict: true,
    });
    if (spec.maxPositionals !== undefined && positionals.length > spec.maxPositionals) {
      throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `unexpected argument "${positionals[spec.maxPositionals]}"; run \`${spec.name} --help\` for usage` });
    }
    return { values: values as ParsedArgs['values'], positionals };
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith('WALLOC_ERR_')) throw e;
    const err = e as { code?: string; message: string };
    const opt = /option '([^']+)'/.exec(err.message)?.[1] ?? /'(-[^']+)'/.exec(err.message)?.[1];
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw werr('WALLOC_ERR_UNKNOWN_OPTION', { option: opt ?? '?', command: spec.name });
    // `--top -1`: Node reads the value as an option; say how to write a value that starts with a dash.
    if (/argument is ambiguous/.test(err.message)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${opt ?? 'an option'} needs a value; a value starting with a dash is written ${opt ?? '--option'}=-1` });
    // "Option '-o, --output <value>' argument missing": say it in walloc's words.
    const missing = /Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(err.message);
    if (missing) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${missing[1]} needs a value; run \`${spec.name} --help\` for usage` });
    throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: err.message.split('\n')[0] });
  }
}

/**
 * Renders the help text of a command from its table.
 *
 * @example
 * process.stdout.write(helpText(infoCommand));
 */
export function helpText(spec: CommandSpec): string {
  const options = { ...spec.options, ...COMMON_OPTIONS };
  const lines = [`${spec.name}: ${spec.summary}`, '', 'Usage:', ...spec.usage.map((u) => `  ${u}`), '', 'Options:'];
  const left = Object.entries(options).map(([k, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${k}${o.type === 'string' ? ` ${o.arg ?? 'VALUE'}` : ''}`;
    return [flag, o.help + (o.default !== undefined && o.default !== false ? ` (default: ${String(o.default)})` : '')] as const;
  });
  const width = Math.max(...left.map(([f]) => f.length)) + 2;
  for (const [f, h] of left) lines.push(`  ${f.padEnd(width)}${h}`);
  if (spec.examples?.length) lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  return lines.join('\n') + '\n';
}
