/**
 * The graph builder and runner. From a parsed filtergraph (filters/grammar.ts) and the filter
 * registry it
 *
 * 1. looks up every filter and validates its options against its schema,
 * 2. resolves labels and implicit chain links with the filters' real pad counts,
 * 3. turns a label used by several inputs into a fan-out (a split with backpressure, filters/split.ts),
 * 4. checks the media kinds on every link and refuses cycles, all before any stream exists, then
 * 5. runs it: creates every filter's stream, binds the open pads to the caller's streams or to
 *    source/sink filters, and pipes every link with `stream/promises` `pipeline` semantics: an
 *    error anywhere (or the caller's AbortSignal) destroys every stream of the graph, and `run()`
 *    rejects with the first real error.
 *
 * Each link is its own `pipeline(from, to, {signal})`, all sharing one AbortController: a Node
 * `pipeline` is a line, and a graph is not, but a line per link gives the same guarantees, since
 * one failing link aborts the controller and that tears down every other link.
 *
 * @module
 */
import { setMaxListeners } from 'node:events';
import { Readable, Stream, type Duplex, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isWallocError, werr, type WallocError } from '../src/errors.js';
import type { Frame } from '../src/frame.js';
import { loadModel, type Model } from '../src/models/model-file.js';
import { openInput } from '../src/io/input.js';
import { checkNotInput, openOutput } from '../src/io/output.js';
import {
  padsOf, resolveNodeOptions, optionError,
  type AnyFilterDefinition, type FilterContext, type FilterInstance, type FilterIo, type PadKind, type PadSpec,
} from './definition.js';
import { graphSyntaxError, parseGraph, resolveLinks, withGraphExcerpt, type FilterNode, type Graph, type PadCounts } from './grammar.js';
import { defaultRegistry, type FilterRegistry } from './registry.js';
import { splitStreams } from './split.js';

/** One filter instance of a built graph. */
export interface GraphNode {
  /** Index in {@link FilterGraph.nodes}. */
  index: number;
  /** Position in the parse tree. */
  chain: number;
  filter: number;
  /** How messages name it: `wpt@enc` or `wpt (chain 0, filter 1)`. */
  label: string;
  def: AnyFilterDefinition;
  /** Validated option values, defaults filled in. */
  options: Record<string, unknown>;
  inputs: readonly PadSpec[];
  outputs: readonly PadSpec[];
  /** The parse-tree node it came from. */
  node: FilterNode;
}

/** A pad of a node. */
export interface NodePad {
  node: number;
  pad: number;
}

/** One output pad and every input it feeds (more than one means an automatic split). */
export interface GraphEdge {
  from: NodePad;
  to: NodePad[];
  /** The link label, absent for implicit chain links. */
  label?: string;
}

/** An unconnected pad the caller binds when running: a graph input or output. */
export interface GraphPort {
  /** The label written in the graph, if any (`[0:v]`, `[out]`). */
  label?: string;
  /** The pads behind it; several inputs with the same label share one port (and a split). */
  pads: NodePad[];
  /** Kinds that may flow through it. */
  kinds: readonly PadKind[];
  /** Human name: `input 0 of wpt (chain 0, filter 0)`. */
  describe: string;
}

/** Binds a port to a filter instead of a stream, e.g. `{ filter: 'load', options: { file: 'a.png' } }`. */
export interface FilterBinding {
  filter: string;
  options?: Record<string, string | number | boolean>;
}

/** A graph input: a Readable of frames, frames as an array or (async) iterable, or a source filter. */
export type InputBinding = Readable | Iterable<Frame> | AsyncIterable<Frame> | FilterBinding;
export type OutputBinding = Writable | FilterBinding;

export interface BuildOptions {
  /** Where filter names are looked up (default: the built-in filters). */
  registry?: FilterRegistry;
}

export interface RunOptions {
  /** Streams or source filters for {@link FilterGraph.inputs}: in port order, or by label. */
  inputs?: readonly InputBinding[] | Record<string, InputBinding>;
  /** Streams or sink filters for {@link FilterGraph.outputs}: in port order, or by label. */
  outputs?: readonly OutputBinding[] | Record<string, OutputBinding>;
  /** Stops the graph: every stream is destroyed and `run()` rejects with an AbortError. */
  signal?: AbortSignal;
  /** File access for load/save (default: the process's files, stdin and stdout). */
  io?: FilterIo;
  /** Frames each branch of an automatic split may buffer (default 2). */
  splitHighWaterMark?: number;
  /** Models already loaded, by the name or path a graph uses (saves loading them again). */
  models?: ReadonlyMap<string, Model>;
}

const sameKinds = (a: readonly PadKind[], b: readonly PadKind[]): PadKind[] => a.filter((k) => b.includes(k));
const padKey = (p: NodePad): string => `${p.node}/${p.pad}`;

/** The default {@link FilterIo}: files through src/io, `-` through the process's stdin/stdout. */
export function processFilterIo(stdio: { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream & { isTTY?: boolean } } = process): FilterIo {
  return {
    openInput: (path) => openInput(path, stdio.stdin),
    openOutput: (path, o = {}) => openOutput(path, { stdout: stdio.stdout, binary: o.binary ?? true }),
  };
}

/** Is this an instance with several pads rather than one stream? */
const isMultiPad = (i: FilterInstance): i is { inputs: Writable[]; outputs: Readable[] } =>
  !(i instanceof Stream) && typeof i === 'object' && i !== null && Array.isArray((i as { inputs?: unknown }).inputs);

/** The error to report from a torn-down graph: the cause, not the abort or premature close it led to. */
function pickError(errors: unknown[]): unknown {
  const code = (e: unknown): unknown => (e as { code?: unknown })?.code;
  const secondary = (e: unknown): boolean => code(e) === 'ABORT_ERR' || code(e) === 'ERR_STREAM_PREMATURE_CLOSE' || (e as Error)?.name === 'AbortError';
  return errors.find((e) => isWallocError(e) && !secondary(e)) ?? errors.find((e) => !secondary(e)) ?? errors[0];
}

/**
 * A validated filter graph, ready to run (possibly several times).
 *
 * @example
 * const g = FilterGraph.parse('wpt=levels=3,analysis=model=rgb-16x,quantize,pack');
 * await g.run({ inputs: [frames], outputs: [{ filter: 'save', options: { file: 'photo.wlc' } }] });
 */
export class FilterGraph {
  readonly source: string | undefined;
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  /** Open input pads, in graph order; several inputs with one label are one port. */
  readonly inputs: readonly GraphPort[];
  /** Open output pads, in graph order. */
  readonly outputs: readonly GraphPort[];
  readonly registry: FilterRegistry;
  /** Every stream of the latest run, for diagnostics and tests (all destroyed once `run()` settles). */
  streams: Stream[] = [];

  private constructor(init: Pick<FilterGraph, 'source' | 'nodes' | 'edges' | 'inputs' | 'outputs' | 'registry'>) {
    this.source = init.source;
    this.nodes = init.nodes;
    this.edges = init.edges;
    this.inputs = init.inputs;
    this.outputs = init.outputs;
    this.registry = init.registry;
  }

  /**
   * Parses and builds a graph. Every check that needs no data happens here: syntax
   * (`WALLOC_ERR_GRAPH_SYNTAX`), filter names (`WALLOC_ERR_FILTER_UNKNOWN`), options
   * (`WALLOC_ERR_FILTER_OPTION`), labels and cycles (`WALLOC_ERR_GRAPH_LINK`), kinds (`WALLOC_ERR_GRAPH_KIND`).
   *
   * @example
   * const g = FilterGraph.parse('split[a][b];[a]pack,save=a.wlc;[b]nullsink');
   * g.inputs.length; // 1: split's input, bound when running
   */
  static parse(source: string, options: BuildOptions = {}): FilterGraph {
    return FilterGraph.build(parseGraph(source), { ...options, source });
  }

  /**
   * Builds a graph from a parse tree (see {@link FilterGraph.parse}).
   *
   * @example
   * const g = FilterGraph.build({ chains: [{ filters: [makeFilter({ name: 'wpt', options: { levels: 2 } })] }] });
   */
  static build(graph: Graph, options: BuildOptions & { source?: string } = {}): FilterGraph {
    const registry = options.registry ?? defaultRegistry;
    const source = options.source;
    const nodes: GraphNode[] = [];
    const byFilter = new Map<FilterNode, GraphNode>();
    graph.chains.forEach((chain, ci) =>
      chain.filters.forEach((f, fi) => {
        const def = registry.require(f.name, { source, position: f.pos?.name });
        const label = f.id !== undefined ? `${f.name}@${f.id}` : graph.chains.length === 1 && chain.filters.length === 1 ? f.name : `${f.name} (chain ${ci}, filter ${fi})`;
        const opts = resolveNodeOptions(def, f, { source, instance: label });
        const problem = def.check?.(opts as never);
        if (problem) throw optionError(def.name, problem.option, problem.reason, { source, instance: label }, f.pos?.args);
        const pads = padsOf(def, opts);
        const n: GraphNode = { index: nodes.length, chain: ci, filter: fi, label, def, options: opts, inputs: pads.inputs, outputs: pads.outputs, node: f };
        nodes.push(n);
        byFilter.set(f, n);
      }),
    );
    checkChainLinks(graph, byFilter, source);
    // Two sinks writing one file would overwrite each other (or interleave two streams on stdout).
    const written = new Map<string, GraphNode>();
    for (const n of nodes) {
      const file = n.def.name === 'save' ? n.options.file : undefined;
      if (typeof file !== 'string') continue;
      const other = written.get(file);
      if (other) throw werr('WALLOC_ERR_GRAPH_LINK', { reason: `${other.label} and ${n.label} both write ${file === '-' ? 'stdout' : file}; give each save its own file` });
      written.set(file, n);
    }
    // A save onto a file a load reads would destroy the input while it is read.
    for (const n of nodes) {
      const file = n.def.name === 'load' ? n.options.file : undefined;
      if (typeof file === 'string') for (const out of written.keys()) checkNotInput(file, out);
    }
    const counts = (f: FilterNode): PadCounts => {
      const n = byFilter.get(f)!;
      return { inputs: n.inputs.length, outputs: n.outputs.length };
    };
    const resolved = resolveLinks(graph, counts);
    const at = (r: { chain: number; filter: number }): GraphNode => byFilter.get(graph.chains[r.chain]!.filters[r.filter]!)!;
    const padName = (n: GraphNode, side: 'input' | 'output', pad: number): string => `${side} ${pad} of ${n.label}`;

    // Edges by output pad; a second input that names the same label fans out from it.
    const edges = new Map<string, GraphEdge>();
    const outputByLabel = new Map<string, NodePad>();
    const addEdge = (from: NodePad, to: NodePad, label?: string): void => {
      const k = padKey(from);
      const e = edges.get(k);
      if (e) e.to.push(to);
      else edges.set(k, label === undefined ? { from, to: [to] } : { from, to: [to], label });
    };
    for (const l of resolved.links) {
      const from = { node: at(l.from).index, pad: l.from.pad };
      addEdge(from, { node: at(l.to).index, pad: l.to.pad }, l.label);
      if (l.label !== undefined && !outputByLabel.has(l.label)) outputByLabel.set(l.label, from);
    }
    const openOut = resolved.openOutputs.map((p) => ({ ...p, ref: { node: at(p).index, pad: p.pad } }));
    for (const p of openOut) if (p.label !== undefined && !outputByLabel.has(p.label)) outputByLabel.set(p.label, p.ref);
    const fedOpenOutputs = new Set<string>();
    const inputPorts = new Map<string, GraphPort>();
    const inputs: GraphPort[] = [];
    for (const p of resolved.openInputs) {
      const n = at(p);
      const to = { node: n.index, pad: p.pad };
      const from = p.label === undefined ? undefined : outputByLabel.get(p.label);
      if (from) {
        addEdge(from, to, p.label);
        fedOpenOutputs.add(padKey(from));
        continue;
      }
      const kinds = n.inputs[p.pad]!.kinds;
      const existing = p.label === undefined ? undefined : inputPorts.get(p.label);
      if (existing) {
        // One external input feeding several pads: it will be split, so the kinds must suit all.
        existing.pads.push(to);
        existing.kinds = sameKinds(existing.kinds, kinds);
        existing.describe += ` and ${padName(n, 'input', p.pad)}`;
        continue;
      }
      const port: GraphPort = { pads: [to], kinds, describe: padName(n, 'input', p.pad) };
      if (p.label !== undefined) {
        port.label = p.label;
        inputPorts.set(p.label, port);
      }
      inputs.push(port);
    }
    const outputs: GraphPort[] = openOut
      .filter((p) => !fedOpenOutputs.has(padKey(p.ref)))
      .map((p) => {
        const n = nodes[p.ref.node]!;
        const port: GraphPort = { pads: [p.ref], kinds: n.outputs[p.pad]!.kinds, describe: padName(n, 'output', p.pad) };
        if (p.label !== undefined) port.label = p.label;
        return port;
      });

    const g = new FilterGraph({ source, nodes, edges: [...edges.values()], inputs, outputs, registry });
    g.checkKinds();
    return g;
  }

  /**
   * Propagates kinds in topological order and checks every link; refuses cycles (a cycle of
   * streams would wait on itself forever).
   */
  private checkKinds(): void {
    const n = this.nodes.length;
    const indeg = new Array<number>(n).fill(0);
    for (const e of this.edges) for (const t of e.to) indeg[t.node]!++;
    const inKinds = this.nodes.map((node) => node.inputs.map((p) => p.kinds));
    for (const port of this.inputs) for (const p of port.pads) inKinds[p.node]![p.pad] = sameKinds(inKinds[p.node]![p.pad]!, port.kinds);
    const queue = this.nodes.filter((_, i) => indeg[i] === 0).map((x) => x.index);
    const outKinds = (node: GraphNode, pad: number): readonly PadKind[] => {
      const spec = node.outputs[pad]!;
      return spec.follows === undefined ? spec.kinds : sameKinds(spec.kinds, inKinds[node.index]![spec.follows]!);
    };
    let visited = 0;
    while (queue.length) {
      const i = queue.shift()!;
      visited++;
      const node = this.nodes[i]!;
      for (const e of this.edges) {
        if (e.from.node !== i) continue;
        const produced = outKinds(node, e.from.pad);
        for (const t of e.to) {
          const target = this.nodes[t.node]!;
          const expected = target.inputs[t.pad]!.kinds;
          const meet = sameKinds(produced, expected);
          if (meet.length === 0) {
            throw werr('WALLOC_ERR_GRAPH_KIND', {
              from: `${node.label} (output ${e.from.pad})`, to: `${target.label} (input ${t.pad})`,
              produced: produced.join(' or '), expected: expected.join(' or '), label: e.label,
            });
          }
          inKinds[t.node]![t.pad] = meet;
          if (--indeg[t.node]! === 0) queue.push(t.node);
        }
      }
    }
    if (visited < n) {
      const stuck = this.nodes.filter((_, i) => indeg[i]! > 0).map((x) => x.label);
      throw werr('WALLOC_ERR_GRAPH_LINK', { reason: `the graph has a cycle through ${stuck.join(', ')}; a filter cannot consume its own output` });
    }
    // Ports of outputs: what may actually come out, for callers that bind them.
    for (const port of this.outputs) {
      const p = port.pads[0]!;
      port.kinds = outKinds(this.nodes[p.node]!, p.pad);
    }
  }

  /**
   * Runs the graph to the end. Binds {@link inputs} and {@link outputs} (every open pad must be
   * bound, or the run fails with `WALLOC_ERR_GRAPH_LINK` naming the filter and pad), creates
   * every filter's stream, and pipes every link. Resolves when every sink has finished; on the
   * first error anywhere, or when `signal` aborts, destroys every stream of the graph (sinks
   * remove their partial files) and rejects with that error (an AbortError for the signal).
   *
   * @example
   * const ac = new AbortController();
   * process.once('SIGINT', () => ac.abort());
   * await FilterGraph.parse('load=a.png,wpt,analysis=model=rgb-16x,quantize,pack,save=a.wlc').run({ signal: ac.signal });
   */
  async run(options: RunOptions = {}): Promise<void> {
    const ac = new AbortController();
    // One listener per link on the shared signal: not a leak, so lift the default warning limit.
    setMaxListeners(0, ac.signal);
    const external = options.signal;
    if (external?.aborted) throw external.reason ?? new DOMException('The operation was aborted', 'AbortError');
    const onAbort = (): void => ac.abort(external!.reason);
    external?.addEventListener('abort', onAbort, { once: true });

    const streams: Stream[] = [];
    this.streams = streams;
    const models = new Map<string, Model>(options.models ?? []);
    const io = options.io ?? processFilterIo();
    const ctxFor = (label: string): FilterContext => ({
      instance: label,
      signal: ac.signal,
      io,
      loadModel: (nameOrPath) => {
        let m = models.get(nameOrPath);
        if (!m) {
          m = loadModel(nameOrPath);
          models.set(nameOrPath, m);
        }
        return m;
      },
      findModel: (name) => [...models.values()].find((m) => m.config.name === name || m.id === name),
    });
    // Without an error on purpose: once the links have settled nobody listens for 'error' any
    // more, and an unheard 'error' would crash the process. Sinks treat any destroy before their
    // end as a failure and remove their partial files.
    const destroyAll = (): void => {
      for (const s of streams) if (!(s as Readable | Writable).destroyed) (s as Readable | Writable).destroy();
    };

    try {
      // ---- instances ------------------------------------------------------------------------
      const ins: Writable[][] = [];
      const outs: Readable[][] = [];
      const instantiate = async (def: AnyFilterDefinition, opts: Record<string, unknown>, label: string, nIn: number, nOut: number): Promise<{ inputs: Writable[]; outputs: Readable[] }> => {
        if (ac.signal.aborted) throw ac.signal.reason;
        const inst = await def.create(opts as never, ctxFor(label));
        let r: { inputs: Writable[]; outputs: Readable[] };
        if (isMultiPad(inst)) r = inst;
        else if (nIn === 0) r = { inputs: [], outputs: [inst as Readable] };
        else if (nOut === 0) r = { inputs: [inst as Writable], outputs: [] };
        else r = { inputs: [inst as Duplex], outputs: [inst as Duplex] };
        for (const s of [...r.inputs, ...r.outputs]) if (!streams.includes(s)) streams.push(s);
        if (r.inputs.length !== nIn || r.outputs.length !== nOut) {
          throw werr('WALLOC_ERR_INTERNAL', { reason: `filter ${label} made ${r.inputs.length}/${r.outputs.length} streams for ${nIn}/${nOut} pads` });
        }
        return r;
      };
      // Sequentially: a filter that fails to start (a missing model) stops the rest from starting.
      for (const n of this.nodes) {
        const r = await instantiate(n.def, n.options, n.label, n.inputs.length, n.outputs.length);
        ins.push(r.inputs);
        outs.push(r.outputs);
      }

      // ---- bindings -------------------------------------------------------------------------
      const bind = async <B>(ports: readonly GraphPort[], given: readonly B[] | Record<string, B> | undefined, side: 'input' | 'output'): Promise<Array<Readable | Writable>> => {
        const list = Array.isArray(given) ? given : undefined;
        const named = !Array.isArray(given) && given !== undefined ? (given as Record<string, B>) : undefined;
        if (list && list.length > ports.length) {
          throw werr('WALLOC_ERR_GRAPH_LINK', { reason: `${list.length} ${side}s were given but the graph has ${ports.length} open ${side} pad(s)` });
        }
        if (named) {
          for (const k of Object.keys(named)) {
            if (!ports.some((p) => p.label === k)) throw werr('WALLOC_ERR_GRAPH_LINK', { reason: `no open ${side} is labelled [${k}]; open ${side}s: ${ports.map((p) => (p.label ? `[${p.label}]` : p.describe)).join(', ') || 'none'}` });
          }
        }
        const result: Array<Readable | Writable> = [];
        for (const [i, port] of ports.entries()) {
          const b = list ? list[i] : port.label !== undefined ? named?.[port.label] : undefined;
          if (b === undefined) {
            throw werr('WALLOC_ERR_GRAPH_LINK', { reason: `${port.describe}${port.label ? ` [${port.label}]` : ''} is not connected; link it with a label, end the chain with a ${side === 'input' ? 'source such as load' : 'sink such as save or nullsink'}, or bind it` });
          }
          if (b instanceof Stream) {
            streams.push(b);
            result.push(b as unknown as Readable | Writable);
            continue;
          }
          // Frames given as an array, a generator or an async iterable feed an input as a stream
          // would (what stream.pipeline accepts too).
          if (side === 'input' && isFrameIterable(b)) {
            const r = Readable.from(b as Iterable<unknown> | AsyncIterable<unknown>, { objectMode: true });
            streams.push(r);
            result.push(r);
            continue;
          }
          if (typeof b !== 'object' || b === null || typeof (b as { filter?: unknown }).filter !== 'string') {
            throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `${side} ${i} (${port.describe}): expected ${side === 'input' ? 'a Readable of frames, an array or (async) iterable of frames' : 'a Writable'} or a { filter, options } binding, got ${describeValue(b)}` });
          }
          const fb = b as unknown as FilterBinding;
          const def = this.registry.require(fb.filter);
          const label = `${fb.filter} (bound to ${port.describe})`;
          const opts = resolveNodeOptions(def, { name: fb.filter, inputs: [], outputs: [], options: Object.entries(fb.options ?? {}).map(([key, v]) => ({ key, value: String(v) })) }, { instance: label });
          const pads = padsOf(def, opts);
          const want = side === 'input' ? pads.outputs : pads.inputs;
          if ((side === 'input' ? pads.inputs : pads.outputs).length !== 0 || want.length !== 1) {
            throw werr('WALLOC_ERR_GRAPH_LINK', { reason: `${fb.filter} cannot be bound to an ${side}: it must be a ${side === 'input' ? 'source' : 'sink'} with one pad` });
          }
          if (sameKinds(want[0]!.kinds, port.kinds).length === 0) {
            throw werr('WALLOC_ERR_GRAPH_KIND', side === 'input'
              ? { from: label, to: port.describe, produced: want[0]!.kinds.join(' or '), expected: port.kinds.join(' or ') }
              : { from: port.describe, to: label, produced: port.kinds.join(' or '), expected: want[0]!.kinds.join(' or ') });
          }
          const r = await instantiate(def, opts, label, side === 'input' ? 0 : 1, side === 'input' ? 1 : 0);
          result.push(side === 'input' ? r.outputs[0]! : r.inputs[0]!);
        }
        return result;
      };
      const inputStreams = (await bind(this.inputs, options.inputs, 'input')) as Readable[];
      const outputStreams = (await bind(this.outputs, options.outputs, 'output')) as Writable[];

      // ---- links ----------------------------------------------------------------------------
      const errors: unknown[] = [];
      const links: Array<Promise<void>> = [];
      const link = (from: Readable, to: Writable): void => {
        links.push(pipeline(from, to, { signal: ac.signal }).catch((e: unknown) => {
          errors.push(e);
          if (!ac.signal.aborted) ac.abort(e);
        }));
      };
      const fanOut = (from: Readable, targets: Writable[]): void => {
        if (targets.length === 1) return link(from, targets[0]!);
        const s = splitStreams(targets.length, options.splitHighWaterMark === undefined ? {} : { highWaterMark: options.splitHighWaterMark });
        streams.push(s.input, ...s.outputs);
        link(from, s.input);
        s.outputs.forEach((o, i) => link(o, targets[i]!));
      };
      for (const e of this.edges) fanOut(outs[e.from.node]![e.from.pad]!, e.to.map((t) => ins[t.node]![t.pad]!));
      this.inputs.forEach((port, i) => fanOut(inputStreams[i]!, port.pads.map((t) => ins[t.node]![t.pad]!)));
      this.outputs.forEach((port, i) => link(outs[port.pads[0]!.node]![port.pads[0]!.pad]!, outputStreams[i]!));

      await Promise.all(links);
      if (errors.length) {
        destroyAll();
        await closed(streams);
        if (external?.aborted) throw external.reason ?? pickError(errors);
        throw pickError(errors);
      }
    } catch (e) {
      // Set-up failed (or a link did): nothing may be left running or holding a file.
      destroyAll();
      await closed(streams);
      throw e;
    } finally {
      external?.removeEventListener('abort', onAbort);
    }
  }
}

/**
 * A `WALLOC_ERR_GRAPH_LINK` error. Given the graph text and a position in it, the message ends
 * with the graph line and a caret under that position, as syntax and option errors do.
 *
 * @example
 * linkError('save is a sink (it has no output); nothing can follow it in a chain', 'save=a.wlc,wpt', 11).message;
 * // filter graph: save is a sink (it has no output); nothing can follow it in a chain
 * //   save=a.wlc,wpt
 * //              ^
 */
function linkError(reason: string, source?: string, position?: number): WallocError {
  if (source === undefined || position === undefined) return werr('WALLOC_ERR_GRAPH_LINK', { reason });
  // The syntax error's reason adds "(line L, column C)" to a multi-line graph's.
  const e = graphSyntaxError(source, position, reason);
  return withGraphExcerpt(werr('WALLOC_ERR_GRAPH_LINK', { reason: e.details.reason, position, line: e.details.line, column: e.details.column }), e);
}

/**
 * Refuses a `,` that cannot make a link because one side has no pad: a filter after a sink would
 * wait for an input no filter of the chain gives it (the CLI would then bind it to stdin, and the
 * run fail on an empty input far from the mistake), and a source after a filter would leave that
 * filter's output dangling. Only an unlabelled pad is a chain link, so `nullsink,[x]wpt` (whose
 * input comes from a label) and `save=a.wlc,load=b.png` (two pipelines) stay valid, as in ffmpeg.
 */
function checkChainLinks(graph: Graph, byFilter: ReadonlyMap<FilterNode, GraphNode>, source: string | undefined): void {
  const name = (f: FilterNode): string => (f.id === undefined ? f.name : `${f.name}@${f.id}`);
  for (const chain of graph.chains) {
    for (let i = 1; i < chain.filters.length; i++) {
      const prev = chain.filters[i - 1]!;
      const next = chain.filters[i]!;
      const p = byFilter.get(prev)!;
      const n = byFilter.get(next)!;
      const takesChainInput = n.inputs.length > next.inputs.length;
      const givesChainOutput = p.outputs.length > prev.outputs.length;
      if (p.outputs.length === 0 && takesChainInput) {
        throw linkError(`${name(prev)} is a sink (it has no output); nothing can follow it in a chain, so ${name(next)} would have no input`, source, next.pos?.name);
      }
      if (n.inputs.length === 0 && givesChainOutput) {
        throw linkError(`${name(next)} is a source (it has no input); it cannot follow ${name(prev)} in a chain, whose output would go nowhere (end that chain with a sink such as save, and start a new one with ';')`, source, next.pos?.name);
      }
    }
  }
}

/**
 * Waits (at most `ms`) until every destroyed stream has finished closing: a sink removes its
 * partial file in its destroy, which may outlast the pipeline's error, and a caller that awaited
 * the graph must not find that file.
 */
async function closed(streams: Stream[], ms = 5000): Promise<void> {
  const pending = streams
    .map((s) => s as Readable & { closed?: boolean })
    .filter((s) => s.closed === false && s !== (process.stdout as unknown) && s !== (process.stdin as unknown));
  if (pending.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(pending.map((s) => new Promise<void>((resolve) => { if (s.closed) resolve(); else s.once('close', () => resolve()); }))),
    new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); }),
  ]);
  clearTimeout(timer);
}

/**
 * Parses, builds and runs a graph in one call.
 *
 * @example
 * await runGraph('load=photo.png,wpt=levels=3,analysis=model=rgb-16x,quantize,pack,save=photo.wlc');
 * await runGraph('wpt,iwpt', { inputs: [Readable.from(frames)], outputs: [collector] });
 */
export async function runGraph(source: string, options: RunOptions & BuildOptions = {}): Promise<void> {
  return FilterGraph.parse(source, options).run(options);
}

/** True for an array, a (sync or async) generator or any iterable that is not a string or bytes. */
function isFrameIterable(b: unknown): boolean {
  if (typeof b !== 'object' || b === null || ArrayBuffer.isView(b)) return false;
  return typeof (b as Iterable<unknown>)[Symbol.iterator] === 'function' || typeof (b as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

/** A short description of a value for an error message. */
function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  return (v as object).constructor?.name ?? 'an object';
}
