/**
 * The declarative filter definition, in the manner of libavfilter's `FFFilter` + `AVOption` table:
 * one object per filter says what it is called, what it does, which media kinds its pads carry,
 * which options it takes (type, default, range or choices, help) and how to make its stream.
 * That one object drives option parsing and validation here, link and kind checks in the graph
 * builder (filters/graph.ts), `walloc filters`, `walloc help filter=NAME` and docs/filters.md.
 *
 * @module
 */
import type { Readable, Writable, Duplex } from 'node:stream';
import { werr, type WallocError } from '../src/errors.js';
import type { Model } from '../src/models/model-file.js';
import { graphSyntaxError, withGraphExcerpt, type FilterNode, type FilterOption } from './grammar.js';
import { splitListValue } from './escape.js';

// ---------------------------------------------------------------------------------------------
// Pads and media kinds
// ---------------------------------------------------------------------------------------------

/**
 * What travels on a link. These are the frame kinds of src/frame.ts, except that a latent is
 * split in two: `latent` (continuous Float32, what analysis makes and synthesis takes) and
 * `qlatent` (quantized Int8, what quantize makes and pack takes). Both are `kind: 'latent'`
 * frames at run time; the split lets the builder reject `analysis,pack` (a missing quantize)
 * before any data flows.
 */
export type PadKind = 'image' | 'audio' | 'volume' | 'coeffs' | 'latent' | 'qlatent' | 'tokens' | 'packed';

/** Every pad kind, in the order help text lists them. */
export const PAD_KINDS: readonly PadKind[] = ['image', 'audio', 'volume', 'coeffs', 'latent', 'qlatent', 'tokens', 'packed'];

/** The media a codec consumes; handy for pad declarations. */
export const MEDIA_KINDS: readonly PadKind[] = ['image', 'audio', 'volume'];

/** One-letter codes for `walloc filters`, as ffmpeg's `-filters` prints V/A per pad. */
export const PAD_KIND_LETTER: Readonly<Record<PadKind, string>> = {
  image: 'I', audio: 'A', volume: 'V', coeffs: 'C', latent: 'L', qlatent: 'Q', tokens: 'T', packed: 'P',
};

/** One input or output pad of a filter. */
export interface PadSpec {
  /** Pad name shown in help (`default` for the only pad, like libavfilter). */
  name: string;
  /** Kinds the pad accepts (inputs) or may produce (outputs). */
  kinds: readonly PadKind[];
  /**
   * Output pads only: the kind produced is whatever arrives on this input pad (narrowed to
   * `kinds`), as for `split`, `crop` or `format`. Lets kind checks see through pass-through filters.
   */
  follows?: number;
}

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

interface OptionBase {
  /** One line, shown by `walloc help filter=NAME`. */
  help: string;
  /** Other names accepted for the option (ffmpeg's `w` for `width`). */
  aliases?: readonly string[];
  /** Must be given (shown as "required" in help). Options without a default are otherwise undefined. */
  required?: boolean;
  /** Help text for an absent value when the meaning of "no value" needs explaining ("auto: 3 for images…"). */
  auto?: string;
}

/** Integer or float with an inclusive range. */
export interface NumberOptionSpec extends OptionBase {
  type: 'int' | 'float';
  default?: number;
  min?: number;
  max?: number;
}
export interface BoolOptionSpec extends OptionBase {
  type: 'bool';
  default?: boolean;
}
export interface StringOptionSpec extends OptionBase {
  type: 'string';
  default?: string;
}
/** One of fixed choices; with `list: true`, a `|`-separated list of them (ffmpeg's `format=rgb|gray`). */
export interface EnumOptionSpec extends OptionBase {
  type: 'enum';
  choices: readonly string[];
  default?: string;
  list?: boolean;
}
/** A bundled model name or a model folder path; the filter loads it through {@link FilterContext.loadModel}. */
export interface ModelOptionSpec extends OptionBase {
  type: 'model';
  default?: string;
}

export type OptionSpec = NumberOptionSpec | BoolOptionSpec | StringOptionSpec | EnumOptionSpec | ModelOptionSpec;
export type OptionType = OptionSpec['type'];

/** The TypeScript type a parsed option value has. */
export type OptionValue<S extends OptionSpec> =
  S extends { type: 'int' | 'float' } ? number
    : S extends { type: 'bool' } ? boolean
      : S extends { type: 'enum'; list: true } ? string[]
        : S extends { type: 'enum'; choices: readonly (infer C)[] } ? C
          : string;

/** Parsed options: an option with a default or `required` always has a value. */
export type OptionValues<O extends Record<string, OptionSpec>> = {
  [K in keyof O]: O[K] extends { default: unknown } | { required: true } ? OptionValue<O[K]> : OptionValue<O[K]> | undefined;
};

// ---------------------------------------------------------------------------------------------
// Definition and context
// ---------------------------------------------------------------------------------------------

/** An input opened by {@link FilterIo.openInput}: its sniffed kind and its bytes (matches src/io/input.ts). */
export interface OpenedSource {
  /** What the first bytes say it is: 'wlc', 'png', 'jpeg', 'y4m', 'wav', … or 'unknown'. */
  kind: string;
  /** The path, or '-' for stdin. */
  label: string;
  /** Every byte of the input, from the first. */
  stream: Readable;
  /** The whole input in memory (for images, which are decoded in one piece). */
  readAll(limit?: number): Promise<Buffer>;
}

/** An output opened by {@link FilterIo.openOutput} (matches src/io/output.ts): atomic for files. */
export interface OpenedSink {
  stream: NodeJS.WritableStream;
  /** Makes a file visible under its name once everything is written. */
  commit(): Promise<void>;
  /** Removes a partial file; safe to call twice. */
  abort(): void;
  label: string;
}

/**
 * File access for sources and sinks. The default (filters/graph.ts) uses src/io/input.ts and
 * src/io/output.ts with the process's stdin and stdout; the CLI passes its own streams, tests
 * may pass memory streams.
 */
export interface FilterIo {
  openInput(path: string): Promise<OpenedSource>;
  openOutput(path: string, options?: { binary?: boolean }): OpenedSink;
}

/** What a filter's `create` gets besides its options. */
export interface FilterContext {
  /** How messages name this instance: `wpt@enc` or `wpt (chain 0, filter 1)`. */
  instance: string;
  /** Aborted when the graph is torn down; long set-up work should stop on it. */
  signal: AbortSignal;
  /** Loads a model by bundled name or path, once per graph (later calls share the instance). */
  loadModel(nameOrPath: string): Model;
  /** A model this graph has already loaded, by its config name (sinks use it to fill .wlc headers). */
  findModel(name: string): Model | undefined;
  /** File access for sources and sinks. */
  io: FilterIo;
}

/**
 * The streams of a filter with several pads (split), one per pad in pad order. A filter with one
 * input and one output returns a Duplex (a Transform); a source a Readable; a sink a Writable.
 */
export interface FilterStreams {
  inputs: Writable[];
  outputs: Readable[];
}

export type FilterInstance = Duplex | Readable | Writable | FilterStreams;

/**
 * One filter, declared once.
 *
 * @example
 * export const negate = defineFilter({
 *   name: 'negate', description: 'flips the sign of every sample',
 *   inputs: [{ name: 'default', kinds: ['image'] }], outputs: [{ name: 'default', kinds: ['image'], follows: 0 }],
 *   options: { gain: { type: 'float', default: 1, min: 0, help: 'multiplier' } },
 *   create: (o) => frameTransform((f: ImageFrame) => makeFrame('image', f.shape, f.data.map((v) => -o.gain * v), f.meta)),
 * });
 */
export interface FilterDefinition<O extends Record<string, OptionSpec> = Record<string, OptionSpec>> {
  /** `[A-Za-z0-9_]+`, as typed in a graph. */
  name: string;
  /** One line, lower case, no final full stop (ffmpeg's style). */
  description: string;
  /** Input pads; a function when their number depends on the options. */
  inputs: readonly PadSpec[] | ((options: OptionValues<O>) => readonly PadSpec[]);
  outputs: readonly PadSpec[] | ((options: OptionValues<O>) => readonly PadSpec[]);
  /** Options in declaration order: positional values map to them in this order. */
  options: O;
  /** Longer help, printed after the options by `walloc help filter=NAME`. */
  details?: string;
  /** Graph snippets for help and docs. */
  examples?: readonly string[];
  /**
   * Checks that involve several options (`scale` cannot keep the aspect ratio on both sides);
   * returns the problem and the option to blame, or nothing. Runs when the graph is built.
   */
  check?(options: OptionValues<O>): { option: string; reason: string } | undefined;
  /** Builds the stream(s); called once per instance when the graph runs. Method syntax keeps definitions assignable to the registry's wide type. */
  create(options: OptionValues<O>, ctx: FilterContext): FilterInstance | Promise<FilterInstance>;
}

/** A definition with its option types erased, as the registry holds it. */
export type AnyFilterDefinition = FilterDefinition<Record<string, OptionSpec>>;

/**
 * Identity function that infers the option types of a definition, so `create` sees
 * `{ levels: number | undefined; wavelet: 'bior4.4' | 'haar' }` rather than a string map.
 *
 * @example
 * export const wptFilter = defineFilter({ name: 'wpt', description: '…', inputs, outputs, options: { levels: { type: 'int', min: 1, max: 12, help: 'J' } }, create: (o) => wpt(o) });
 */
export function defineFilter<const O extends Record<string, OptionSpec>>(def: FilterDefinition<O>): FilterDefinition<O> {
  return def;
}

/** Pads of a definition for given option values. */
export function padsOf(def: AnyFilterDefinition, options: Record<string, unknown>): { inputs: readonly PadSpec[]; outputs: readonly PadSpec[] } {
  const o = options as OptionValues<Record<string, OptionSpec>>;
  return {
    inputs: typeof def.inputs === 'function' ? def.inputs(o) : def.inputs,
    outputs: typeof def.outputs === 'function' ? def.outputs(o) : def.outputs,
  };
}

// ---------------------------------------------------------------------------------------------
// Option parsing and validation
// ---------------------------------------------------------------------------------------------

/** Where an option came from, for error messages that point into the graph text. */
export interface OptionSource {
  /** The whole graph text; with `pos` on options, errors show a caret under the value. */
  source?: string;
  /** How to name the filter instance in messages (default: the filter name). */
  instance?: string;
}

const BOOL_TRUE = new Set(['1', 'true', 'yes', 'on', 'y', 'enable']);
const BOOL_FALSE = new Set(['0', 'false', 'no', 'off', 'n', 'disable']);

/** Human description of an option's accepted values: `integer in [1, 12]`, `one of webp, png`. */
export function describeOptionType(spec: OptionSpec): string {
  switch (spec.type) {
    case 'int':
    case 'float': {
      const what = spec.type === 'int' ? 'an integer' : 'a number';
      if (spec.min !== undefined && spec.max !== undefined) return `${what} from ${spec.min} to ${spec.max}`;
      if (spec.min !== undefined) return `${what} ≥ ${spec.min}`;
      if (spec.max !== undefined) return `${what} ≤ ${spec.max}`;
      return what;
    }
    case 'bool': return 'a boolean (1, 0, true, false, yes, no, on, off)';
    case 'enum': return spec.list ? `a '|'-separated list of ${spec.choices.join(', ')}` : `one of ${spec.choices.join(', ')}`;
    case 'model': return 'a bundled model name or a model folder path';
    case 'string': return 'a string';
  }
}

/** Levenshtein distance, for "did you mean" hints on misspelt option names. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/**
 * The closest of `candidates` to `name` if it is plausibly a typo (distance ≤ 2, and less than
 * the name's length so that `x` does not "mean" `w`).
 *
 * @example
 * closest('levles', ['levels', 'wavelet']); // 'levels'
 */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(name, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= 2 && bestD < name.length ? best : undefined;
}

/**
 * Builds the coded error for a bad option. With a source text and a position, the reason ends
 * with the graph line and a caret under the offending value (the look of syntax errors).
 */
export function optionError(filter: string, option: string | undefined, reason: string, where: OptionSource = {}, pos?: number): WallocError {
  const err = werr('WALLOC_ERR_FILTER_OPTION', { filter: where.instance ?? filter, option, reason, position: pos });
  return where.source !== undefined && pos !== undefined ? withGraphExcerpt(err, graphSyntaxError(where.source, pos, reason)) : err;
}

/**
 * Parses and checks one option value against its spec (type, range, choices).
 *
 * @example
 * parseOptionValue(wptFilter, 'levels', wptFilter.options.levels, '3'); // 3
 */
export function parseOptionValue(def: AnyFilterDefinition, key: string, spec: OptionSpec, raw: string, where: OptionSource = {}, pos?: number): unknown {
  const bad = (why?: string): never => {
    throw optionError(def.name, key, `option "${key}" must be ${describeOptionType(spec)}, got ${JSON.stringify(raw)}${why ? ` (${why})` : ''}`, where, pos);
  };
  const text = raw.trim();
  switch (spec.type) {
    case 'int':
    case 'float': {
      const re = spec.type === 'int' ? /^[+-]?\d+$/ : /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
      if (!re.test(text)) return bad();
      const v = Number(text);
      if (!Number.isFinite(v) || (spec.type === 'int' && !Number.isSafeInteger(v))) return bad();
      if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) return bad('out of range');
      return v;
    }
    case 'bool': {
      const l = text.toLowerCase();
      if (BOOL_TRUE.has(l)) return true;
      if (BOOL_FALSE.has(l)) return false;
      return bad();
    }
    case 'enum': {
      const items = spec.list ? splitListValue(text) : [text];
      for (const it of items) if (!spec.choices.includes(it)) return bad(closest(it, spec.choices) ? `did you mean "${closest(it, spec.choices)}"?` : undefined);
      return spec.list ? items : items[0];
    }
    case 'model':
      if (text === '') return bad('empty');
      return text;
    case 'string':
      return raw;
  }
}

/**
 * Turns a filter's parsed options (positional values first, then `key=value`) into typed values,
 * following the schema: positional values map to options in declaration order, keys may be an
 * option's name or one of its aliases, every value is checked against its type and range, and
 * absent options get their defaults. Any problem is a `WALLOC_ERR_FILTER_OPTION` naming the filter
 * and the option (with a caret into the graph when `where.source` is given).
 *
 * Stricter than ffmpeg in one way: giving the same option twice (`scale=640:w=320`) is an error,
 * where ffmpeg silently keeps the last value.
 *
 * @example
 * resolveOptions(wptFilter, parseOptions('2:wavelet=haar')); // { levels: 2, wavelet: 'haar' }
 * resolveOptions(wptFilter, parseOptions('levels=99'));
 * // throws: filter "wpt": option "levels" must be an integer from 1 to 12, got "99" (out of range)
 */
export function resolveOptions(def: AnyFilterDefinition, options: readonly FilterOption[], where: OptionSource = {}): Record<string, unknown> {
  const names = Object.keys(def.options);
  const byName = new Map<string, string>();
  for (const n of names) {
    byName.set(n, n);
    for (const a of def.options[n]!.aliases ?? []) byName.set(a, n);
  }
  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  let positional = 0;
  for (const o of options) {
    let key: string;
    if (o.key === undefined) {
      key = names[positional++]!;
      if (key === undefined) {
        throw optionError(def.name, undefined, `too many positional values: ${def.name} takes at most ${names.length} (${names.join(', ') || 'no options'}), got ${JSON.stringify(o.value)} as value ${positional}`, where, o.pos);
      }
    } else {
      const k = byName.get(o.key);
      if (k === undefined) {
        const hint = closest(o.key, [...byName.keys()]);
        const known = names.length ? `; options: ${names.join(', ')}` : '; it takes no options';
        throw optionError(def.name, o.key, `unknown option "${o.key}"${hint ? ` (did you mean "${hint}"?)` : ''}${known}`, where, o.pos);
      }
      key = k;
    }
    if (given.has(key)) throw optionError(def.name, key, `option "${key}" is given twice`, where, o.pos);
    given.add(key);
    values[key] = parseOptionValue(def, key, def.options[key]!, o.value, where, o.pos);
  }
  for (const n of names) {
    const spec = def.options[n]!;
    if (given.has(n)) continue;
    if (spec.default !== undefined) values[n] = spec.type === 'enum' && spec.list ? splitListValue(spec.default) : spec.default;
    else if (spec.required) throw optionError(def.name, n, `option "${n}" is required (${spec.help})`, where, undefined);
  }
  return values;
}

/**
 * Validates the options of one parsed filter node against its definition (see {@link resolveOptions}).
 *
 * @example
 * resolveNodeOptions(wptFilter, parseGraph('wpt=levels=2').chains[0]!.filters[0]!); // { levels: 2, wavelet: 'bior4.4' }
 */
export function resolveNodeOptions(def: AnyFilterDefinition, node: FilterNode, where: OptionSource = {}): Record<string, unknown> {
  return resolveOptions(def, node.options, { ...where, instance: where.instance ?? (node.id === undefined ? node.name : `${node.name}@${node.id}`) });
}
