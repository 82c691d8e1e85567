/**
 * The filter registry, as libavfilter's `allfilters.c`: every built-in filter definition, looked
 * up by name, plus the text generated from the definitions: `walloc filters` (the list),
 * `walloc help filter=NAME` and docs/filters.md. Nothing here is written by hand per filter, so
 * the help, the docs and the parser cannot disagree.
 *
 * @module
 */
import { werr } from '../src/errors.js';
import {
  closest, describeOptionType, padsOf, parseOptionValue, PAD_KIND_LETTER, PAD_KINDS, resolveOptions,
  type AnyFilterDefinition, type OptionSpec, type PadKind, type PadSpec,
} from './definition.js';
import { FILTER_NAME_PATTERN, graphSyntaxError, withGraphExcerpt, type FilterNode, type PadCounts } from './grammar.js';
import { gainFilter, highpassFilter, lowpassFilter, resampleFilter } from './af_webaudio.js';
import { analysisFilter } from './f_analysis.js';
import { cropFilter } from './f_crop.js';
import { dequantizeFilter } from './f_dequantize.js';
import { formatFilter } from './f_format.js';
import { iwptFilter } from './f_iwpt.js';
import { packFilter } from './f_pack.js';
import { quantizeFilter } from './f_quantize.js';
import { scaleFilter } from './f_scale.js';
import { splitFilter } from './f_split.js';
import { synthesisFilter } from './f_synthesis.js';
import { unpackFilter } from './f_unpack.js';
import { wptFilter } from './f_wpt.js';
import { unvqFilter, vqFilter, vqpackFilter, vqunpackFilter } from './f_vq.js';
import { lowrankFilter } from './f_lowrank.js';
import { nullsinkFilter } from './sink_null.js';
import { classifyFilter } from './sink_classify.js';
import { saveFilter } from './sink_save.js';
import { loadFilter } from './src_load.js';

/** Every built-in filter, in the order `walloc filters` lists them: the codec path, then helpers. */
export const BUILTIN_FILTERS: readonly AnyFilterDefinition[] = [
  wptFilter, analysisFilter, quantizeFilter, packFilter,
  unpackFilter, dequantizeFilter, synthesisFilter, iwptFilter,
  vqFilter, vqpackFilter, vqunpackFilter, unvqFilter, lowrankFilter,
  splitFilter, cropFilter, scaleFilter, formatFilter,
  resampleFilter, lowpassFilter, highpassFilter, gainFilter,
  loadFilter, saveFilter, nullsinkFilter, classifyFilter,
] as unknown as readonly AnyFilterDefinition[];

/**
 * Checks a definition for mistakes a test would otherwise find late: a bad name, option names
 * that do not print in a graph, a default outside its own range, aliases that collide.
 */
function checkDefinition(def: AnyFilterDefinition): void {
  const bad = (reason: string): never => {
    throw werr('WALLOC_ERR_INTERNAL', { reason: `filter definition "${def.name}": ${reason}` });
  };
  if (!FILTER_NAME_PATTERN.test(def.name)) bad('name must match [A-Za-z0-9_]+');
  const seen = new Set<string>();
  for (const [name, spec] of Object.entries(def.options)) {
    for (const n of [name, ...(spec.aliases ?? [])]) {
      if (!/^[A-Za-z0-9_]+$/.test(n)) bad(`option name "${n}" must match [A-Za-z0-9_]+`);
      if (seen.has(n)) bad(`option name "${n}" is used twice`);
      seen.add(n);
    }
    if (spec.default !== undefined) {
      try {
        parseOptionValue(def, name, spec, String(spec.default));
      } catch (e) {
        bad(`default of "${name}" is invalid: ${(e as Error).message}`);
      }
    }
  }
}

/**
 * A set of filter definitions by name.
 *
 * @example
 * const registry = new FilterRegistry([...BUILTIN_FILTERS, myFilter]);
 * registry.get('wpt')?.description;
 */
export class FilterRegistry {
  readonly #defs = new Map<string, AnyFilterDefinition>();

  constructor(defs: Iterable<AnyFilterDefinition> = []) {
    for (const d of defs) this.register(d);
  }

  /**
   * Adds a definition; a second filter with the same name is an error.
   *
   * @example
   * registry.register(defineFilter({ name: 'negate', … }) as unknown as AnyFilterDefinition);
   */
  register(def: AnyFilterDefinition): this {
    checkDefinition(def);
    if (this.#defs.has(def.name)) throw werr('WALLOC_ERR_INTERNAL', { reason: `filter "${def.name}" is registered twice` });
    this.#defs.set(def.name, def);
    return this;
  }

  get(name: string): AnyFilterDefinition | undefined {
    return this.#defs.get(name);
  }

  has(name: string): boolean {
    return this.#defs.has(name);
  }

  /** Definitions in registration order. */
  list(): AnyFilterDefinition[] {
    return [...this.#defs.values()];
  }

  /**
   * The definition of `name`, or `WALLOC_ERR_FILTER_UNKNOWN` (with a "did you mean" and, given the
   * graph text and a position, a caret under the name).
   *
   * @example
   * defaultRegistry.require('wtp'); // throws: unknown filter "wtp" (did you mean "wpt"?); run `walloc filters` for the list
   */
  require(name: string, where: { source?: string; position?: number } = {}): AnyFilterDefinition {
    const def = this.#defs.get(name);
    if (def) return def;
    const hint = closest(name, [...this.#defs.keys()]);
    const details: Record<string, unknown> = { filter: name };
    if (hint) details.suggestion = hint;
    const err = werr('WALLOC_ERR_FILTER_UNKNOWN', details);
    // The catalogue's message is fixed; the hint and the caret are appended to it.
    if (hint) err.message += ` (did you mean "${hint}"?)`;
    if (where.source !== undefined && where.position !== undefined) {
      details.position = where.position;
      withGraphExcerpt(err, graphSyntaxError(where.source, where.position, 'unknown filter'));
    }
    throw err;
  }

  /**
   * Real pad counts of a parsed filter node (they may depend on its options, as `split=3`), for
   * `resolveLinks` and `applyDefaultLabels`. Throws for unknown filters and bad options.
   *
   * @example
   * defaultRegistry.padCounts(parseGraph('split=3').chains[0]!.filters[0]!); // { inputs: 1, outputs: 3 }
   */
  padCounts(node: FilterNode): PadCounts {
    const def = this.require(node.name);
    const pads = padsOf(def, resolveOptions(def, node.options));
    return { inputs: pads.inputs.length, outputs: pads.outputs.length };
  }
}

/** The built-in filters. */
export const defaultRegistry = new FilterRegistry(BUILTIN_FILTERS);

// ---------------------------------------------------------------------------------------------
// Generated text
// ---------------------------------------------------------------------------------------------

/** `I|A|V`-style summary of a pad list, `|` for none and `N` when it depends on options. */
function padLetters(def: AnyFilterDefinition, side: 'inputs' | 'outputs'): string {
  if (typeof def[side] === 'function') return 'N';
  const pads = def[side] as readonly PadSpec[];
  if (pads.length === 0) return '|';
  return pads.map((p) => (p.kinds.length === PAD_KINDS.length ? '*' : p.kinds.map((k) => PAD_KIND_LETTER[k]).join(''))).join('+');
}

function kindsText(kinds: readonly PadKind[]): string {
  return kinds.length === PAD_KINDS.length ? 'any' : kinds.join(', ');
}

/**
 * The `walloc filters` list: one line per filter with its pad kinds (ffmpeg's `-filters` layout)
 * and a legend.
 *
 * @example
 * process.stdout.write(filtersList());
 * // Filters:
 * //   wpt          IAV->C    wavelet packet transform: …
 */
export function filtersList(registry: FilterRegistry = defaultRegistry): string {
  const defs = registry.list();
  const width = Math.max(...defs.map((d) => d.name.length)) + 2;
  const rows = defs.map((d) => [d.name, `${padLetters(d, 'inputs')}->${padLetters(d, 'outputs')}`, d.description] as const);
  const kw = Math.max(...rows.map((r) => r[1].length)) + 2;
  const legend = PAD_KINDS.map((k) => `${PAD_KIND_LETTER[k]} ${k}`).join(', ');
  return [
    'Filters:',
    ...rows.map(([n, k, desc]) => `  ${n.padEnd(width)}${k.padEnd(kw)}${desc}`),
    '',
    `Pads: ${legend}; * any kind, | no pad (source or sink), N set by options.`,
    'Run `walloc help filter=NAME` for a filter\'s options.',
    '',
  ].join('\n');
}

function optionLine(name: string, spec: OptionSpec): { left: string; right: string } {
  const names = [name, ...(spec.aliases ?? [])].join(', ');
  const type = spec.type === 'enum' && spec.list ? 'list' : spec.type;
  const bits = [spec.help, `(${describeOptionType(spec)})`];
  if (spec.default !== undefined) bits.push(`(default ${String(spec.default)})`);
  else if (spec.required) bits.push('(required)');
  else if (spec.auto !== undefined) bits.push(`(default: ${spec.auto})`);
  return { left: `${names} <${type}>`, right: bits.join(' ') };
}

/**
 * `walloc help filter=NAME`: the filter's description, pads, options with types, ranges,
 * defaults and help, details and examples, all from its definition.
 *
 * @example
 * process.stdout.write(filterHelp(defaultRegistry.require('wpt')));
 * // Filter wpt
 * //   wavelet packet transform: …
 * //     Inputs:
 * //        #0: default (image, audio, volume)
 */
export function filterHelp(def: AnyFilterDefinition): string {
  const lines = [`Filter ${def.name}`, `  ${def.description}`];
  const pads = (side: 'inputs' | 'outputs'): void => {
    lines.push(`    ${side === 'inputs' ? 'Inputs' : 'Outputs'}:`);
    const p = def[side];
    if (typeof p === 'function') {
      lines.push('        dynamic (depending on the options)');
      const sample = padsOf(def, defaultsOf(def));
      sample[side].forEach((pad, i) => lines.push(`       #${i}: ${pad.name} (${kindsText(pad.kinds)}${pad.follows !== undefined ? ', as input' : ''})`));
    } else if (p.length === 0) lines.push('        none (source filter)'.replace('source', side === 'inputs' ? 'source' : 'sink'));
    else p.forEach((pad, i) => lines.push(`       #${i}: ${pad.name} (${kindsText(pad.kinds)}${pad.follows !== undefined ? ', as input' : ''})`));
  };
  pads('inputs');
  pads('outputs');
  const opts = Object.entries(def.options);
  lines.push('', `${def.name} options${opts.length ? ' (positional values map in this order)' : ''}:`);
  if (opts.length === 0) lines.push('  none');
  else {
    const rows = opts.map(([n, s]) => optionLine(n, s));
    const w = Math.max(...rows.map((r) => r.left.length)) + 2;
    for (const r of rows) lines.push(`  ${r.left.padEnd(w)}${r.right}`);
  }
  if (def.details) lines.push('', ...wrap(def.details, 96).map((l) => `  ${l}`));
  if (def.examples?.length) lines.push('', 'Examples:', ...def.examples.map((e) => `  ${e}`));
  return lines.join('\n') + '\n';
}

function defaultsOf(def: AnyFilterDefinition): Record<string, unknown> {
  try {
    return resolveOptions(def, []);
  } catch {
    // A required option has no default; pads of such filters cannot depend on it.
    return Object.fromEntries(Object.entries(def.options).map(([k, s]) => [k, s.default]));
  }
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

const mdEscape = (s: string): string => s.replace(/\|/g, '\\|');

/**
 * docs/filters.md, generated. A test compares the file with this output, so the docs follow the
 * definitions (regenerate with `WALLOC_UPDATE_DOCS=1 npx tap test/filters/registry.test.ts`).
 *
 * @example
 * fs.writeFileSync('docs/filters.md', filtersMarkdown());
 */
export function filtersMarkdown(registry: FilterRegistry = defaultRegistry): string {
  const lines = [
    '# Filters',
    '',
    '<!-- Generated from the filter definitions by filtersMarkdown() in filters/registry.ts. Do not edit by hand: -->',
    '<!-- run `WALLOC_UPDATE_DOCS=1 npx tap test/filters/registry.test.ts` after changing a definition. -->',
    '',
    'Every filter below can be named in a filter graph (`walloc filter`, see [filtergraph.md](filtergraph.md) for the',
    'syntax) and is built from one declarative definition. `walloc filters` prints this list and',
    '`walloc help filter=NAME` the options of one filter. Options are given as `key=value` pairs or as',
    'positional values in the order listed; a wrong name, type or out-of-range value is a',
    '`WALLOC_ERR_FILTER_OPTION` naming the filter and the option.',
    '',
    'Pad kinds: ' + PAD_KINDS.map((k) => `\`${k}\``).join(', ') + '. `latent` is a continuous (float) latent, `qlatent` a',
    'quantized (int8) one; both are `latent` frames at run time. A link between pads whose kinds cannot',
    'meet is a `WALLOC_ERR_GRAPH_KIND` when the graph is built, before any data flows.',
    '',
    '| filter | inputs | outputs | description |',
    '|---|---|---|---|',
  ];
  const padsMd = (def: AnyFilterDefinition, side: 'inputs' | 'outputs'): string => {
    const p = def[side];
    if (typeof p === 'function') return 'set by options';
    if (p.length === 0) return '—';
    return p.map((pad) => (pad.follows !== undefined ? `as input (${kindsText(pad.kinds)})` : kindsText(pad.kinds))).join('; ');
  };
  for (const d of registry.list()) lines.push(`| [\`${d.name}\`](#${d.name}) | ${padsMd(d, 'inputs')} | ${padsMd(d, 'outputs')} | ${mdEscape(d.description)} |`);
  for (const d of registry.list()) {
    lines.push('', `## ${d.name}`, '', `${d.description[0]!.toUpperCase()}${d.description.slice(1)}.`, '');
    lines.push(`Inputs: ${padsMd(d, 'inputs')}. Outputs: ${padsMd(d, 'outputs')}.`, '');
    const opts = Object.entries(d.options);
    if (opts.length) {
      lines.push('| option | type | default | description |', '|---|---|---|---|');
      for (const [n, s] of opts) {
        const names = [n, ...(s.aliases ?? [])].map((x) => `\`${x}\``).join(', ');
        const def = s.default !== undefined ? `\`${String(s.default)}\`` : s.required ? 'required' : (s.auto ?? '—');
        lines.push(`| ${names} | ${mdEscape(describeOptionType(s))} | ${mdEscape(def)} | ${mdEscape(s.help)} |`);
      }
      lines.push('');
    } else lines.push('No options.', '');
    if (d.details) lines.push(d.details, '');
    if (d.examples?.length) lines.push('```', ...d.examples, '```');
  }
  return lines.join('\n').replace(/\n+$/, '') + '\n';
}
