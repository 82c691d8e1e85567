import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { BUILTIN_FILTERS, defaultRegistry, filterHelp, filtersList, filtersMarkdown, FilterRegistry } from '../../filters/registry.js';
import { closest, defineFilter, describeOptionType, resolveOptions, type AnyFilterDefinition } from '../../filters/definition.js';
import { parseGraph, parseOptions } from '../../filters/grammar.js';
import { wptFilter } from '../../filters/f_wpt.js';
import { packFilter } from '../../filters/f_pack.js';
import { formatFilter } from '../../filters/f_format.js';
import { scaleFilter } from '../../filters/f_scale.js';
import { splitStreams } from '../../filters/split.js';
import { pipeline } from 'node:stream/promises';
import { collector } from './helpers.js';

const opts = (def: AnyFilterDefinition, args: string): Record<string, unknown> => resolveOptions(def, parseOptions(args));
const W = wptFilter as unknown as AnyFilterDefinition;

t.test('the schema maps positional values, keys, aliases and defaults', (tt) => {
  tt.same(opts(W, ''), { wavelet: 'bior4.4' });
  tt.same(opts(W, '2'), { levels: 2, wavelet: 'bior4.4' });
  tt.same(opts(W, '2:haar'), { levels: 2, wavelet: 'haar' });
  tt.same(opts(W, '4:wavelet=haar'), { levels: 4, wavelet: 'haar' });
  tt.same(opts(W, 'J=5'), { levels: 5, wavelet: 'bior4.4' }, 'alias');
  tt.same(opts(W, ' levels = 3 '), { levels: 3, wavelet: 'bior4.4' }, 'whitespace');
  const P = packFilter as unknown as AnyFilterDefinition;
  tt.match(opts(P, 'png:adaptive_filtering=no:planes=3'), { format: 'png', adaptive_filtering: false, planes: '3', effort: 1 });
  tt.same(opts(formatFilter as unknown as AnyFilterDefinition, 'rgb|gray'), { pix_fmts: ['rgb', 'gray'] }, 'lists');
  tt.match(opts(scaleFilter as unknown as AnyFilterDefinition, 'width=-2:height=64:kernel=cubic'), { w: -2, h: 64, kernel: 'cubic' });
  tt.end();
});

t.test('bad options are coded errors naming the filter and the option', (tt) => {
  const bad = (def: AnyFilterDefinition, args: string, option: string | undefined, message: RegExp): void => {
    tt.throws(() => opts(def, args), { code: 'WALLOC_ERR_FILTER_OPTION', details: { filter: def.name, option }, message }, `${def.name}=${args}`);
  };
  bad(W, 'levels=0', 'levels', /option "levels" must be an integer from 1 to 12, got "0" \(out of range\)/);
  bad(W, 'levels=2.5', 'levels', /must be an integer/);
  bad(W, 'levels=x', 'levels', /got "x"/);
  bad(W, 'wavelet=db4', 'wavelet', /one of bior4.4, haar/);
  bad(W, 'wavelet=bior44', 'wavelet', /did you mean "bior4.4"/);
  bad(W, 'levls=3', 'levls', /unknown option "levls" \(did you mean "levels"\?\); options: levels, wavelet/);
  bad(W, '3:haar:extra', undefined, /too many positional values: wpt takes at most 2 \(levels, wavelet\)/);
  bad(W, '3:levels=4', 'levels', /option "levels" is given twice/);
  bad(packFilter as unknown as AnyFilterDefinition, 'adaptive_filtering=maybe', 'adaptive_filtering', /a boolean/);
  bad(packFilter as unknown as AnyFilterDefinition, 'effort=7', 'effort', /from 0 to 6/);
  bad(formatFilter as unknown as AnyFilterDefinition, 'rgb|yuv', 'pix_fmts', /list of rgb, gray, rgba/);
  bad(formatFilter as unknown as AnyFilterDefinition, '', 'pix_fmts', /option "pix_fmts" is required/);
  tt.equal(closest('x', ['w', 'h']), undefined, 'no far-fetched hints');
  tt.end();
});

t.test('the registry: lookup, pad counts from options, and definition checks', (tt) => {
  tt.same(defaultRegistry.padCounts(parseGraph('split=3').chains[0]!.filters[0]!), { inputs: 1, outputs: 3 });
  tt.same(defaultRegistry.padCounts(parseGraph('load=a.png').chains[0]!.filters[0]!), { inputs: 0, outputs: 1 });
  tt.throws(() => defaultRegistry.require('wtp'), { code: 'WALLOC_ERR_FILTER_UNKNOWN', message: /unknown filter "wtp".*\(did you mean "wpt"\?\)/ });
  tt.throws(() => new FilterRegistry([...BUILTIN_FILTERS, BUILTIN_FILTERS[0]!]), { code: 'WALLOC_ERR_INTERNAL', message: /registered twice/ });
  const broken = defineFilter({ name: 'broken', description: 'x', inputs: [], outputs: [], options: { n: { type: 'int', min: 1, default: 0, help: 'n' } }, create: () => new Readable() });
  tt.throws(() => new FilterRegistry([broken as unknown as AnyFilterDefinition]), { message: /default of "n" is invalid/ });
  for (const d of defaultRegistry.list()) tt.ok(/^[a-z]/.test(d.description) && !d.description.endsWith('.'), `${d.name}: description style`);
  tt.end();
});

t.test('an option\'s help line says each thing once: the help and the type description do not repeat each other', (tt) => {
  // The help line is `help (type description) (default …)`: a help that restates what the type
  // description says reads twice ("… or a model folder (a bundled model name or a model folder path)").
  const words = (s: string): string[] => s.toLowerCase().split(/[^a-z0-9.-]+/).filter(Boolean);
  for (const d of defaultRegistry.list()) {
    const help = filterHelp(d);
    for (const [name, spec] of Object.entries(d.options)) {
      const type = words(describeOptionType(spec));
      const said = ` ${words(spec.help).join(' ')} `;
      const repeated = type.slice(0, -2).map((_, i) => type.slice(i, i + 3).join(' ')).filter((run) => said.includes(` ${run} `));
      tt.same(repeated, [], `${d.name} ${name}: ${spec.help}`);
    }
    if (d.name === 'analysis' || d.name === 'synthesis') {
      tt.match(help, /model <model>\s+codec model, such as rgb-16x \(a bundled model name or a model folder path\) \(required\)\n/, `${d.name} model`);
    }
  }
  tt.end();
});

t.test('help text and the list are generated from the definitions', (tt) => {
  const help = filterHelp(W);
  tt.match(help, /^Filter wpt\n  wavelet packet transform/);
  tt.match(help, /Inputs:\n {7}#0: default \(image, audio, volume\)/);
  tt.match(help, /Outputs:\n {7}#0: default \(coeffs\)/);
  tt.match(help, /levels, J <int>\s+packet levels J \(an integer from 1 to 12\) \(default: 3 for images and volumes, 8 for audio\)/);
  tt.match(help, /wavelet <enum>\s+wavelet filter bank .* \(one of bior4.4, haar\) \(default bior4.4\)/);
  tt.match(help, /Examples:\n  wpt=levels=3/);
  tt.match(filterHelp(defaultRegistry.require('split')), /dynamic[\s\S]*#1: output1 \(any, as input\)/);
  tt.match(filterHelp(defaultRegistry.require('load')), /Inputs:\n {8}none \(source filter\)/);
  tt.match(filterHelp(defaultRegistry.require('iwpt')), /iwpt options:\n  none/);
  const list = filtersList();
  for (const d of defaultRegistry.list()) tt.match(list, new RegExp(`\\n  ${d.name} +\\S+ +${d.description.replace(/[()|.*+?^$[\]\\]/g, '\\$&')}\\n`), `${d.name} listed`);
  tt.match(list, /  wpt +IAV->C /);
  tt.match(list, /  load +\|->\* /);
  tt.match(list, /  split +\*->N /);
  tt.end();
});

t.test('docs/filters.md is in sync with the definitions', (tt) => {
  const path = 'docs/filters.md';
  const want = filtersMarkdown();
  if (process.env.WALLOC_UPDATE_DOCS) writeFileSync(path, want);
  tt.equal(readFileSync(path, 'utf8'), want, 'regenerate with WALLOC_UPDATE_DOCS=1 npx tap test/filters/registry.test.ts');
  tt.end();
});

t.test('split buffers at most highWaterMark frames per branch and ends every branch', async (tt) => {
  const s = splitStreams(3, { highWaterMark: 2 });
  for (let i = 0; i < 10; i++) s.input.write(i);
  await new Promise((r) => setImmediate(r));
  tt.same(s.buffered(), [2, 2, 2], 'with nobody reading, each branch holds its limit');
  tt.ok(s.input.writableLength >= 7, 'the rest waits upstream, not in the branches');
  const cs = [collector(), collector(), collector()];
  s.input.end();
  await Promise.all(s.outputs.map((o, i) => pipeline(o, cs[i]!)));
  for (const c of cs) tt.same(c.frames, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  tt.throws(() => splitStreams(0), { code: 'WALLOC_ERR_INVALID_ARGUMENT' });
});
