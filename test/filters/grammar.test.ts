// ffmpeg filtergraph grammar: parse trees for the documented examples, escaping, whitespace,
// error positions, default labels, implicit links, round-trip properties, and a differential
// check against a real ffmpeg binary when one is installed.
import t from 'tap';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  applyDefaultLabels,
  formatOptions,
  makeFilter,
  parseGraph,
  parseOptions,
  printGraph,
  resolveLinks,
  stripPositions,
  type FilterNode,
  type FilterOption,
  type Graph,
  type PadCounts,
} from '../../filters/grammar.js';
import { isWallocError, type WallocError } from '../../src/errors.js';

const bare = (s: string): Graph => stripPositions(parseGraph(s));
const f = (name: string, rest: Partial<FilterNode> = {}): FilterNode => ({ name, inputs: [], outputs: [], options: [], ...rest });
const kv = (key: string, value: string): FilterOption => ({ key, value });
const pv = (value: string): FilterOption => ({ value });

/** Parse expecting a syntax error; returns it. */
const syntaxError = (s: string): WallocError => {
  try {
    parseGraph(s);
  } catch (e) {
    if (isWallocError(e, 'WALLOC_ERR_GRAPH_SYNTAX')) return e;
    throw e;
  }
  throw new Error(`expected a syntax error for ${JSON.stringify(s)}`);
};

t.test('documented examples parse to the expected trees', (tt) => {
  // filters.texi, "Filtergraph description" example.
  tt.same(bare('split [main][tmp]; [tmp] crop=iw:ih/2:0:0, vflip [flip]; [main][flip] overlay=0:H/2'), {
    chains: [
      { filters: [f('split', { outputs: ['main', 'tmp'] })] },
      {
        filters: [
          f('crop', { inputs: ['tmp'], args: 'iw:ih/2:0:0', options: [pv('iw'), pv('ih/2'), pv('0'), pv('0')] }),
          f('vflip', { outputs: ['flip'] }),
        ],
      },
      { filters: [f('overlay', { inputs: ['main', 'flip'], args: '0:H/2', options: [pv('0'), pv('H/2')] })] },
    ],
  });
  tt.same(bare('nullsrc, split[L1], [L2]overlay, nullsink'), {
    chains: [{ filters: [f('nullsrc'), f('split', { outputs: ['L1'] }), f('overlay', { inputs: ['L2'] }), f('nullsink')] }],
  });
  // Positional then keyed (filters.texi: "fade=in:0:30" and mixing).
  tt.same(bare('fade=in:0:nb_frames=30').chains[0]!.filters[0]!.options, [pv('in'), pv('0'), kv('nb_frames', '30')]);
  tt.same(bare('[in]scale=w=iw/2:h=-1[out]').chains[0]!.filters[0], f('scale', {
    inputs: ['in'], outputs: ['out'], args: 'w=iw/2:h=-1', options: [kv('w', 'iw/2'), kv('h', '-1')],
  }));
  // Lists stay in the value.
  tt.same(bare('format=pix_fmts=yuv420p|rgb24').chains[0]!.filters[0]!.options, [kv('pix_fmts', 'yuv420p|rgb24')]);
  // Instance ids, and an '@' inside a value is just a character.
  tt.same(bare('drawbox@box1=color=red@0.5').chains[0]!.filters[0], f('drawbox', {
    id: 'box1', args: 'color=red@0.5', options: [kv('color', 'red@0.5')],
  }));
  // Stream-specifier labels as used with -filter_complex.
  tt.same(bare('[0:v][1:v]overlay=10:10[v]').chains[0]!.filters[0]!.inputs, ['0:v', '1:v']);
  tt.same(bare('sws_flags=bicubic+accurate_rnd;scale=320:240'), {
    swsFlags: 'bicubic+accurate_rnd',
    chains: [{ filters: [f('scale', { args: '320:240', options: [pv('320'), pv('240')] })] }],
  });
  tt.end();
});

t.test('the documented drawtext escaping example', (tt) => {
  const value = "this is a 'string': may contain one, or more, special characters";
  const level2 = "drawtext=text=this is a \\\\\\'string\\\\\\'\\\\: may contain one\\, or more\\, special characters";
  const g = parseGraph(level2);
  const node = g.chains[0]!.filters[0]!;
  tt.equal(node.args, "text=this is a \\'string\\'\\: may contain one, or more, special characters", 'level 1');
  tt.same(node.options.map((o) => [o.key, o.value]), [['text', value]], 'original value');
  tt.equal(printGraph({ chains: [{ filters: [makeFilter({ name: 'drawtext', options: { text: value } })] }] }), level2,
    'the printer produces exactly the documented string');
  tt.end();
});

t.test('quoting and escaping at both levels', (tt) => {
  const value = (s: string): string => parseGraph(s).chains[0]!.filters[0]!.options[0]!.value;
  // Quotes at level 2 protect level-2 characters; the backslash survives for level 1.
  tt.equal(value("select='eq(pict_type\\,I)'"), 'eq(pict_type,I)');
  tt.equal(value('select=eq(pict_type\\,I)'), 'eq(pict_type,I)');
  tt.equal(value("drawtext=text='a\\:b'"), 'a:b', 'level-1 escape inside level-2 quotes');
  tt.equal(value("drawtext=text='a, b; [c]'"), 'a, b; [c]');
  // Quoting at level 1 needs the quotes escaped at level 2.
  tt.equal(value("drawtext=text=\\'a:b\\'"), 'a:b');
  // 'Crime d'\''Amour' as a level-1 value, escaped once more for the graph.
  tt.equal(value("drawtext=text=\\'Crime d\\'\\\\\\'\\'Amour\\'"), "Crime d'Amour");
  tt.equal(value('drawtext=text=a\\\\\\\\b'), 'a\\b', 'a literal backslash takes four');
  tt.equal(value('movie=a\\\\\\,b.mp4'), 'a,b.mp4', 'three backslashes before a comma in a movie path');
  tt.equal(value('drawtext=text=  padded  '), 'padded', 'unprotected whitespace is stripped');
  tt.equal(value('drawtext=text=\\\\\\  padded \\\\\\ '), '  padded  ', 'escaped at both levels it survives');
  tt.equal(value('drawtext=text=\\\\\\ \\ padded\\\\\\ \\ '), '  padded ', 'an escape only protects what is before it');
  tt.equal(value('a=b=c'), 'c');
  tt.same(parseGraph('a=b=c').chains[0]!.filters[0]!.options, [{ key: 'b', value: 'c', pos: 2 }]);
  tt.same(parseGraph('a=b\\\\=c').chains[0]!.filters[0]!.options.map((o) => [o.key, o.value]), [[undefined, 'b=c']],
    'an escaped = makes a positional value');
  tt.same(parseGraph('a=k = v').chains[0]!.filters[0]!.options.map((o) => [o.key, o.value]), [['k', 'v']],
    'get_key allows whitespace around =');
  tt.same(parseGraph('a=x:').chains[0]!.filters[0]!.options.map((o) => o.value), ['x'], 'a trailing : adds nothing');
  tt.same(parseGraph('a=x::y').chains[0]!.filters[0]!.options.map((o) => o.value), ['x', '', 'y'], 'an empty positional');
  tt.same(parseGraph('a=').chains[0]!.filters[0], { name: 'a', inputs: [], outputs: [], args: '', options: [],
    pos: { start: 0, end: 2, name: 0, args: 2, inputs: [], outputs: [] } });
  tt.same(bare("'scale'=1").chains[0]!.filters[0]!.name, 'scale', 'the name token is unquoted too');
  tt.end();
});

t.test('labels', (tt) => {
  const ins = (s: string): string[] => parseGraph(s).chains[0]!.filters[0]!.inputs;
  tt.same(ins('[ a ]null'), ['a'], 'label whitespace is stripped');
  tt.same(ins('[a b]null'), ['a b']);
  tt.same(ins('[a\\]b]null'), ['a]b']);
  tt.same(ins("['x]y']null"), ['x]y']);
  tt.same(ins('[x[1]null'), ['x[1']);
  tt.same(ins('[a,b;c]null'), ['a,b;c'], 'graph separators are literal inside a label');
  tt.same(ins('[a] [b]\n[c]null'), ['a', 'b', 'c']);
  tt.end();
});

t.test('whitespace and multi-line graphs', (tt) => {
  const multi = `
    [0:v] scale = w=640 :
                  h=-1 [s] ;
\t[s]\r\n  hflip ,
    vflip [out]
  `;
  tt.same(bare(multi), {
    chains: [
      { filters: [f('scale', { inputs: ['0:v'], outputs: ['s'], args: 'w=640 :\n                  h=-1', options: [kv('w', '640'), kv('h', '-1')] })] },
      { filters: [f('hflip', { inputs: ['s'] }), f('vflip', { outputs: ['out'] })] },
    ],
  });
  tt.same(printGraph(parseGraph(multi)), '[0:v]scale=w=640:h=-1[s];[s]hflip,vflip[out]');
  tt.same(bare('scale,'), bare('scale'), "a trailing ',' is accepted, as by ffmpeg");
  tt.same(bare('scale ; '), bare('scale'), "a trailing ';' too");
  tt.end();
});

t.test('positions', (tt) => {
  const g = parseGraph('[a] scale@s1 = w=1:h=2 [b][c] , crop');
  const s = g.chains[0]!.filters[0]!;
  tt.same(s.pos, { start: 0, end: 29, name: 4, args: 15, inputs: [0], outputs: [23, 26] });
  tt.same(s.options.map((o) => o.pos), [15, 19]);
  tt.same(g.chains[0]!.filters[1]!.pos, { start: 32, end: 36, name: 32, inputs: [], outputs: [] });
  // Positions of level-1 options map back through level-2 escapes.
  tt.same(parseGraph("x='a:b':\\'c\\'").chains[0]!.filters[0]!.options.map((o) => [o.value, o.pos]), [['a', 3], ['b', 5], ['c', 9]]);
  tt.end();
});

t.test('syntax errors: position, reason and caret', (tt) => {
  const cases: Array<[string, number, RegExp]> = [
    ['', 0, /empty filter graph: expected a filter name/],
    ['   \n ', 5, /empty filter graph/],
    ['scale=1[out', 7, /unterminated label '\['/],
    ['[in', 0, /unterminated label '\['/],
    ['scale[]', 5, /empty label/],
    ['[ ]scale', 0, /empty label/],
    ['[a]', 3, /expected a filter name$/],
    ['[a] ,b', 4, /expected a filter name, found ','/],
    ['scale,,crop', 6, /expected a filter name, found ','/],
    ['scale;;crop', 6, /expected a filter name, found ';'/],
    [';', 0, /expected a filter name, found ';'/],
    ['=1', 0, /expected a filter name, found '='/],
    ['scale=1]', 7, /expected ',' or ';' or end of graph, found '\]'/],
    ['scale[a] crop', 9, /expected ',' or ';' or end of graph, found 'c'/],
    ['scale[a]=1', 8, /expected ',' or ';' or end of graph, found '='/],
    ["drawtext=text='abc", 14, /unterminated quote/],
    ["drawtext=text=\\'abc", 15, /unterminated quote/],
    ["[a'b]null", 2, /unterminated quote/],
    ["'scale", 0, /unterminated quote/],
    ['sws_flags=bicubic', 0, /sws_flags=… must be terminated by ';'/],
    ['  sws_flags=bicubic', 2, /sws_flags/],
    ['scale=w=1:2', 10, /positional value after a key=value option/],
    ["drawtext=text='a:b'", 17, /positional value after a key=value option/],
    ['scale=w=1:=2', 10, /expected an option name before '='/],
    ['sca le', 0, /invalid filter name "sca le"/],
    ['scale]', 0, /invalid filter name "scale\]"/],
    ['@x', 0, /expected a filter name before '@'/],
    ['scale@', 6, /expected an instance id after '@'/],
    ['scale@a b', 6, /invalid instance id "a b"/],
    ['scale=a\0b', 7, /NUL character/],
  ];
  for (const [src, position, reason] of cases) {
    const e = syntaxError(src);
    tt.equal(e.details.position, position, `${JSON.stringify(src)}: position`);
    tt.match(String(e.details.reason), reason, `${JSON.stringify(src)}: reason`);
    tt.equal(e.exitCode, 2);
  }
  tt.equal(syntaxError('scale=1]').message,
    "filter graph syntax error at character 7: expected ',' or ';' or end of graph, found ']'\n  scale=1]\n         ^");
  tt.equal(syntaxError('scale=w=1,\n\tcrop=x=1:3').message,
    'filter graph syntax error at character 21: positional value after a key=value option (a \':\' inside a value must be escaped as \\: — quoting at the graph level does not protect it) (line 2, column 11)\n   crop=x=1:3\n            ^',
    'multi-line: the offending line, tab shown as a space, caret aligned');
  const long = `${'a,'.repeat(100)}]${',b'.repeat(100)}`;
  const e = syntaxError(long);
  tt.equal(e.details.position, 200);
  tt.ok(String(e.details.graph).length <= 102, 'long graphs are cropped around the error');
  tt.equal(String(e.details.graph).indexOf(']'), String(e.details.caret).indexOf('^'), 'caret under the culprit');
  tt.end();
});

t.test('printer', (tt) => {
  tt.equal(printGraph(parseGraph('[a] scale = w = 1 : h = 2 [b]')), '[a]scale=w=1:h=2[b]');
  tt.equal(printGraph({ chains: [{ filters: [f('null', { args: '' })] }] }), 'null=');
  tt.equal(printGraph({ chains: [{ filters: [f('x', { options: [pv('')] })] }] }), "x=\\'\\'", 'lone empty positional is quoted');
  tt.equal(printGraph({ chains: [{ filters: [f('x', { options: [pv('a'), pv('')] })] }] }), "x=a:\\'\\'");
  tt.equal(printGraph({ chains: [{ filters: [f('x', { options: [kv('k', '')] })] }] }), 'x=k=');
  tt.equal(printGraph({ chains: [{ filters: [f('x', { options: [pv('k=v')] })] }] }), 'x=k\\\\=v');
  tt.equal(printGraph({ chains: [{ filters: [f('null', { inputs: [' 0:v', 'a]b'], outputs: ["it's"] })] }] }),
    "[\\ 0:v][a\\]b]null[it\\'s]");
  // A first filter literally named sws_flags must not turn into the sws_flags prefix.
  const dodge: Graph = { chains: [{ filters: [makeFilter({ name: 'sws_flags', options: { a: '1' } })] }, { filters: [f('null')] }] };
  tt.equal(printGraph(dodge), "'sws_flags'=a=1;null");
  tt.same(stripPositions(parseGraph(printGraph(dodge))), dodge);
  const withFlags: Graph = { swsFlags: ' lanczos ', chains: [{ filters: [makeFilter({ name: 'sws_flags', options: { a: '1' } })] }] };
  tt.equal(printGraph(withFlags), 'sws_flags= lanczos ;sws_flags=a=1');
  tt.same(stripPositions(parseGraph(printGraph(withFlags))), withFlags);
  tt.equal(formatOptions([pv('in'), pv('0'), kv('nb_frames', '30')]), 'in:0:nb_frames=30');
  tt.same(parseOptions('in:0:nb_frames=30'), [{ value: 'in', pos: 0 }, { value: '0', pos: 3 }, { key: 'nb_frames', value: '30', pos: 5 }]);
  const bad: Array<[string, Graph]> = [
    ['no chains', { chains: [] }],
    ['empty chain', { chains: [{ filters: [] }] }],
    ['bad name', { chains: [{ filters: [f('a b')] }] }],
    ['bad id', { chains: [{ filters: [f('a', { id: 'x y' })] }] }],
    ['bad key', { chains: [{ filters: [f('a', { options: [kv('k k', '1')] })] }] }],
    ['empty key', { chains: [{ filters: [f('a', { options: [kv('', '1')] })] }] }],
    ['positional after keyed', { chains: [{ filters: [f('a', { options: [kv('k', '1'), pv('2')] })] }] }],
    ['empty label', { chains: [{ filters: [f('a', { inputs: [''] })] }] }],
    ["';' in sws_flags", { swsFlags: 'a;b', chains: [{ filters: [f('a')] }] }],
    ['NUL in a value', { chains: [{ filters: [f('a', { options: [pv('\0')] })] }] }],
  ];
  for (const [what, g] of bad) tt.throws(() => printGraph(g), { code: 'WALLOC_ERR_INVALID_ARGUMENT' }, what);
  tt.end();
});

const pads = (table: Record<string, PadCounts>) => (node: FilterNode): PadCounts => table[node.name] ?? { inputs: 1, outputs: 1 };
const PADS = pads({
  testsrc: { inputs: 0, outputs: 1 }, nullsink: { inputs: 1, outputs: 0 }, split: { inputs: 1, outputs: 2 },
  overlay: { inputs: 2, outputs: 1 }, hstack: { inputs: 2, outputs: 1 },
});

t.test('default in/out labels (avfilter_graph_parse_ptr)', (tt) => {
  const labels = (s: string) => applyDefaultLabels(parseGraph(s), PADS).chains.map((c) => c.filters.map((x) => [x.inputs, x.outputs]));
  tt.same(labels('scale=1,hflip'), [[[['in'], []], [[], ['out']]]]);
  tt.same(labels('[x]scale,hflip[y]'), [[[['x'], []], [[], ['y']]]], 'labelled pads keep their labels');
  tt.same(labels('testsrc,hflip'), [[[[], []], [[], ['out']]]], 'a source gets no in');
  tt.same(labels('hflip,nullsink'), [[[['in'], []], [[], []]]], 'a sink gets no out');
  tt.same(labels('overlay'), [[[[], ['out']]]], 'in only for exactly one input pad');
  tt.same(labels('split[a],hflip'), [[[['in'], ['a']], [[], ['out']]]]);
  tt.same(labels('split[a];[a]hflip;vflip'), [[[['in'], ['a']]], [[['a'], []]], [[[], ['out']]]],
    'multi-chain: only the very first and the very last filter are named');
  tt.same(labels('split'), [[[['in'], ['out']]]], 'out goes on the first unlabelled output pad only');
  const g = parseGraph('scale');
  applyDefaultLabels(g);
  tt.same(g.chains[0]!.filters[0]!.inputs, [], 'the input graph is not modified');
  tt.end();
});

t.test('implicit chain links made explicit (avfilter_graph_segment_link)', (tt) => {
  const r = resolveLinks(parseGraph('testsrc,split[a],hflip;[a]vflip[b];[b]nullsink'), PADS);
  const ref = (chain: number, filter: number, pad: number) => ({ chain, filter, pad });
  tt.same(r.links, [
    { from: ref(0, 0, 0), to: ref(0, 1, 0) },
    { from: ref(0, 1, 0), to: ref(1, 0, 0), label: 'a' },
    { from: ref(0, 1, 1), to: ref(0, 2, 0) },
    { from: ref(1, 0, 0), to: ref(2, 0, 0), label: 'b' },
  ]);
  tt.same(r.openInputs, []);
  tt.same(r.openOutputs, [ref(0, 2, 0)]);
  // A labelled input is not fed implicitly; an unlabelled one after it is.
  const r2 = resolveLinks(parseGraph('[0:v]scale,[logo]overlay'), PADS);
  tt.same(r2.links, [{ from: ref(0, 0, 0), to: ref(0, 1, 1) }]);
  tt.same(r2.openInputs, [{ ...ref(0, 0, 0), label: '0:v' }, { ...ref(0, 1, 0), label: 'logo' }]);
  // Labels link across chains in either direction; a label used only once stays open.
  const r3 = resolveLinks(parseGraph('[b]hflip[c];testsrc[b];[c]null[d]'), PADS);
  tt.same(r3.links, [{ from: ref(1, 0, 0), to: ref(0, 0, 0), label: 'b' }, { from: ref(0, 0, 0), to: ref(2, 0, 0), label: 'c' }]);
  tt.same(r3.openOutputs, [{ ...ref(2, 0, 0), label: 'd' }]);
  // Only the next filter is tried for an unlabelled output.
  const r4 = resolveLinks(parseGraph('hflip,testsrc,null'), PADS);
  tt.same(r4.links, [{ from: ref(0, 1, 0), to: ref(0, 2, 0) }]);
  tt.same(r4.openOutputs, [ref(0, 0, 0), ref(0, 2, 0)], 'hflip is not linked past the source');
  tt.throws(() => resolveLinks(parseGraph('[a][b]hflip'), PADS), { code: 'WALLOC_ERR_GRAPH_LINK' });
  tt.throws(() => resolveLinks(parseGraph('nullsink[x]'), PADS), { code: 'WALLOC_ERR_GRAPH_LINK' });
  tt.end();
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const special = fc.constantFrom(' ', '\t', '\n', '\r', '\\', "'", ':', '=', '[', ']', ',', ';', '@', '|', 'a', '_', '0', '/', '.');
const anyChar = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => !c.includes('\0'));
const char = fc.oneof({ arbitrary: special, weight: 3 }, { arbitrary: anyChar, weight: 1 });
const text = (maxLength: number, minLength = 0) => fc.string({ unit: char, minLength, maxLength });

const nameArb = fc.oneof({ arbitrary: fc.stringMatching(/^[A-Za-z0-9_]{1,8}$/), weight: 9 }, { arbitrary: fc.constant('sws_flags'), weight: 1 });
const filterArb: fc.Arbitrary<FilterNode> = fc
  .record({
    name: nameArb,
    id: fc.option(fc.stringMatching(/^[A-Za-z0-9_.-]{1,6}$/), { nil: undefined }),
    inputs: fc.array(text(6, 1), { maxLength: 3 }),
    outputs: fc.array(text(6, 1), { maxLength: 3 }),
    positional: fc.array(text(8), { maxLength: 3 }),
    keyed: fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z0-9_./-]{1,6}$/), text(8)), { maxLength: 3 }),
    emptyArgs: fc.boolean(),
  })
  .map(({ name, id, inputs, outputs, positional, keyed, emptyArgs }) => {
    const options: FilterOption[] = [...positional.map((value) => ({ value })), ...keyed.map(([key, value]) => ({ key, value }))];
    const node = makeFilter(id === undefined ? { name, inputs, outputs, options } : { name, id, inputs, outputs, options });
    if (options.length === 0 && emptyArgs) node.args = '';
    return node;
  });
const graphArb: fc.Arbitrary<Graph> = fc
  .record({
    swsFlags: fc.option(text(8).filter((s) => !s.includes(';')), { nil: undefined }),
    chains: fc.array(fc.array(filterArb, { minLength: 1, maxLength: 3 }).map((filters) => ({ filters })), { minLength: 1, maxLength: 3 }),
  })
  .map(({ swsFlags, chains }) => (swsFlags === undefined ? { chains } : { swsFlags, chains }));

t.test('property: parse(print(g)) equals g for random graphs', (tt) => {
  fc.assert(
    fc.property(graphArb, (g) => {
      const printed = printGraph(g);
      const back = stripPositions(parseGraph(printed));
      if (JSON.stringify(back) !== JSON.stringify(g)) tt.same(back, g, printed);
      return JSON.stringify(back) === JSON.stringify(g);
    }),
    { numRuns: 1000 },
  );
  tt.pass('1000 random graphs round-tripped');
  tt.end();
});

t.test('property: option lists round-trip through formatOptions/parseOptions', (tt) => {
  fc.assert(
    fc.property(filterArb, (node) => {
      const back = parseOptions(formatOptions(node.options)).map((o) => (o.key === undefined ? { value: o.value } : { key: o.key, value: o.value }));
      // An empty option list and one empty positional value both print as text; the latter as ''.
      return JSON.stringify(back) === JSON.stringify(node.options);
    }),
    { numRuns: 1000 },
  );
  tt.pass('ok');
  tt.end();
});

// Arbitrary strings biased towards graph syntax: they must parse or fail with a syntax error.
const graphish = fc.oneof(
  text(40),
  fc.array(fc.constantFrom('[in]', '[out]', 'scale', '=', 'w=1', ':', ',', ';', ' ', "'", '\\', '@id', 'sws_flags=', '[', ']', 'x=\\\'a\\:b\\\''), { maxLength: 12 }).map((a) => a.join('')),
  fc.string(),
);

t.test('property: any string parses or throws WALLOC_ERR_GRAPH_SYNTAX, and parses are stable', (tt) => {
  let parsed = 0;
  fc.assert(
    fc.property(graphish, (s) => {
      let g: Graph;
      try {
        g = parseGraph(s);
      } catch (e) {
        if (!isWallocError(e, 'WALLOC_ERR_GRAPH_SYNTAX')) throw e;
        const p = e.details.position as number;
        return Number.isInteger(p) && p >= 0 && p <= s.length;
      }
      parsed++;
      // Printing a parsed graph and parsing it again keeps every name, label and option value;
      // only `args` is re-derived (canonical), so compare with args normalized.
      const canonical = (x: Graph) => JSON.stringify(stripPositions(x), (k, v: unknown) => (k === 'args' ? undefined : v));
      const again = parseGraph(printGraph(g));
      return canonical(again) === canonical(g) && printGraph(again) === printGraph(g);
    }),
    { numRuns: 3000 },
  );
  tt.ok(parsed > 100, `a fair share parsed (${parsed})`);
  tt.end();
});

t.test('linear time on adversarial input', (tt) => {
  const n = 200_000;
  const inputs = ["'".repeat(n), '['.repeat(n), '\\'.repeat(n), `a=${':'.repeat(n)}`, `${'[a]'.repeat(n / 3)}x`, 'a,'.repeat(n / 2), `x=${"\\'".repeat(n / 2)}`];
  const started = Date.now();
  for (const s of inputs) {
    try {
      parseGraph(s);
    } catch (e) {
      if (!isWallocError(e, 'WALLOC_ERR_GRAPH_SYNTAX')) throw e;
    }
  }
  tt.ok(Date.now() - started < 5000, `parsed ${inputs.length} inputs of ~${n} characters in ${Date.now() - started} ms`);
  tt.end();
});

// ---------------------------------------------------------------------------------------------
// Differential check against a real ffmpeg: `-v debug` logs "Setting 'KEY' to value 'VALUE'" for
// every option it parses out of a graph, i.e. after both unescaping levels.
// ---------------------------------------------------------------------------------------------

function findFfmpeg(): string | undefined {
  if (process.env.FFMPEG_PATH && existsSync(process.env.FFMPEG_PATH)) return process.env.FFMPEG_PATH;
  try {
    const p = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;
    return existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `metadata` filters (always built, string `value` option) and returns the values ffmpeg set, by filter index. */
function ffmpegValues(ffmpeg: string, graph: string): Map<number, string> | undefined {
  const r = spawnSync(ffmpeg, ['-hide_banner', '-nostdin', '-v', 'debug', '-f', 'lavfi', '-i', 'nullsrc=s=16x16:d=0.04', '-vf', graph, '-frames:v', '1', '-f', 'null', '-'], { encoding: 'utf8', timeout: 30_000 });
  if (r.error || typeof r.stderr !== 'string') return undefined;
  const values = new Map<number, string>();
  for (const line of r.stderr.split('\n')) {
    const m = /^\[Parsed_metadata_(\d+) @ [^\]]*\] Setting 'value' to value '(.*)'$/.exec(line);
    if (m) values.set(Number(m[1]), m[2]!);
  }
  return values;
}

const ffmpeg = findFfmpeg();
t.test('differential: ffmpeg reads the values walloc prints, and walloc parses what ffmpeg parses', { skip: ffmpeg ? false : 'no ffmpeg binary' }, (tt) => {
  // Printable characters only, so ffmpeg's log lines stay one value per line.
  const printable = fc.oneof(fc.constantFrom(' ', '\\', "'", ':', '=', '[', ']', ',', ';', '@', '|', '"', 'a', '_'), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }), fc.constantFrom('é', '€', '日'));
  const values = fc.sample(fc.string({ unit: printable, minLength: 1, maxLength: 14 }).filter((v) => v.trim() !== '' || v === ' '), { numRuns: 60, seed: 6 });
  values.push("this is a 'string': may contain one, or more, special characters", "Crime d'Amour", '  padded  ', 'k=v', 'a\\b');
  for (const positional of [false, true]) {
    const chain = values.map((v) => makeFilter({
      name: 'metadata',
      options: positional ? [{ value: 'add' }, { value: 'k' }, { value: v }] : [{ key: 'mode', value: 'add' }, { key: 'key', value: 'k' }, { key: 'value', value: v }],
    }));
    const graph = printGraph({ chains: [{ filters: chain }] });
    const got = ffmpegValues(ffmpeg!, graph);
    if (!got || got.size === 0) {
      tt.comment('this ffmpeg logs no option values; skipped');
      continue;
    }
    const ours = parseGraph(graph).chains[0]!.filters.map((x) => x.options[2]!.value);
    let compared = 0;
    values.forEach((v, i) => {
      if (!got.has(i)) return;
      compared++;
      if (got.get(i) !== v || ours[i] !== v) tt.same([got.get(i), ours[i]], [v, v], `value ${JSON.stringify(v)} (${positional ? 'positional' : 'keyed'})`);
    });
    tt.equal(compared, values.length, `ffmpeg and walloc agree on all ${values.length} ${positional ? 'positional' : 'keyed'} values`);
  }
  // Hand-written, non-canonical spellings: quotes at both levels, escapes, whitespace.
  const spellings = [
    "metadata=add:k:'a,b;[c]'",
    "metadata=mode=add:key=k:value='a\\:b'",
    "metadata=mode=add:key=k:value=\\'x:y\\'",
    'metadata=mode=add:key=k:value=  x y  ',
    'metadata=mode=add:key=k:value=\\\\\\ x\\\\\\ ',
    "metadata=mode=add:key=k:value='Crime d'\\\\\\''Amour'",
    'metadata = mode = add : key = k : value = v1 ',
    'metadata=add:k:a\\\\=b',
  ];
  const got = ffmpegValues(ffmpeg!, spellings.join(','));
  if (got && got.size > 0) {
    const ours = parseGraph(spellings.join(',')).chains[0]!.filters.map((x) => x.options[2]!.value);
    spellings.forEach((s, i) => tt.equal(ours[i], got.get(i), `${s} → ${JSON.stringify(got.get(i))}`));
  }
  tt.end();
});
