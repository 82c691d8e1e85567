/** The filter-graph grammar (filters/grammar.ts): parse, and print/parse round trip when it parses. */
import { applyDefaultLabels, parseGraph, printGraph, resolveLinks, stripPositions } from '../../../filters/grammar.js';
import type { Graph } from '../../../filters/grammar.js';
import type { FuzzTarget } from '../harness.js';

/** Every name, label and option value; `args` is re-derived by the printer (canonical), so it is left out. */
const canonical = (g: Graph) => JSON.stringify(stripPositions(g), (k, v: unknown) => (k === 'args' ? undefined : v));

const seeds = [
  'scale',
  'wpt=levels=3,analysis=model=rgb-16x,quantize,pack=format=webp',
  '[in]split[a][b];[a]scale=w=64:h=48[c];[b][c]overlay[out]',
  "drawtext=text='it\\'s a \\: test':x=10",
  "a=b\\\\=c:'quoted, ; [x]'",
  '[0:v] scale@s1 = w=1:h=2 [b][c] , crop',
  'testsrc,split[a],hflip;[a]vflip[b];[b]nullsink',
  'a=x::y',
  'a=',
  "f='\\\\\\'':g=h",
  '[a b]null[c\\]d]',
  'sws_flags=bicubic;scale',
  'unpack,dequantize,synthesis=model=rgb-16x,iwpt,save=out-%04d.png',
];

export const graphTarget: FuzzTarget<string> = {
  name: 'graph',
  input: 'string',
  seedCorpus: seeds,
  timeLimitMs: 2000,
  dictionary: ['[in]', '[out]', "'", '\\\\', "\\'", 'scale=w=1:h=2', '@id', ';', ',', '=', ':', 'sws_flags=', '\r\n'],
  run(source) {
    const g = parseGraph(source);
    const printed = printGraph(g);
    const again = parseGraph(printed);
    if (canonical(again) !== canonical(g)) {
      throw new Error(`parse(print(g)) != g: ${JSON.stringify(source)} printed as ${JSON.stringify(printed)}`);
    }
    if (printGraph(again) !== printed) throw new Error(`printing is not stable for ${JSON.stringify(printed)}`);
    resolveLinks(applyDefaultLabels(g));
  },
};
