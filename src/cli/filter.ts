/**
 * `walloc filter` (run a filter graph over files or pipes) and `walloc filters` (list the filters,
 * or show one filter's help). The graph machinery is filters/graph.ts; this file only maps the
 * command line onto it, with ffmpeg's conventions for the graph's open pads:
 *
 * - an open input labelled `[N]` or `[N:x]` (`[0:v]`, `[1:a]`) reads the N-th `-i`;
 * - an unlabelled open input reads the first `-i` no label has claimed yet, in order;
 * - every `-i` must be read by some open input (ffmpeg would ignore the others);
 * - open outputs write the `-o` files in graph order.
 *
 * With no `-i` a single open input reads stdin; with no `-o` a single open output writes stdout.
 * Ctrl-C (SIGINT) or SIGTERM aborts the graph as it stops every other walloc command: every stream
 * is destroyed, every output still being written is removed (the numbered images it had already
 * finished included), and the command fails with `WALLOC_ERR_INTERRUPTED` (exit status 130).
 */
import { checkNotInput } from '../io/output.js';
import { werr } from '../errors.js';
import { FilterGraph, processFilterIo, type InputBinding, type OutputBinding } from '../../filters/graph.js';
import { defaultRegistry, filterHelp, filtersList } from '../../filters/registry.js';
import type { CommandSpec } from './command.js';
import { interruptSignal } from './run.js';

/** `[0]`, `[0:v]`, `[12:a]` → 0, 0, 12; anything else → undefined. */
export function inputIndexOfLabel(label: string): number | undefined {
  const m = /^(\d+)(?::[A-Za-z]+)?$/.exec(label);
  return m ? Number(m[1]) : undefined;
}

/**
 * Decides which file each open pad of `graph` reads or writes (see the module comment).
 *
 * @example
 * mapPorts(FilterGraph.parse('[1:v]wpt[a];[0]wpt[b]'), ['x.png', 'y.png'], ['a.wlc', 'b.wlc']);
 * // { inputs: ['y.png', 'x.png'], outputs: ['a.wlc', 'b.wlc'] }
 */
export function mapPorts(graph: FilterGraph, inFiles: readonly string[], outFiles: readonly string[]): { inputs: string[]; outputs: string[] } {
  const ins = inFiles.length === 0 && graph.inputs.length === 1 ? ['-'] : inFiles;
  const outs = outFiles.length === 0 && graph.outputs.length === 1 ? ['-'] : outFiles;
  const used = new Set<number>();
  const inputs: Array<string | undefined> = graph.inputs.map((p) => {
    if (p.label === undefined) return undefined;
    const i = inputIndexOfLabel(p.label);
    if (i === undefined) throw werr('WALLOC_ERR_GRAPH_LINK', { reason: `open input [${p.label}] (${p.describe}) names no input file; use [0], [1:v], … for -i files, or link it to an output labelled [${p.label}]` });
    if (i >= ins.length) throw werr('WALLOC_ERR_GRAPH_LINK', { reason: `[${p.label}] refers to input ${i}, but ${ins.length} input file(s) were given with -i` });
    used.add(i);
    return ins[i];
  });
  let next = 0;
  for (const [k, v] of inputs.entries()) {
    if (v !== undefined) continue;
    while (used.has(next)) next++;
    if (next >= ins.length) throw werr('WALLOC_ERR_GRAPH_LINK', { reason: `${graph.inputs[k]!.describe} needs an input: the graph has ${graph.inputs.length} open input(s) but ${ins.length} -i file(s) were given` });
    used.add(next);
    inputs[k] = ins[next++];
  }
  // ffmpeg would quietly ignore an input no stream is mapped from; here it is always a mistake (a
  // typo'd label, a file meant for a load= filter), so say so before anything runs.
  const unused = ins.findIndex((_, i) => !used.has(i));
  if (unused >= 0) {
    throw werr('WALLOC_ERR_GRAPH_LINK', { reason: `-i ${ins[unused]} (input ${unused}) is not read by the graph: it has ${graph.inputs.length} open input(s)${graph.inputs.length === 0 ? '; its load= filters name their own files' : ''}` });
  }
  if (outs.length !== graph.outputs.length) {
    throw werr('WALLOC_ERR_GRAPH_LINK', { reason: `the graph has ${graph.outputs.length} open output(s)${graph.outputs.length ? ` (${graph.outputs.map((p) => (p.label ? `[${p.label}]` : p.describe)).join(', ')})` : ''} but ${outs.length} -o file(s) were given` });
  }
  return { inputs: inputs as string[], outputs: [...outs] };
}

export const filterCommand: CommandSpec = {
  name: 'walloc filter',
  summary: 'run a filter graph (ffmpeg syntax) over files or pipes',
  usage: [
    'walloc filter GRAPH [-i IN]... [-o OUT]...',
    'walloc filter --filter_complex GRAPH [-i IN]... [-o OUT]...',
  ],
  options: {
    input: { type: 'string', short: 'i', arg: 'FILE', multiple: true, help: 'input file (- for stdin); [N] or [N:v] in the graph names the N-th' },
    output: { type: 'string', short: 'o', arg: 'FILE', multiple: true, help: 'output file (- for stdout), one per open output, in graph order' },
    filter_complex: { type: 'string', arg: 'GRAPH', help: 'the filter graph (instead of the positional GRAPH)' },
    force: { type: 'boolean', short: 'f', help: 'write binary data even to a terminal' },
  },
  examples: [
    'walloc filter -i photo.png -o photo.wlc "wpt=levels=3,analysis=model=rgb-16x,quantize,pack"',
    'walloc filter -i photo.wlc -o photo.png "unpack,dequantize,synthesis=model=rgb-16x,iwpt"',
    'walloc filter -i photo.png "wpt,analysis=model=rgb-16x,quantize,split[a][b];[a]pack,save=a.wlc;[b]nullsink" ',
    'walloc filters                 list the filters;  walloc help filter=wpt   one filter\'s options',
  ],
  async run({ values, positionals }, io) {
    const text = (values.filter_complex as string | undefined) ?? positionals[0];
    if (text === undefined) throw werr('WALLOC_ERR_MISSING_ARGUMENT', { what: 'a filter graph', command: 'walloc filter' });
    if (positionals.length > (values.filter_complex === undefined ? 1 : 0)) {
      throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `unexpected argument "${positionals[values.filter_complex === undefined ? 1 : 0]}"; quote the graph as one argument` });
    }
    const graph = FilterGraph.parse(text);
    const files = mapPorts(graph, (values.input as string[] | undefined) ?? [], (values.output as string[] | undefined) ?? []);
    // Every file read (-i, load=) against every file written (-o, save=): none may be the same file.
    const fileOf = (name: string) => graph.nodes.filter((n) => n.def.name === name).map((n) => n.options.file).filter((f): f is string => typeof f === 'string');
    const reads = [...((values.input as string[] | undefined) ?? []), ...fileOf('load')];
    const writes = [...((values.output as string[] | undefined) ?? []), ...fileOf('save')];
    for (const i of reads) for (const o of writes) checkNotInput(i, o);
    const base = processFilterIo({ stdin: io.stdin, stdout: io.stdout });
    const fio = { openInput: base.openInput, openOutput: (p: string, o?: { binary?: boolean }) => (values.force && p === '-' ? base.openOutput(p, { binary: false }) : base.openOutput(p, o)) };
    const { signal, release } = interruptSignal();
    try {
      await graph.run({
        inputs: files.inputs.map((file): InputBinding => ({ filter: 'load', options: { file } })),
        outputs: files.outputs.map((file): OutputBinding => ({ filter: 'save', options: { file } })),
        io: fio,
        signal,
      });
    } catch (e) {
      // Whatever a torn-down filter threw, the cause was the signal: report it, coded, as the other
      // commands do (reportError prints `interrupted by SIGINT [WALLOC_ERR_INTERRUPTED]`, status 130).
      throw signal.aborted ? signal.reason : e;
    } finally {
      release();
    }
    return 0;
  },
};

export const filtersCommand: CommandSpec = {
  name: 'walloc filters',
  summary: 'list the filters, or show the options of one (walloc filters NAME)',
  usage: ['walloc filters', 'walloc filters NAME', 'walloc help filter=NAME'],
  options: {},
  async run({ positionals }, io) {
    const name = positionals[0]?.replace(/^filter=/, '');
    io.stdout.write(name === undefined ? filtersList() : filterHelp(defaultRegistry.require(name)));
    return 0;
  },
};
