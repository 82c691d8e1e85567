import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { FilterGraph, runGraph } from '../../filters/graph.js';
import { BUILTIN_FILTERS, FilterRegistry } from '../../filters/registry.js';
import { defineFilter, MEDIA_KINDS, PAD_KINDS, type AnyFilterDefinition } from '../../filters/definition.js';
import { readImage } from '../../src/io/image.js';
import { readWlcSync } from '../../src/container/index.js';
import { wptForward, wptInverse } from '../../transforms/wpt.js';
import { analysisFromModel } from '../../filters/f_analysis.js';
import { quantizeFrame, dequantizeFrame } from '../../transforms/quantize.js';
import { packFrame, unpackFrame } from '../../transforms/pack.js';
import { Synthesizer } from '../../transforms/synthesis.js';
import { frameTransform } from '../../src/streams.js';
import { makeFrame, type Frame } from '../../src/frame.js';
import { collector, countingSource, tinyModel } from './helpers.js';

const PHOTO = 'fixtures/images/chelsea_128x96.png';
const PHOTO2 = 'fixtures/images/astronaut_97x131.png';
const model = tinyModel();
const M = model.dir!;

/** The codec path by direct function calls, for comparison with graphs. */
async function direct(img: Frame): Promise<{ packed: Frame; decoded: Frame }> {
  const enc = analysisFromModel(model);
  const packed = await packFrame(quantizeFrame(enc.encode(wptForward(img, { levels: 1 }))));
  const syn = await Synthesizer.create(model);
  const decoded = wptInverse(syn.decode(dequantizeFrame(await unpackFrame(packed))));
  return { packed, decoded };
}

const sameFrame = (tt: { same: typeof t.same; equal: typeof t.equal; ok: typeof t.ok }, a: Frame, b: Frame, what: string): void => {
  tt.same([...a.shape], [...b.shape], `${what}: shape`);
  tt.equal(a.kind, b.kind, `${what}: kind`);
  tt.ok(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength)), `${what}: bit-identical data`);
};

/** A registry with test filters: `fail` throws on frame N, `slow` delays each frame. */
function testRegistry(): FilterRegistry {
  const fail = defineFilter({
    name: 'fail', description: 'throws on frame N (test)',
    inputs: [{ name: 'default', kinds: PAD_KINDS }], outputs: [{ name: 'default', kinds: PAD_KINDS, follows: 0 }],
    options: { at: { type: 'int', default: 0, min: 0, help: 'frame to fail on' } },
    create: (o) => {
      let i = 0;
      return frameTransform((f: Frame) => {
        if (i++ === o.at) throw new Error(`boom at frame ${o.at}`);
        return f;
      });
    },
  });
  const delay = defineFilter({
    name: 'delay', description: 'waits before passing each frame (test)',
    inputs: [{ name: 'default', kinds: PAD_KINDS }], outputs: [{ name: 'default', kinds: PAD_KINDS, follows: 0 }],
    options: { ms: { type: 'int', default: 5, min: 0, help: 'milliseconds' } },
    create: (o) => frameTransform(async (f: Frame) => { await new Promise((r) => setTimeout(r, o.ms)); return f; }),
  });
  return new FilterRegistry([...BUILTIN_FILTERS, fail, delay] as unknown as AnyFilterDefinition[]);
}

t.test('the whole codec path as one graph equals direct function calls', async (tt) => {
  const imgs = [await readImage(PHOTO), await readImage(PHOTO2)];
  const g = FilterGraph.parse(`wpt=levels=1,analysis=model=${M},quantize,pack,unpack,dequantize,synthesis=model=${M},iwpt`);
  tt.equal(g.inputs.length, 1);
  tt.same(g.inputs[0]!.kinds, MEDIA_KINDS);
  tt.equal(g.outputs.length, 1);
  const out = collector();
  await g.run({ inputs: [Readable.from(imgs)], outputs: [out] });
  tt.equal(out.frames.length, 2);
  for (const [i, img] of imgs.entries()) sameFrame(tt, out.frames[i]!, (await direct(img)).decoded, `frame ${i}`);
  tt.ok(g.streams.every((s) => (s as Readable).destroyed), 'every stream is destroyed after the run');
});

t.test('inputs as arrays and (async) generators feed the graph like streams; anything else is a coded error', async (tt) => {
  const img = await readImage(PHOTO);
  const ref = collector();
  await runGraph('wpt=levels=1,iwpt', { inputs: [Readable.from([img])], outputs: [ref] });
  for (const input of [[img], (function* () { yield img; })(), (async function* () { yield img; })()]) {
    const out = collector();
    await runGraph('wpt=levels=1,iwpt', { inputs: [input], outputs: [out] });
    tt.equal(out.frames.length, 1);
    tt.same(out.frames[0]!.data, ref.frames[0]!.data);
  }
  for (const bad of [42, { nope: 1 }, 'a.png']) {
    await tt.rejects(runGraph('wpt=levels=1,nullsink', { inputs: [bad as never] }), { code: 'WALLOC_ERR_INVALID_ARGUMENT', message: /input 0 .*expected a Readable/ });
  }
});

t.test('save refuses a media name it cannot write (a .wlc under out.wav would fool every player)', async (tt) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-graph-'));
  for (const name of ['out.wav', 'clip.mp4', 'x.y4m']) {
    await tt.rejects(runGraph(`load=${PHOTO},wpt=levels=1,analysis=model=${M},quantize,pack,save=${join(dir, name)}`), { code: 'WALLOC_ERR_FILTER_OPTION', message: /does not write .*walloc-decode/ });
  }
  await runGraph(`load=${PHOTO},wpt=levels=1,analysis=model=${M},quantize,pack,save=file=${join(dir, 'kept.wav')}:format=wlc`);
  tt.same(readdirSync(dir), ['kept.wav'], 'format=wlc keeps the name; nothing else was written');
});

t.test('load and save: image → .wlc → image through files, matching direct calls', async (tt) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-graph-'));
  const wlc = join(dir, 'photo.wlc');
  await runGraph(`load=${PHOTO},wpt=levels=1,analysis=model=${M},quantize,pack,save=${wlc}`);
  const { header, frames } = readWlcSync(readFileSync(wlc));
  const want = await direct(await readImage(PHOTO));
  tt.equal(frames.length, 1);
  tt.same(frames[0]!.data, want.packed.data, 'packed bytes equal packFrame');
  tt.match(header, { model: 'tiny-test', modelSha256: model.sha256, modality: 'image', levels: 1, wavelet: 'bior4.4', latentDim: 6, bits: 8, pack: 'webp', shape: [3, 96, 128] });

  const raw = join(dir, 'decoded.wlc');
  const png = join(dir, 'decoded.png');
  await runGraph(`load=${wlc},unpack,dequantize,synthesis=model=${M},iwpt,split[a][b];[a]save=${raw};[b]save=${png}`);
  sameFrame(tt, readWlcSync(readFileSync(raw)).frames[0]!, want.decoded, 'raw frames in .wlc');
  const back = await readImage(png);
  tt.same([...back.shape], [3, 96, 128], 'PNG written');
  tt.same(readdirSync(dir).filter((f) => f.startsWith('.')), [], 'no temporary files left');
});

t.test('fan-out: explicit split and a label used twice both deliver every frame to every branch', async (tt) => {
  const frames = Array.from({ length: 5 }, (_, i) => makeFrame('image', [3, 8, 8], new Float32Array(192).fill(i / 10), { pts: i }));
  for (const text of ['split[a][b];[a]wpt=levels=1[x];[b]crop=4:4[y]', '[in]wpt=levels=1[x];[in]crop=4:4[y]']) {
    const g = FilterGraph.parse(text);
    const x = collector();
    const y = collector();
    const inputs = g.inputs[0]!.label === 'in' ? { in: Readable.from(frames) } : [Readable.from(frames)];
    await g.run({ inputs, outputs: { x, y } });
    tt.equal(x.frames.length, 5, `${text}: branch x`);
    tt.equal(y.frames.length, 5, `${text}: branch y`);
    tt.same(y.frames.map((f) => f.meta.pts), [0, 1, 2, 3, 4]);
    tt.same([...y.frames[0]!.shape], [3, 4, 4]);
  }
  // An output label that two later inputs name: the second gets a split automatically.
  const g = FilterGraph.parse('wpt=levels=1[c];[c]iwpt[x];[c]iwpt[y]');
  tt.equal(g.edges.find((e) => e.label === 'c')!.to.length, 2);
  const x = collector();
  const y = collector();
  await g.run({ inputs: [Readable.from(frames)], outputs: { x, y } });
  tt.equal(x.frames.length + y.frames.length, 10);
});

t.test('fan-out backpressure: the slowest branch throttles the source, buffers stay bounded', async (tt) => {
  const N = 200;
  const frames = Array.from({ length: N }, (_, i) => makeFrame('image', [1, 2, 2], new Float32Array(4), { pts: i }));
  const src = countingSource(frames);
  let slowSeen = 0;
  let release: (() => void) | undefined;
  const slow = new Writable({
    objectMode: true, highWaterMark: 1,
    write(_f, _e, cb) {
      slowSeen++;
      release = () => cb();
    },
  });
  const fast = collector();
  const g = FilterGraph.parse('split[a][b]');
  const run = g.run({ inputs: [src], outputs: [fast, slow] });
  let maxLead = 0;
  for (let step = 0; step < 20; step++) {
    await new Promise((r) => setTimeout(r, 5));
    maxLead = Math.max(maxLead, src.pulled() - slowSeen);
    const r = release;
    release = undefined;
    r?.();
  }
  // Frames in flight between the source and the slow sink: the split's branch buffer (2), its
  // one-frame input, and a frame or two in each stream's buffers; never the whole input.
  tt.ok(maxLead <= 8, `the source ran at most a few frames ahead of the slow branch (lead ${maxLead})`);
  tt.ok(fast.frames.length <= slowSeen + 8, `the fast branch was held back too (${fast.frames.length} vs ${slowSeen})`);
  // Let it finish.
  const drain = setInterval(() => { const r = release; release = undefined; r?.(); }, 0);
  await run;
  clearInterval(drain);
  tt.equal(fast.frames.length, N);
  tt.equal(slowSeen, N);
});

t.test('an error anywhere tears the whole graph down, leaving no streams or listeners', async (tt) => {
  const reg = testRegistry();
  const frames = Array.from({ length: 50 }, (_, i) => makeFrame('image', [1, 4, 4], new Float32Array(16), { pts: i }));
  const src = countingSource(frames);
  const sink = collector();
  const slowSink = collector();
  const sigint = process.listenerCount('SIGINT');
  const g = FilterGraph.parse('split[a][b];[a]fail=at=3[x];[b]delay=ms=20[y]', { registry: reg });
  await tt.rejects(g.run({ inputs: [src], outputs: { x: sink, y: slowSink } }), { message: 'boom at frame 3' });
  tt.ok(g.streams.length >= 6);
  tt.ok(g.streams.every((s) => (s as Readable).destroyed), 'every stream destroyed');
  tt.ok(src.destroyed && sink.destroyed && slowSink.destroyed, 'bound streams destroyed too');
  // pipe() leaves its 'end'/'finish' bookkeeping on streams torn down mid-flight (they are
  // garbage now); what must be gone is anything that would keep pulling or pushing data.
  for (const s of g.streams) for (const ev of ['data', 'drain', 'readable']) tt.equal(s.listenerCount(ev), 0, `no ${ev} listener left`);
  tt.ok(src.pulled() < 50, 'the source stopped early');
  tt.equal(process.listenerCount('SIGINT'), sigint);
});

t.test('a failing sink removes its partial file; a failing source stops the graph', async (tt) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-graph-'));
  const reg = testRegistry();
  const frames = Array.from({ length: 10 }, (_, i) => makeFrame('image', [1, 4, 4], new Float32Array(16), { pts: i }));
  await tt.rejects(FilterGraph.parse(`fail=at=4,save=${join(dir, 'x.wlc')}`, { registry: reg }).run({ inputs: [Readable.from(frames)] }), { message: 'boom at frame 4' });
  tt.same(readdirSync(dir), [], 'no file, no temporary file');
  const bad = new Readable({ objectMode: true, read() { this.destroy(new Error('source broke')); } });
  await tt.rejects(FilterGraph.parse('wpt=levels=1,nullsink').run({ inputs: [bad] }), { message: 'source broke' });
  await tt.rejects(runGraph(`load=fixtures/images/truncated.png,wpt,nullsink`), { code: 'WALLOC_ERR_UNSUPPORTED_INPUT' });
  await tt.rejects(runGraph(`load=${join(dir, 'missing.png')},nullsink`), { code: 'WALLOC_ERR_FILE_NOT_FOUND' });
  await tt.rejects(runGraph(`load=${PHOTO},analysis=model=${join(dir, 'no-model')},nullsink`), { code: 'WALLOC_ERR_MODEL_NOT_FOUND' });
});

t.test('an AbortSignal stops a running graph cleanly', async (tt) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-graph-'));
  const reg = testRegistry();
  const endless = new Readable({ objectMode: true, highWaterMark: 1, read() { this.push(makeFrame('image', [1, 4, 4], new Float32Array(16))); } });
  const ac = new AbortController();
  const g = FilterGraph.parse(`delay=ms=2,save=${join(dir, 'out.wlc')}`, { registry: reg });
  setTimeout(() => ac.abort(), 50);
  await tt.rejects(g.run({ inputs: [endless], signal: ac.signal }), { name: 'AbortError' });
  tt.ok(g.streams.every((s) => (s as Readable).destroyed));
  tt.same(readdirSync(dir), [], 'the partial output was removed');
  const pre = new AbortController();
  pre.abort();
  await tt.rejects(FilterGraph.parse('wpt').run({ inputs: [Readable.from([])], outputs: [collector()], signal: pre.signal }), { name: 'AbortError' });
});

t.test('numbered images: a failed or aborted graph removes the frames it had written; a finished one keeps them', async (tt) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-graph-frames-'));
  const clip = readFileSync('fixtures/video/chelsea_pan_96x64.y4m');
  writeFileSync(join(dir, 'keep.txt'), 'not ours');
  // The y4m ends inside its second frame (frame 1, counted from 0): the first is saved (renamed into place) before load fails.
  const truncated = join(dir, 'cut.y4m');
  writeFileSync(truncated, clip.subarray(0, clip.indexOf('FRAME') + 6 + 9216 + 3000));
  await tt.rejects(runGraph(`load=${truncated},save=${join(dir, 'f-%04d.png')}`), { code: 'WALLOC_ERR_UNSUPPORTED_INPUT', message: /ends inside frame 1 / });
  tt.same(readdirSync(dir).sort(), ['cut.y4m', 'keep.txt'], 'no frame and no temporary file is left; files it did not write stay');
  // A frame still being encoded when the graph failed must not be renamed into place afterwards.
  await new Promise((r) => setTimeout(r, 300));
  tt.same(readdirSync(dir).sort(), ['cut.y4m', 'keep.txt'], 'nor does one appear later');

  // The error comes only once frame 1 is on disk under its name.
  const photo = await readImage(PHOTO);
  async function* breaksAfterOne(): AsyncGenerator<Frame> {
    yield photo;
    for (let i = 0; i < 400 && !readdirSync(dir).includes('e-0001.png'); i++) await new Promise((r) => setTimeout(r, 25));
    throw new Error('source broke after frame 1');
  }
  await tt.rejects(FilterGraph.parse(`save=${join(dir, 'e-%04d.png')}`).run({ inputs: [breaksAfterOne()] }), { message: 'source broke after frame 1' });
  tt.same(readdirSync(dir).sort(), ['cut.y4m', 'keep.txt'], 'the frame written before the error is removed');

  // Aborted once frames are on disk (what Ctrl-C does in walloc filter).
  const reg = testRegistry();
  const endless = new Readable({ objectMode: true, highWaterMark: 1, read() { this.push(photo); } });
  const ac = new AbortController();
  const g = FilterGraph.parse(`delay=ms=2,save=${join(dir, 'g-%04d.png')}`, { registry: reg });
  const run = g.run({ inputs: [endless], signal: ac.signal });
  const written = (): number => readdirSync(dir).filter((f) => /^g-\d{4}\.png$/.test(f)).length;
  for (let i = 0; i < 400 && written() < 3; i++) await new Promise((r) => setTimeout(r, 25));
  tt.ok(written() >= 3, 'frames were written while the graph ran');
  ac.abort();
  await tt.rejects(run, { name: 'AbortError' });
  tt.same(readdirSync(dir).sort(), ['cut.y4m', 'keep.txt'], 'the aborted run left none of its frames');

  await runGraph(`load=fixtures/video/chelsea_pan_96x64.y4m,save=${join(dir, 'h-%04d.png')}`);
  tt.same(readdirSync(dir).filter((f) => f.startsWith('h-')), ['h-0001.png', 'h-0002.png', 'h-0003.png'], 'a finished run keeps every frame');
});

t.test('build errors name the filter, the option or the pads', async (tt) => {
  tt.throws(() => FilterGraph.parse('wtp=levels=2'), { code: 'WALLOC_ERR_FILTER_UNKNOWN', message: /unknown filter "wtp".*did you mean "wpt"\?.*\n  wtp=levels=2\n  \^/s });
  tt.throws(() => FilterGraph.parse('wpt=levels=99'), { code: 'WALLOC_ERR_FILTER_OPTION', details: { filter: 'wpt', option: 'levels' }, message: /option "levels" must be an integer from 1 to 12, got "99" \(out of range\)\n  wpt=levels=99\n      \^/ });
  tt.throws(() => FilterGraph.parse('wpt=levles=2'), { code: 'WALLOC_ERR_FILTER_OPTION', message: /unknown option "levles" \(did you mean "levels"\?\)/ });
  tt.throws(() => FilterGraph.parse('scale=1:2:lanczos3:4'), { message: /too many positional values/ });
  tt.throws(() => FilterGraph.parse('scale=-1:-1'), { code: 'WALLOC_ERR_FILTER_OPTION', details: { option: 'w' } });
  tt.throws(() => FilterGraph.parse('analysis'), { code: 'WALLOC_ERR_FILTER_OPTION', message: /option "model" is required/ });
  tt.throws(() => FilterGraph.parse('wpt,quantize@q'), { code: 'WALLOC_ERR_GRAPH_KIND', message: /wpt \(chain 0, filter 0\) \(output 0\) outputs coeffs but quantize@q \(input 0\) expects latent/ });
  tt.throws(() => FilterGraph.parse('analysis=model=x,pack'), { code: 'WALLOC_ERR_GRAPH_KIND', message: /expects qlatent/ }, 'a missing quantize is found before running');
  tt.throws(() => FilterGraph.parse('wpt,split[a][b];[a]crop;[b]nullsink'), { code: 'WALLOC_ERR_GRAPH_KIND', message: /expects image/ }, 'kinds flow through pass-through filters');
  tt.throws(() => FilterGraph.parse('[a]crop[b];[b]crop[a]'), { code: 'WALLOC_ERR_GRAPH_LINK', message: /cycle/ });
  tt.throws(() => FilterGraph.parse('wpt[a][b]'), { code: 'WALLOC_ERR_GRAPH_LINK', message: /1 output pad\(s\) but 2 output labels/ });
  tt.throws(() => FilterGraph.parse('nullsink[x]'), { code: 'WALLOC_ERR_GRAPH_LINK' });
  tt.throws(() => FilterGraph.parse('split[a][b];[a]save=x.wlc;[b]save=file=x.wlc'), { code: 'WALLOC_ERR_GRAPH_LINK', message: /both write x\.wlc; give each save its own file/ });
  tt.throws(() => FilterGraph.parse('split[a][b];[a]save=-;[b]save=-'), { code: 'WALLOC_ERR_GRAPH_LINK', message: /both write stdout/ });
  await tt.rejects(FilterGraph.parse('wpt').run({ inputs: [Readable.from([])] }), { code: 'WALLOC_ERR_GRAPH_LINK', message: /output 0 of wpt is not connected/ });
  await tt.rejects(FilterGraph.parse('wpt,nullsink').run(), { code: 'WALLOC_ERR_GRAPH_LINK', message: /input 0 of wpt \(chain 0, filter 0\) is not connected/ });
  await tt.rejects(FilterGraph.parse('wpt,nullsink').run({ inputs: { nope: Readable.from([]) } }), { message: /no open input is labelled \[nope\]/ });
  await tt.rejects(FilterGraph.parse('wpt[o]').run({ inputs: [Readable.from([])], outputs: { o: { filter: 'load', options: { file: 'x' } } } }), { message: /load cannot be bound to an output/ });
});

t.test('a filter after a sink, or a source after a filter, is a link error at build time with a caret under it', (tt) => {
  // What a user audit found: the trailing wpt became an open input, and `walloc filter` read stdin.
  const after = `load=file=${PHOTO},wpt,analysis=model=${M},quantize,pack,save=file=x.wlc,wpt`;
  tt.throws(() => FilterGraph.parse(after), {
    code: 'WALLOC_ERR_GRAPH_LINK',
    details: { position: after.length - 3 },
    message: /^filter graph: save is a sink \(it has no output\); nothing can follow it in a chain, so wpt would have no input\n  …[^\n]*save=file=x\.wlc,wpt\n {2}( *)\^$/,
  });
  try {
    FilterGraph.parse(after);
  } catch (e) {
    const [, line, caret] = (e as Error).message.split('\n') as [string, string, string];
    tt.equal(caret.indexOf('^'), line.lastIndexOf('wpt'), 'the caret is under the filter after the sink');
  }
  tt.throws(() => FilterGraph.parse('nullsink@end,crop'), { code: 'WALLOC_ERR_GRAPH_LINK', message: /^filter graph: nullsink@end is a sink .*so crop would have no input\n  nullsink@end,crop\n {15}\^$/ }, 'instance ids are named');
  // The symmetric case: a source in the middle of a chain would leave the output before it dangling.
  tt.throws(() => FilterGraph.parse(`load=${PHOTO},wpt,load=${PHOTO2},save=y.wlc`), {
    code: 'WALLOC_ERR_GRAPH_LINK',
    details: { position: `load=${PHOTO},wpt,`.length },
    message: new RegExp(`^filter graph: load is a source \\(it has no input\\); it cannot follow wpt in a chain, whose output would go nowhere.*\\n  load=.*\\n {${2 + `load=${PHOTO},wpt,`.length}}\\^$`),
  });
  tt.throws(() => FilterGraph.parse('crop,\n  load=a.png,nullsink'), { code: 'WALLOC_ERR_GRAPH_LINK', details: { line: 2, column: 3 }, message: /load is a source.*\(line 2, column 3\)\n {4}load=a\.png,nullsink\n {4}\^$/ }, 'multi-line graphs say the line');
  // A `,` that no implicit link uses is fine, as in ffmpeg.
  tt.doesNotThrow(() => FilterGraph.parse('nullsink,[x]crop'), 'the next filter is fed by a label');
  tt.doesNotThrow(() => FilterGraph.parse('load=a.png,save=a.wlc,load=b.png,save=b.wlc'), 'two pipelines in one chain');
  tt.doesNotThrow(() => FilterGraph.parse('split[a][b],load=c.png,nullsink;[a]nullsink;[b]nullsink'), 'every output before the source is labelled');
  tt.end();
});

t.test('open pads bind to source and sink filters', async (tt) => {
  const out = collector();
  await FilterGraph.parse('scale=32:-1').run({ inputs: [{ filter: 'load', options: { file: PHOTO } }], outputs: [out] });
  tt.same([...out.frames[0]!.shape], [3, 24, 32]);
  tt.equal(out.frames[0]!.meta.extra?.source, PHOTO);
});

t.test('a graph runs twice with fresh streams', async (tt) => {
  const g = FilterGraph.parse('format=gray');
  for (let i = 0; i < 2; i++) {
    const out = collector();
    await g.run({ inputs: [Readable.from([makeFrame('image', [3, 1, 1], Float32Array.of(0.5, 0.5, 0.5))])], outputs: [out] });
    tt.same([...out.frames[0]!.shape], [1, 1, 1]);
  }
});
