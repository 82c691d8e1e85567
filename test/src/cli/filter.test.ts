import t from 'tap';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { packageRoot } from '../../../src/paths.js';
import { wallocMain } from '../../../src/cli/walloc.js';
import { mapPorts } from '../../../src/cli/filter.js';
import { FilterGraph } from '../../../filters/graph.js';
import { readWlcSync } from '../../../src/container/index.js';
import { readImage } from '../../../src/io/image.js';
import { wptForward } from '../../../transforms/wpt.js';
import { memoryIo, runBin } from '../../helpers/io.js';
import { tinyModel } from '../../filters/helpers.js';

const PHOTO = 'fixtures/images/chelsea_128x96.png';

t.test('walloc filters lists every filter; help filter=NAME shows one', async (tt) => {
  let io = memoryIo();
  tt.equal(await wallocMain(['filters'], io), 0);
  tt.match(io.out(), /^Filters:\n/);
  tt.match(io.out(), /  wpt +IAV->C +wavelet packet transform/);
  io = memoryIo();
  tt.equal(await wallocMain(['help', 'filter=wpt'], io), 0);
  tt.match(io.out(), /^Filter wpt\n/);
  tt.match(io.out(), /levels, J <int>/);
  io = memoryIo();
  tt.equal(await wallocMain(['filters', 'pack'], io), 0);
  tt.match(io.out(), /^Filter pack\n/);
  io = memoryIo();
  tt.equal(await wallocMain(['help', 'filter=wtp'], io), 2);
  tt.match(io.err(), /unknown filter "wtp".*did you mean "wpt".*\[WALLOC_ERR_FILTER_UNKNOWN\]/s);
  io = memoryIo();
  tt.equal(await wallocMain(['help', 'filter'], io), 0);
  tt.match(io.out(), /walloc filter: run a filter graph/);
  tt.match(io.out(), /--filter_complex GRAPH/);
});

t.test('walloc filter runs a graph from -i files to -o files', async (tt) => {
  const model = tinyModel();
  const dir = mkdtempSync(join(tmpdir(), 'walloc-cli-filter-'));
  const out = join(dir, 'coeffs.wlc');
  let io = memoryIo();
  tt.equal(await wallocMain(['filter', '-i', PHOTO, '-o', out, 'wpt=levels=2'], io), 0, io.err());
  const { frames } = readWlcSync(readFileSync(out));
  tt.same(frames[0]!.data, wptForward(await readImage(PHOTO), { levels: 2 }).data);

  const packed = join(dir, 'p.wlc');
  const png = join(dir, 'back.png');
  io = memoryIo();
  tt.equal(await wallocMain(['filter', '-i', PHOTO, '-o', packed, '--filter_complex', `wpt=levels=1,analysis=model=${model.dir},quantize,pack`], io), 0, io.err());
  io = memoryIo();
  tt.equal(await wallocMain(['filter', '-i', packed, '-o', png, `[0:v]unpack,dequantize,synthesis=model=${model.dir},iwpt`], io), 0, io.err());
  tt.same([...(await readImage(png)).shape], [3, 96, 128]);

  // Two inputs picked by [N], two outputs in graph order.
  const a = join(dir, 'a.wlc');
  const b = join(dir, 'b.wlc');
  io = memoryIo();
  tt.equal(await wallocMain(['filter', '-i', PHOTO, '-i', 'fixtures/images/astronaut_97x131.png', '-o', a, '-o', b, '[1]crop=8:8[x];[0]crop=4:4[y]'], io), 0, io.err());
  tt.same([...readWlcSync(readFileSync(a)).frames[0]!.shape], [3, 8, 8]);
  tt.equal(readWlcSync(readFileSync(a)).frames[0]!.meta.extra?.source, 'fixtures/images/astronaut_97x131.png');
  tt.same([...readWlcSync(readFileSync(b)).frames[0]!.shape], [3, 4, 4]);
  tt.same(readdirSync(dir).filter((f) => f.startsWith('.')), []);
});

t.test('walloc filter: usage and graph errors exit 2 with a coded message', async (tt) => {
  const cases: Array<[string[], RegExp]> = [
    [['filter'], /a filter graph is required.*\[WALLOC_ERR_MISSING_ARGUMENT\]/],
    [['filter', '-i', PHOTO, 'wpt=levels=13'], /filter "wpt": option "levels" must be an integer from 1 to 12.*\[WALLOC_ERR_FILTER_OPTION\]/s],
    [['filter', '-i', PHOTO, 'wpt,quantize'], /\[WALLOC_ERR_GRAPH_KIND\]/],
    [['filter', '-i', PHOTO, 'scale=2:2[a]', '-o', 'x.wlc', '-o', 'y.wlc'], /1 open output\(s\) \(\[a\]\) but 2 -o file\(s\)/],
    [['filter', '-i', PHOTO, '[foo]crop=2:2', '-o', 'x.wlc'], /open input \[foo\].*names no input file/],
    [['filter', 'wpt', 'extra'], /unexpected argument "extra"/],
  ];
  for (const [argv, re] of cases) {
    const io = memoryIo();
    tt.equal(await wallocMain(argv, io), 2, argv.join(' '));
    tt.match(io.err(), re);
  }
  const io = memoryIo();
  tt.equal(await wallocMain(['filter', '-i', 'fixtures/images/not-an-image.png', '-o', join(tmpdir(), 'never.wlc'), 'wpt'], io), 1);
  tt.match(io.err(), /\[WALLOC_ERR_UNSUPPORTED_INPUT\]/);
});

t.test('walloc filter: a chain that does not fit its model or misses a step says what to change, and writes nothing', async (tt) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-filter-chain-'));
  tt.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'x.wlc');
  const cases: Array<[string, RegExp]> = [
    ['wpt=levels=2,analysis=model=rgb-16x,quantize,pack', /model "rgb-16x" cannot encode these frames: it needs wpt=levels=3, these coefficients have levels=2 \[WALLOC_ERR_MODEL_INPUT\]/],
    ['wpt=levels=8,analysis=model=stereo-5x,quantize,pack', /it codes audio, these coefficients come from images/],
    ['format=gray,wpt,analysis=model=rgb-16x,quantize,pack', /it codes 3-channel images, this image has 1 \(add format=rgb before wpt\)/],
    ['wpt=wavelet=haar,analysis=model=rgb-16x,quantize,pack', /it needs wpt=wavelet=bior4.4, these coefficients use haar/],
    ['pack', /pack expects latent frames, got image; latent frames come from analysis=model=NAME \(coeffs\) or unpack \(packed\) \[WALLOC_ERR_FRAME_KIND\]/],
    ['iwpt', /iwpt expects coeffs frames, got image; coeffs frames come from wpt \(media\) or synthesis \(latents\)/],
  ];
  for (const [graph, re] of cases) {
    const io = memoryIo();
    tt.equal(await wallocMain(['filter', '-i', PHOTO, '-o', out, graph], io), 1, graph);
    tt.match(io.err(), re, graph);
  }
  const io = memoryIo();
  tt.equal(await wallocMain(['filter', '-i', PHOTO, '-i', PHOTO, '-o', out, 'wpt,analysis=model=rgb-16x,quantize,pack'], io), 2, 'an extra -i');
  tt.match(io.err(), /-i .* \(input 1\) is not read by the graph/);
  tt.same(readdirSync(dir), [], 'no output, no temporary file');
});

t.test('mapPorts follows ffmpeg: [N] labels, then unlabelled inputs in order; stdin/stdout by default', (tt) => {
  const g = FilterGraph.parse('[1:v]crop[a];crop[b];[0]crop[c]');
  tt.same(mapPorts(g, ['x', 'y', 'z'], ['1', '2', '3']), { inputs: ['y', 'z', 'x'], outputs: ['1', '2', '3'] });
  tt.same(mapPorts(FilterGraph.parse('crop'), [], []), { inputs: ['-'], outputs: ['-'] });
  tt.throws(() => mapPorts(g, ['x'], ['1', '2', '3']), { code: 'WALLOC_ERR_GRAPH_LINK', message: /\[1:v\] refers to input 1/ });
  tt.throws(() => mapPorts(FilterGraph.parse('crop;crop'), ['x'], ['1', '2']), { message: /2 open input\(s\) but 1 -i file/ });
  tt.throws(() => mapPorts(FilterGraph.parse('crop'), ['x', 'y'], ['1']), { code: 'WALLOC_ERR_GRAPH_LINK', message: /-i y \(input 1\) is not read by the graph: it has 1 open input/ });
  tt.throws(() => mapPorts(FilterGraph.parse('load=a.png,crop'), ['x'], ['1']), { message: /load= filters name their own files/ });
  tt.same(mapPorts(FilterGraph.parse('[0]crop[a];[0:v]crop[b]'), ['x'], ['1', '2']).inputs, ['x', 'x'], 'one -i read by two labels is used');
  tt.end();
});

t.test('a .wlc of uncompressed audio frames (a graph\'s save) is refused by a codec model and classify with what it holds and how to read it', async (t) => {
  const { decodeCommand } = await import('../../../src/cli/decode.js');
  const { classifyCommand } = await import('../../../src/cli/classify.js');
  const { runCommand } = await import('../../../src/cli/run.js');
  const dir = mkdtempSync(join(tmpdir(), 'walloc-rawwlc-'));
  const raw = join(dir, 'clean.wlc');
  let io = memoryIo();
  t.equal(await wallocMain(['filter', `load=file=${join('fixtures', 'audio', 'music_stereo_44k_1s.wav')},gain=-3,save=file=${raw}`], io), 0, io.err());
  t.notOk(readWlcSync(readFileSync(raw)).header.model, 'no model in the header');
  // A codec's model, or a classifier, cannot read them; walloc-decode without one writes them out
  // (test/src/cli/audio.test.ts checks the samples).
  for (const [cmd, args] of [[decodeCommand, [raw, '--model', 'stereo-5x', '-o', join(dir, 'x.wav')]], [classifyCommand, [raw]]] as const) {
    io = memoryIo();
    t.equal(await runCommand(cmd, [...args], io), 1, args.join(' '));
    t.match(io.err(), /clean\.wlc: unsupported input \(it holds uncompressed audio frames, not latents.*walloc-decode without --model writes them as they are \(walloc-decode .*clean\.wlc -o OUT\.wav\)\) \[WALLOC_ERR_UNSUPPORTED_INPUT\]/);
  }
  t.same(readdirSync(dir), ['clean.wlc'], 'no output written');
});

t.test('walloc filter: a filter after a sink is a graph error at build time, not a read of stdin', async (tt) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-filter-aftersink-'));
  tt.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 't13.wlc');
  // The graph from the audit: the trailing wpt used to become an open input bound to stdin, and the
  // run failed with "-: unsupported input (the input is empty)".
  const graph = `load=file=${PHOTO},wpt,analysis=model=rgb-16x,quantize,pack,save=file=${out},wpt`;
  const r = await runBin('walloc', ['filter', graph], { input: Buffer.alloc(0), timeoutMs: 60_000 });
  tt.equal(r.code, 2, r.stderr);
  const lines = r.stderr.split('\n');
  tt.equal(lines[0], 'walloc: filter graph: save is a sink (it has no output); nothing can follow it in a chain, so wpt would have no input');
  tt.match(lines[1], /^  …[^\n]*\/t13\.wlc,wpt$/, 'the graph line, cropped around the caret');
  tt.equal((lines[2] ?? '').indexOf('^'), (lines[1] ?? '').lastIndexOf('wpt'), 'the caret is under the wpt after save');
  tt.match(lines[2], /\^ \[WALLOC_ERR_GRAPH_LINK\]$/);
  tt.notMatch(r.stderr, /unsupported input|WALLOC_ERR_UNSUPPORTED_INPUT/);
  // A source in the middle of a chain, the symmetric mistake.
  const io = memoryIo();
  tt.equal(await wallocMain(['filter', `load=file=${PHOTO},wpt,load=file=${PHOTO},save=file=${out}`], io), 2);
  tt.match(io.err(), /^walloc: filter graph: load is a source \(it has no input\); it cannot follow wpt in a chain/);
  tt.same(readdirSync(dir), [], 'nothing ran');
});

t.test('walloc filter: Ctrl-C is a coded WALLOC_ERR_INTERRUPTED (exit 130) and leaves none of the numbered images it wrote', async (tt) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-filter-sigint-'));
  tt.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const clip = readFileSync('fixtures/video/chelsea_pan_96x64.y4m');
  const bin = join(packageRoot(), 'dist', 'src', 'cli', 'bin', 'walloc.js');
  const p = spawn(process.execPath, [bin, 'filter', `load=file=-,save=file=${join(dir, 'f-%04d.png')}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  p.stderr.on('data', (c: Buffer) => { err += c; });
  p.stdin.on('error', () => {});
  // The header and the first frame, then the producer stalls, as a live source does: the graph is
  // still running when the signal comes.
  p.stdin.write(clip.subarray(0, clip.indexOf('FRAME', clip.indexOf('FRAME') + 5)));
  // Interrupt once a frame is on disk under its own name (a fixed delay is too short on a loaded machine).
  const written = (): boolean => readdirSync(dir).includes('f-0001.png');
  for (let i = 0; i < 600 && !written(); i++) await new Promise((r) => setTimeout(r, 50));
  tt.ok(written(), 'frame 1 was saved while the input stalls');
  p.kill('SIGINT');
  const code = await new Promise((r) => p.on('close', r));
  tt.equal(code, 130, err);
  tt.equal(err, 'walloc: interrupted by SIGINT [WALLOC_ERR_INTERRUPTED]\n', 'one coded line, as walloc-encode prints');
  tt.same(readdirSync(dir), [], 'no frame and no temporary file is left');
});
