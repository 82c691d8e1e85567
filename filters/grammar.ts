/**
 * Parser and printer for ffmpeg's filtergraph syntax, following libavfilter's
 * `avfilter_graph_segment_parse()` (graphparser.c, FFmpeg ≥ 6, which `avfilter_graph_parse2()` and
 * the ffmpeg CLI use) and the option splitting of `ff_filter_opt_parse()` / `av_opt_get_key_value()`.
 *
 * The parse tree is purely syntactic: it knows nothing about which filters exist or how many pads
 * they have. {@link applyDefaultLabels} and {@link resolveLinks} add ffmpeg's label conventions
 * once pad counts are known (the graph builder passes them from the filter registry).
 * docs/filtergraph.md describes the grammar, the escaping levels and the few deliberate
 * differences from ffmpeg.
 *
 * @module
 */
import { werr, type WallocError } from '../src/errors.js';
import {
  escapeFilterArgs,
  escapeLabel,
  escapeOptionValue,
  getToken,
  isWhitespace,
  OPTION_KEY_PATTERN,
  type Token,
} from './escape.js';

export {
  escapeFilterArgs,
  escapeLabel,
  escapeOptionValue,
  getToken,
  joinListValue,
  splitListValue,
  unescapeFilterArgs,
  unescapeLabel,
  unescapeOptionValue,
} from './escape.js';

// ---------------------------------------------------------------------------------------------
// Parse tree
// ---------------------------------------------------------------------------------------------

/** One `key=value` or positional option of a filter; `value` is fully unescaped. */
export interface FilterOption {
  /** Absent for a positional value (`fade=in:0:30` has three). */
  key?: string;
  value: string;
  /** Index in the graph source where the option starts (absent on built graphs). */
  pos?: number;
}

/** Source positions of one filter, for error messages. Indices are 0-based UTF-16 offsets. */
export interface FilterPositions {
  /** From the first input label (or the name) to the end of the last output label. */
  start: number;
  end: number;
  /** Where the name token starts. */
  name: number;
  /** Where the argument text starts (after `=` and whitespace), if there is one. */
  args?: number;
  /** Index of each input label's `[`. */
  inputs: number[];
  /** Index of each output label's `[`. */
  outputs: number[];
}

/** `[in1][in2]name@id=args[out1][out2]` */
export interface FilterNode {
  /** `[A-Za-z0-9_]+`. */
  name: string;
  /** Instance id after `@`: `[A-Za-z0-9_.-]+`. */
  id?: string;
  /** Input link labels in pad order, unescaped. */
  inputs: string[];
  /** Output link labels in pad order, unescaped. */
  outputs: string[];
  /**
   * The argument string after `=`, after level-2 unescaping (what ffmpeg passes to the filter).
   * Informational: {@link printGraph} prints `options`, and prints `=` whenever `args` is defined
   * or `options` is non-empty. Built graphs should use `formatOptions(options)` (see {@link makeFilter}).
   */
  args?: string;
  /** The argument string split into options: positional values first, then `key=value` pairs. */
  options: FilterOption[];
  /** Source positions (absent on built graphs; ignored by {@link stripPositions}-based comparisons). */
  pos?: FilterPositions;
}

/** Filters separated by `,`: each unlabelled output feeds the next filter's first unlabelled input. */
export interface Chain {
  filters: FilterNode[];
}

/** Chains separated by `;`, optionally preceded by `sws_flags=FLAGS;`. */
export interface Graph {
  /** The raw text between `sws_flags=` and the first `;` (ffmpeg does not unescape it). */
  swsFlags?: string;
  chains: Chain[];
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** Longest excerpt of a graph line shown in an error message before it is cropped around the caret. */
const EXCERPT_WIDTH = 100;

/**
 * Builds the `WALLOC_ERR_GRAPH_SYNTAX` error for `source` at `position`: the message shows the
 * line of the graph that holds the position and a caret under the offending character. Exported
 * so later stages (unknown filter, bad option) can point into the same text with the same look.
 *
 * @example
 * graphSyntaxError('scale=1]', 7, "expected ',' or ';' or end of graph").message;
 * // filter graph syntax error at character 7: expected ',' or ';' or end of graph
 * //   scale=1]
 * //          ^
 */
export function graphSyntaxError(source: string, position: number, reason: string, expected?: string): WallocError {
  const lineStart = source.lastIndexOf('\n', position - 1) + 1;
  let lineEnd = source.indexOf('\n', position);
  if (lineEnd < 0) lineEnd = source.length;
  const lineNo = countNewlines(source, lineStart) + 1;
  // Work in code points so a caret under text with emoji still lines up in a terminal.
  const before = Array.from(source.slice(lineStart, position));
  const after = Array.from(source.slice(position, lineEnd));
  let left = before;
  let prefix = '';
  let suffix = '';
  if (before.length + after.length > EXCERPT_WIDTH) {
    const keepBefore = Math.min(before.length, EXCERPT_WIDTH / 2);
    if (keepBefore < before.length) {
      left = before.slice(before.length - keepBefore);
      prefix = '…';
    }
    const keepAfter = EXCERPT_WIDTH - keepBefore;
    if (after.length > keepAfter) suffix = '…';
  }
  const right = after.slice(0, EXCERPT_WIDTH - left.length);
  // Tabs and carriage returns would break the caret alignment; other control characters would
  // garble the terminal. Show both as visible stand-ins.
  const visible = (cs: string[]): string =>
    cs.map((c) => (c === '\t' || c === '\r' ? ' ' : c < ' ' || c === '\x7f' ? '·' : c)).join('');
  const excerpt = prefix + visible(left) + visible(right) + suffix;
  const caret = ' '.repeat(Array.from(prefix).length + left.length) + '^';
  const multiline = source.includes('\n');
  const where = multiline ? ` (line ${lineNo}, column ${before.length + 1})` : '';
  return werr('WALLOC_ERR_GRAPH_SYNTAX', {
    position,
    reason: reason + where,
    graph: excerpt,
    caret,
    line: lineNo,
    column: before.length + 1,
    expected,
    source,
  });
}

/**
 * Appends the graph line and its caret from `at` (a {@link graphSyntaxError}) to another coded
 * error's message: unknown filters, bad options and bad links point into the graph with the look of
 * syntax errors. Appended after rendering, as the display's line breaks are its layout (values in
 * a message have theirs escaped).
 *
 * @example
 * throw withGraphExcerpt(werr('WALLOC_ERR_GRAPH_LINK', { reason }), graphSyntaxError(source, pos, reason));
 */
export function withGraphExcerpt(err: WallocError, at: WallocError): WallocError {
  err.message += `\n  ${String(at.details.graph)}\n  ${String(at.details.caret)}`;
  return err;
}

function countNewlines(s: string, until: number): number {
  let count = 0;
  for (let i = s.indexOf('\n'); i >= 0 && i < until; i = s.indexOf('\n', i + 1)) count++;
  return count;
}

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

/** Filter names as in ffmpeg's documented BNF: `NAME ::= [A-Za-z0-9_]+`. */
export const FILTER_NAME_PATTERN = /^[A-Za-z0-9_]+$/;
/** Instance ids: ffmpeg takes anything after the first `@`; walloc keeps them printable raw. */
export const FILTER_ID_PATTERN = /^[A-Za-z0-9_.-]+$/;

const describe = (c: string | undefined): string => (c === undefined ? 'end of graph' : c === '\n' ? 'a newline' : `'${c}'`);

/**
 * Parses a filtergraph description into a {@link Graph}. Throws `WALLOC_ERR_GRAPH_SYNTAX` with
 * the 0-based character position, what was expected and a caret display.
 *
 * @example
 * const g = parseGraph('[in]scale=w=iw/2:h=-1[half]; [half]drawtext=text=a\\\\\\: b[out]');
 * g.chains[0].filters[0].options; // [{ key: 'w', value: 'iw/2', pos: 10 }, { key: 'h', value: '-1', pos: 17 }]
 * g.chains[1].filters[0].options[0].value; // 'a: b'
 */
export function parseGraph(source: string): Graph {
  return new Parser(source).graph();
}

class Parser {
  private p = 0;
  /** Index just after the `]` of the label read last (for {@link FilterPositions.end}). */
  private lastLabelEnd = 0;
  constructor(private readonly src: string) {}

  private fail(position: number, reason: string, expected?: string): never {
    throw graphSyntaxError(this.src, position, reason, expected);
  }

  private skipWs(): void {
    while (this.p < this.src.length && isWhitespace(this.src[this.p])) this.p++;
  }

  /** av_get_token plus walloc's one refusal: an unterminated quote is an error, not "to the end". */
  private token(terminators: string): Token {
    const tok = getToken(this.src, this.p, terminators);
    if (tok.unterminatedQuote !== undefined) this.fail(tok.unterminatedQuote, "unterminated quote: missing closing '", "'");
    this.p = tok.end;
    return tok;
  }

  graph(): Graph {
    const src = this.src;
    const nul = src.indexOf('\0');
    // A C string would end here; refusing is clearer than silently dropping the rest.
    if (nul >= 0) this.fail(nul, 'NUL character is not allowed in a filter graph');
    this.skipWs();
    let swsFlags: string | undefined;
    // parse_sws_flags: a literal, case-sensitive prefix; the flags run raw to the first ';'.
    if (src.startsWith('sws_flags=', this.p)) {
      const semi = src.indexOf(';', this.p);
      if (semi < 0) this.fail(this.p, "sws_flags=… must be terminated by ';'", "';'");
      swsFlags = src.slice(this.p + 'sws_flags='.length, semi);
      this.p = semi + 1;
      this.skipWs();
    }
    if (this.p >= src.length) this.fail(this.p, 'empty filter graph: expected a filter name', 'a filter name');
    const chains: Chain[] = [];
    while (this.p < src.length) {
      chains.push(this.chain());
      this.skipWs();
    }
    return swsFlags === undefined ? { chains } : { swsFlags, chains };
  }

  /** chain_parse: filters separated by ','; a ';' (or the end) closes the chain. */
  private chain(): Chain {
    const src = this.src;
    const filters: FilterNode[] = [];
    while (this.p < src.length) {
      filters.push(this.filter());
      const c = src[this.p];
      if (c !== undefined && c !== ',' && c !== ';') {
        this.fail(this.p, `expected ',' or ';' or end of graph, found ${describe(c)}`, "',' or ';' or end of graph");
      }
      if (c !== undefined) {
        this.p++;
        this.skipWs();
        // ffmpeg accepts a trailing ',' or ';' (the loop simply ends); so does walloc.
        if (c === ';') break;
      }
    }
    return { filters };
  }

  /** filter_parse: [labels] name[@id] [= args] [labels], then whitespace. */
  private filter(): FilterNode {
    const src = this.src;
    const start = this.p;
    const inputPos: number[] = [];
    const inputs = this.labels(inputPos);
    const nameTok = this.token('=,;[');
    if (nameTok.value === '') {
      const c = src[nameTok.start];
      const found = c === undefined ? '' : `, found ${describe(c)}`;
      this.fail(nameTok.start, `expected a filter name${found}`, 'a filter name');
    }
    const at = nameTok.value.indexOf('@');
    const name = at < 0 ? nameTok.value : nameTok.value.slice(0, at);
    const id = at < 0 ? undefined : nameTok.value.slice(at + 1);
    if (!FILTER_NAME_PATTERN.test(name)) {
      this.fail(
        nameTok.start,
        name === ''
          ? "expected a filter name before '@'"
          : `invalid filter name "${name}": names are letters, digits and '_'`,
        'a filter name',
      );
    }
    if (id !== undefined && !FILTER_ID_PATTERN.test(id)) {
      const idPos = nameTok.sourceIndex[at] !== undefined ? nameTok.sourceIndex[at]! + 1 : nameTok.start;
      this.fail(
        idPos,
        id === '' ? "expected an instance id after '@'" : `invalid instance id "${id}": ids are letters, digits, '_', '.' and '-'`,
        'an instance id',
      );
    }
    const node: FilterNode = { name, inputs, outputs: [], options: [] };
    if (id !== undefined) node.id = id;
    const pos: FilterPositions = { start, end: nameTok.contentEnd, name: nameTok.start, inputs: inputPos, outputs: [] };
    if (src[this.p] === '=') {
      this.p++;
      pos.end = this.p;
      const argsTok = this.token('[],;');
      pos.end = Math.max(pos.end, argsTok.contentEnd);
      node.args = argsTok.value;
      pos.args = argsTok.start;
      node.options = this.options(argsTok.value, argsTok.sourceIndex, argsTok.end);
    }
    node.outputs = this.labels(pos.outputs);
    if (node.outputs.length > 0) pos.end = this.lastLabelEnd;
    node.pos = pos;
    this.skipWs();
    return node;
  }

  /** linklabels_parse: `[label]` repeated, whitespace allowed between them. */
  private labels(positions: number[]): string[] {
    const src = this.src;
    const labels: string[] = [];
    while (src[this.p] === '[') {
      const open = this.p;
      this.p++;
      const tok = this.token(']');
      if (src[this.p] !== ']') this.fail(open, "unterminated label '[': missing ']'", "']'");
      if (tok.value === '') this.fail(open, 'empty label', 'a label name');
      this.p++;
      this.lastLabelEnd = this.p;
      labels.push(tok.value);
      positions.push(open);
      this.skipWs();
    }
    return labels;
  }

  /** Level-1 option splitting with positions mapped back into the graph source. */
  private options(args: string, map: readonly number[], fallback: number): FilterOption[] {
    return splitOptions(args, (i) => (i < map.length ? map[i]! : fallback), (at, reason, expected) =>
      this.fail(at, reason, expected),
    );
  }
}

type Fail = (position: number, reason: string, expected?: string) => never;

/**
 * ff_filter_opt_parse without a filter schema: each `:`-separated item is `key=value` when
 * `get_key()` finds key characters (`[A-Za-z0-9_./-]`, surrounded by optional whitespace) before an
 * `=`, otherwise a positional value. Once a key has been seen ffmpeg drops the remaining
 * shorthand (positional) slots, so a later positional value is always an error there; it is one here.
 */
function splitOptions(args: string, at: (i: number) => number, fail: Fail): FilterOption[] {
  const n = args.length;
  const options: FilterOption[] = [];
  let sawKey = false;
  let p = 0;
  while (p < n) {
    let q = p;
    while (q < n && isWhitespace(args[q])) q++;
    const keyStart = q;
    while (q < n && /[A-Za-z0-9_./-]/.test(args[q]!)) q++;
    const keyEnd = q;
    while (q < n && isWhitespace(args[q])) q++;
    let key: string | undefined;
    if (args[q] === '=') {
      key = args.slice(keyStart, keyEnd);
      if (key === '') fail(at(q), "expected an option name before '='", 'an option name');
      p = q + 1;
      sawKey = true;
    } else if (sawKey) {
      fail(
        at(keyStart),
        "positional value after a key=value option (a ':' inside a value must be escaped as \\: — quoting at the graph level does not protect it)",
        'key=value',
      );
    }
    const tok = getToken(args, p, ':');
    if (tok.unterminatedQuote !== undefined) fail(at(tok.unterminatedQuote), "unterminated quote: missing closing '", "'");
    options.push(key === undefined ? { value: tok.value, pos: at(keyStart) } : { key, value: tok.value, pos: at(keyStart) });
    p = tok.end;
    if (p < n) p++; // the ':'
  }
  return options;
}

/**
 * Splits a level-1 argument string (`w=iw/2:h=-1`, what a filter receives) into options, exactly
 * as the graph parser does. Errors are `WALLOC_ERR_GRAPH_SYNTAX` with positions inside `args`.
 *
 * @example
 * parseOptions('in:0:30');            // [{ value: 'in', pos: 0 }, { value: '0', pos: 3 }, { value: '30', pos: 5 }]
 * parseOptions("text=\\'hi\\'\\: you"); // [{ key: 'text', value: "'hi': you", pos: 0 }]
 */
export function parseOptions(args: string): FilterOption[] {
  return splitOptions(args, (i) => i, (position, reason, expected) => {
    throw graphSyntaxError(args, position, reason, expected);
  });
}

// ---------------------------------------------------------------------------------------------
// Printer
// ---------------------------------------------------------------------------------------------

const invalid = (reason: string): WallocError => werr('WALLOC_ERR_INVALID_ARGUMENT', { reason });

/**
 * Formats options as a level-1 argument string (the inverse of {@link parseOptions}): positional
 * values first, then `key=value`, each value escaped with {@link escapeOptionValue}. Throws
 * `WALLOC_ERR_INVALID_ARGUMENT` for a positional value after a keyed one or a malformed key.
 *
 * @example
 * formatOptions([{ value: 'in' }, { value: '0' }, { key: 'nb_frames', value: '30' }]); // 'in:0:nb_frames=30'
 * formatOptions([{ key: 'text', value: "it's 5:00" }]);  // "text=it\\'s 5\\:00"
 */
export function formatOptions(options: readonly FilterOption[]): string {
  let sawKey = false;
  const parts: string[] = [];
  for (const o of options) {
    if (o.key === undefined) {
      if (sawKey) throw invalid(`positional value "${o.value}" cannot follow a key=value option`);
      parts.push(escapeOptionValue(o.value, { positional: true }));
    } else {
      if (!OPTION_KEY_PATTERN.test(o.key)) throw invalid(`option name "${o.key}" must match [A-Za-z0-9_./-]+`);
      sawKey = true;
      // `k=` alone already means the empty string, so it needs no quotes.
      parts.push(`${o.key}=${o.value === '' ? '' : escapeOptionValue(o.value)}`);
    }
  }
  return parts.join(':');
}

function printFilter(f: FilterNode, mustDodgeSwsFlags: boolean): string {
  if (!FILTER_NAME_PATTERN.test(f.name)) throw invalid(`filter name "${f.name}" must match [A-Za-z0-9_]+`);
  if (f.id !== undefined && !FILTER_ID_PATTERN.test(f.id)) throw invalid(`instance id "${f.id}" must match [A-Za-z0-9_.-]+`);
  const hasArgs = f.args !== undefined || f.options.length > 0;
  let name = f.id === undefined ? f.name : `${f.name}@${f.id}`;
  // A graph that starts with `sws_flags=` is read as the scaler-flags prefix; quoting the name
  // (av_get_token drops the quotes) keeps a filter that happens to be called sws_flags a filter.
  if (mustDodgeSwsFlags && f.name === 'sws_flags' && f.id === undefined && f.inputs.length === 0 && hasArgs) {
    name = `'${name}'`;
  }
  let s = f.inputs.map((l) => `[${escapeLabel(l)}]`).join('') + name;
  if (hasArgs) s += `=${escapeFilterArgs(formatOptions(f.options))}`;
  return s + f.outputs.map((l) => `[${escapeLabel(l)}]`).join('');
}

/**
 * Prints a graph in canonical form (no optional whitespace, minimal escaping) such that
 * `parseGraph(printGraph(g))` equals `g` up to positions (and `args`, which is re-derived from
 * `options`). Throws `WALLOC_ERR_INVALID_ARGUMENT` for graphs that have no textual form (empty
 * chains, bad names, `;` in sws_flags, NUL characters).
 *
 * @example
 * printGraph({ chains: [{ filters: [makeFilter({ name: 'drawtext', options: { text: "it's 5:00, ok" } })] }] });
 * // "drawtext=text=it\\\\\\'s 5\\\\:00\\, ok"
 */
export function printGraph(graph: Graph): string {
  if (graph.chains.length === 0) throw invalid('a filter graph needs at least one chain');
  let s = '';
  if (graph.swsFlags !== undefined) {
    if (graph.swsFlags.includes(';') || graph.swsFlags.includes('\0')) {
      throw invalid("sws_flags cannot contain ';' or NUL (ffmpeg ends it at the first ';')");
    }
    s = `sws_flags=${graph.swsFlags};`;
  }
  s += graph.chains
    .map((chain, ci) => {
      if (chain.filters.length === 0) throw invalid(`chain ${ci} has no filters`);
      return chain.filters.map((f, fi) => printFilter(f, graph.swsFlags === undefined && ci === 0 && fi === 0)).join(',');
    })
    .join(';');
  return s;
}

// ---------------------------------------------------------------------------------------------
// Construction and comparison helpers
// ---------------------------------------------------------------------------------------------

/**
 * Builds a {@link FilterNode} with `args` derived from `options` (so the node round-trips through
 * {@link printGraph} and {@link parseGraph} exactly). An options record becomes `key=value` pairs in
 * insertion order; numbers and booleans are converted with `String()`.
 *
 * @example
 * makeFilter({ name: 'scale', id: 's1', inputs: ['in'], outputs: ['out'], options: { w: 640, h: -1 } });
 * // { name: 'scale', id: 's1', inputs: ['in'], outputs: ['out'], args: 'w=640:h=-1', options: [{key:'w',value:'640'}, …] }
 */
export function makeFilter(spec: {
  name: string;
  id?: string;
  inputs?: string[];
  outputs?: string[];
  options?: FilterOption[] | Record<string, string | number | boolean>;
}): FilterNode {
  const options: FilterOption[] = Array.isArray(spec.options)
    ? spec.options.map((o) => (o.key === undefined ? { value: o.value } : { key: o.key, value: o.value }))
    : Object.entries(spec.options ?? {}).map(([key, value]) => ({ key, value: String(value) }));
  const node: FilterNode = { name: spec.name, inputs: [...(spec.inputs ?? [])], outputs: [...(spec.outputs ?? [])], options };
  if (spec.id !== undefined) node.id = spec.id;
  if (options.length > 0) node.args = formatOptions(options);
  return node;
}

/**
 * A deep copy of `graph` without source positions, for comparing parse trees.
 *
 * @example
 * stripPositions(parseGraph(' scale = 1 ')); // { chains: [{ filters: [{ name: 'scale', inputs: [], outputs: [], args: '1', options: [{ value: '1' }] }] }] }
 */
export function stripPositions(graph: Graph): Graph {
  const chains = graph.chains.map((c) => ({
    filters: c.filters.map((f) => {
      const node: FilterNode = {
        name: f.name,
        inputs: [...f.inputs],
        outputs: [...f.outputs],
        options: f.options.map((o) => (o.key === undefined ? { value: o.value } : { key: o.key, value: o.value })),
      };
      if (f.id !== undefined) node.id = f.id;
      if (f.args !== undefined) node.args = f.args;
      return node;
    }),
  }));
  return graph.swsFlags === undefined ? { chains } : { swsFlags: graph.swsFlags, chains };
}

// ---------------------------------------------------------------------------------------------
// Default labels and implicit links
// ---------------------------------------------------------------------------------------------

/** Number of input and output pads of a filter instance (from the filter registry). */
export interface PadCounts {
  inputs: number;
  outputs: number;
}

/** Returns a filter's pad counts; the graph builder answers from the registry. */
export type PadCounter = (filter: FilterNode) => PadCounts;

/**
 * The guess used when no registry is at hand: as many pads as labels, and at least one of each.
 * Wrong for sources and sinks, which is why the graph builder passes real counts.
 *
 * @example
 * defaultPadCounts(makeFilter({ name: 'overlay', inputs: ['a', 'b'] })); // { inputs: 2, outputs: 1 }
 */
export function defaultPadCounts(filter: FilterNode): PadCounts {
  return { inputs: Math.max(1, filter.inputs.length), outputs: Math.max(1, filter.outputs.length) };
}

/**
 * ffmpeg's default `in`/`out` labels, as `avfilter_graph_parse_ptr()` applies them: the very first
 * filter of the graph (chain 0, filter 0) gets input label `in` if it has no input labels and
 * exactly one input pad; the very last filter of the graph (last chain, last filter) gets `out`
 * on its first unlabelled output pad, if it has one. Nothing else is named: unlabelled pads of
 * other chains stay unlabelled (they are open pads for the caller to bind, see {@link resolveLinks}).
 * Returns a new graph; `graph` is not modified.
 *
 * @example
 * const g = applyDefaultLabels(parseGraph('scale=640:-1,hflip'));
 * g.chains[0].filters[0].inputs;  // ['in']
 * g.chains[0].filters[1].outputs; // ['out']
 */
export function applyDefaultLabels(graph: Graph, pads: PadCounter = defaultPadCounts): Graph {
  const chains = graph.chains.map((c) => ({ filters: c.filters.map((f) => ({ ...f, inputs: [...f.inputs], outputs: [...f.outputs] })) }));
  const first = chains[0]?.filters[0];
  if (first && first.inputs.length === 0 && pads(first).inputs === 1) first.inputs.push('in');
  const lastChain = chains[chains.length - 1];
  const last = lastChain?.filters[lastChain.filters.length - 1];
  if (last && last.outputs.length < pads(last).outputs) last.outputs.push('out');
  return graph.swsFlags === undefined ? { chains } : { swsFlags: graph.swsFlags, chains };
}

/** A pad of a filter: chain index, filter index within the chain, pad index. */
export interface PadRef {
  chain: number;
  filter: number;
  pad: number;
}

/** A connection between an output pad and an input pad. `label` is absent for implicit chain links. */
export interface ResolvedLink {
  from: PadRef;
  to: PadRef;
  label?: string;
}

/** A pad left unconnected after resolution, with its label if it had one. */
export interface OpenPad extends PadRef {
  label?: string;
}

/** Every link of a graph made explicit, plus the pads still open (graph inputs and outputs). */
export interface ResolvedGraph {
  links: ResolvedLink[];
  openInputs: OpenPad[];
  openOutputs: OpenPad[];
}

/**
 * Makes every link explicit, following `avfilter_graph_segment_link()`: filters are visited in
 * order; an input label links to the first not-yet-linked output pad with the same label at or
 * after this filter (earlier ones were already matched from the other side); an output label
 * likewise to an input; an unlabelled output links to the next filter's first free unlabelled
 * input in the same chain (only the next filter is tried). Everything else is open: unlabelled
 * open pads are what ffmpeg binds to streams (or names `in`/`out`, see {@link applyDefaultLabels}).
 * Throws `WALLOC_ERR_GRAPH_LINK` when a filter has more labels than pads.
 *
 * @example
 * resolveLinks(parseGraph('split[a][b];[a]hflip[c];[b][c]hstack'), (f) =>
 *   ({ split: { inputs: 1, outputs: 2 }, hflip: { inputs: 1, outputs: 1 }, hstack: { inputs: 2, outputs: 1 } })[f.name]!);
 * // links (in the order made): split:0→hflip:0 'a', split:1→hstack:0 'b', hflip:0→hstack:1 'c'
 * // openInputs: [split pad 0]; openOutputs: [hstack pad 0]
 */
export function resolveLinks(graph: Graph, pads: PadCounter = defaultPadCounts): ResolvedGraph {
  const counts = graph.chains.map((c) => c.filters.map((f) => pads(f)));
  const key = (r: PadRef): string => `${r.chain}/${r.filter}/${r.pad}`;
  const linkedIn = new Set<string>();
  const linkedOut = new Set<string>();
  const links: ResolvedLink[] = [];
  const openInputs: OpenPad[] = [];
  const openOutputs: OpenPad[] = [];

  graph.chains.forEach((chain, ci) =>
    chain.filters.forEach((f, fi) => {
      const c = counts[ci]![fi]!;
      const who = `filter "${f.id === undefined ? f.name : `${f.name}@${f.id}`}" (chain ${ci}, filter ${fi})`;
      if (f.inputs.length > c.inputs) {
        throw werr('WALLOC_ERR_GRAPH_LINK', { reason: `${who} has ${c.inputs} input pad(s) but ${f.inputs.length} input labels` });
      }
      if (f.outputs.length > c.outputs) {
        throw werr('WALLOC_ERR_GRAPH_LINK', { reason: `${who} has ${c.outputs} output pad(s) but ${f.outputs.length} output labels` });
      }
    }),
  );

  /** find_linklabel: first free pad with `label` at or after (ci, fi), scanning in graph order. */
  const find = (label: string, output: boolean, ci: number, fi: number): PadRef | undefined => {
    for (let c = ci; c < graph.chains.length; c++) {
      const filters = graph.chains[c]!.filters;
      for (let f = c === ci ? fi : 0; f < filters.length; f++) {
        const labels = output ? filters[f]!.outputs : filters[f]!.inputs;
        const n = Math.min(labels.length, output ? counts[c]![f]!.outputs : counts[c]![f]!.inputs);
        for (let pad = 0; pad < n; pad++) {
          const ref = { chain: c, filter: f, pad };
          if (labels[pad] === label && !(output ? linkedOut : linkedIn).has(key(ref))) return ref;
        }
      }
    }
    return undefined;
  };
  const link = (from: PadRef, to: PadRef, label?: string): void => {
    linkedOut.add(key(from));
    linkedIn.add(key(to));
    links.push(label === undefined ? { from, to } : { from, to, label });
  };

  graph.chains.forEach((chain, ci) =>
    chain.filters.forEach((f, fi) => {
      const c = counts[ci]![fi]!;
      for (let pad = 0; pad < c.inputs; pad++) {
        const here = { chain: ci, filter: fi, pad };
        if (linkedIn.has(key(here))) continue;
        const label = f.inputs[pad];
        if (label !== undefined) {
          const from = find(label, true, ci, fi);
          if (from) {
            link(from, here, label);
            continue;
          }
        }
        openInputs.push(label === undefined ? here : { ...here, label });
      }
      out: for (let pad = 0; pad < c.outputs; pad++) {
        const here = { chain: ci, filter: fi, pad };
        if (linkedOut.has(key(here))) continue;
        const label = f.outputs[pad];
        if (label !== undefined) {
          const to = find(label, false, ci, fi);
          if (to) {
            link(here, to, label);
            continue;
          }
        } else if (fi + 1 < chain.filters.length) {
          const next = chain.filters[fi + 1]!;
          const nIn = counts[ci]![fi + 1]!.inputs;
          for (let inPad = next.inputs.length; inPad < nIn; inPad++) {
            const to = { chain: ci, filter: fi + 1, pad: inPad };
            if (!linkedIn.has(key(to))) {
              link(here, to);
              continue out;
            }
          }
        }
        openOutputs.push(label === undefined ? here : { ...here, label });
      }
    }),
  );
  return { links, openInputs, openOutputs };
}
