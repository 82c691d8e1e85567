/**
 * Inputs that are not plain files, as users pipe them: named pipes and process substitution
 * (readable once), and raw audio at rates nobody records at.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBin } from '../../helpers/io.js';
import { packageRoot } from '../../../src/paths.js';

const fixture = (name: string) => join(packageRoot(), 'fixtures', 'images', name);
const MODEL = ['--model', 'rgb-16x-linear'];

t.test('inputs that can be read only once (a named pipe, <(…)) and output onto the input itself', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const dir = mkdtempSync(join(tmpdir(), 'walloc-fifo-'));
  const feed = (src: string) => {
    const fifo = join(dir, `in-${Math.random().toString(36).slice(2)}`);
    execFileSync('mkfifo', [fifo]);
    spawn('sh', ['-c', `cat "${src}" > "${fifo}"`], { stdio: 'ignore' });
    return fifo;
  };
  // An image: was a hang (the path was opened a second time after sniffing).
  const img = await runBin('walloc-encode', [feed(fixture('chelsea_128x96.png')), ...MODEL, '-o', join(dir, 'img.wlc')], { timeoutMs: 60_000 });
  t.equal(img.code, 0, img.stderr);
  t.ok(readFileSync(join(dir, 'img.wlc')).subarray(0, 4).equals(Buffer.from('WLOC')));
  // A WAV: was "truncated" (a pipe's size is 0).
  const wav = await runBin('walloc-encode', [feed(join(packageRoot(), 'fixtures', 'audio', 'speech_mono_8k_2s.wav')), '-o', join(dir, 'a.wlc')], { timeoutMs: 60_000 });
  t.equal(wav.code, 0, wav.stderr);
  t.match(wav.stderr, /2\.00 s of mono audio/);
  // A sample rate no one records at is refused, not stretched into hours of 44.1 kHz audio.
  const slow = await runBin('walloc-encode', ['-', '--format', 's16le', '--rate', '8', '--channels', '1', '-o', join(dir, 's.wlc')], { input: Buffer.alloc(4000) });
  t.equal(slow.code, 2, slow.stderr);
});

t.test('an output that is the input file itself is refused, by any name', async (t) => {
  const { copyFileSync, readFileSync: read, symlinkSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'walloc-same-'));
  const photo = join(dir, 'same.png');
  copyFileSync(fixture('chelsea_128x96.png'), photo);
  symlinkSync(photo, join(dir, 'alias.png'));
  const before = read(photo);
  for (const out of [photo, join(dir, 'alias.png'), join(dir, '.', 'same.png')]) {
    const r = await runBin('walloc-encode', [photo, ...MODEL, '-o', out]);
    t.equal(r.code, 2, r.stderr);
    t.match(r.stderr, /is the input file.*\[WALLOC_ERR_INVALID_ARGUMENT\]/);
  }
  const f = await runBin('walloc', ['filter', `load=file=${photo},scale=10:10,save=file=${photo}`]);
  t.equal(f.code, 2, f.stderr);
  const g = await runBin('walloc', ['filter', '-i', photo, 'scale=10:10', '-o', join(dir, 'alias.png')]);
  t.equal(g.code, 2, g.stderr);
  const h = await runBin('walloc', ['filter', '-i', photo, `scale=10:10,save=file=${photo}`]);
  t.equal(h.code, 2, `-i against save=: ${h.stderr}`);
  const wlc = join(dir, 'c.wlc');
  t.equal((await runBin('walloc-encode', [photo, ...MODEL, '-o', wlc])).code, 0);
  const c = await runBin('classify', [wlc, '-o', wlc]);
  t.equal(c.code, 2, `classify -o onto its input: ${c.stderr}`);
  t.equal(read(wlc).subarray(0, 4).toString(), 'WLOC');
  t.same(read(photo), before, 'the photo is untouched');
});

t.test('an empty output name or a folder as output is refused up front', async (t) => {
  const { mkdirSync, readdirSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'walloc-outname-'));
  mkdirSync(join(dir, 'taken.png'));
  const wlc = join(dir, 'c.wlc');
  t.equal((await runBin('walloc-encode', [fixture('chelsea_128x96.png'), ...MODEL, '-o', wlc])).code, 0);
  const folder = await runBin('walloc-decode', [wlc, '-o', join(dir, 'taken.png')]);
  t.equal(folder.code, 1);
  t.match(folder.stderr, /it is a folder.*\[WALLOC_ERR_FILE_WRITE\]/);
  const empty = await runBin('walloc-decode', [wlc, '-o', '']);
  t.equal(empty.code, 2);
  t.match(empty.stderr, /output name is empty/);
  t.same(readdirSync(dir).sort(), ['c.wlc', 'taken.png'], 'no temporary left');
});

t.test('a y4m header with no frame is refused, and nothing is written', async (t) => {
  const { existsSync, readFileSync: read } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'walloc-noframe-'));
  const y4m = read(join(packageRoot(), 'fixtures', 'video', 'chelsea_pan_96x64.y4m'));
  const headerOnly = y4m.subarray(0, y4m.indexOf(0x0a) + 1);
  const r = await runBin('walloc-encode', ['-', ...MODEL, '-o', join(dir, 'e.wlc')], { input: headerOnly });
  t.equal(r.code, 1, r.stderr);
  t.match(r.stderr, /holds no frames.*\[WALLOC_ERR_UNSUPPORTED_INPUT\]/);
  t.notOk(existsSync(join(dir, 'e.wlc')));
});

t.test('several images piped into walloc-encode are refused (the first alone was encoded, exit 0); trailing padding is not', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-cat-'));
  const png = readFileSync(fixture('chelsea_128x96.png'));
  const two = await runBin('walloc-encode', ['-', '-o', join(dir, 'two.wlc'), ...MODEL], { input: Buffer.concat([png, readFileSync(fixture('coffee_255x171.jpg'))]) });
  t.equal(two.code, 1);
  t.match(two.stderr, new RegExp(`stdin: unsupported input \\(more than one image: a JPEG begins at byte ${png.length}, after the first.*\\[WALLOC_ERR_UNSUPPORTED_INPUT\\]`));
  t.notOk(existsSync(join(dir, 'two.wlc')));
  const padded = await runBin('walloc-encode', ['-', '-o', join(dir, 'padded.wlc'), ...MODEL], { input: Buffer.concat([png, Buffer.alloc(64)]) });
  t.equal(padded.code, 0, padded.stderr);
  // One photo with its own second picture (MPF: a camera's preview) is one image, as from a file.
  const jpeg = readFileSync(fixture('coffee_255x171.jpg'));
  const mpo = Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0xff, 0xe2, 0x00, 0x08, 0x4d, 0x50, 0x46, 0x00, 0x00, 0x00]), jpeg.subarray(2), readFileSync(fixture('nagasaki_201x133.jpg'))]);
  const multi = await runBin('walloc-encode', ['-', '-o', join(dir, 'mpo.wlc'), ...MODEL], { input: mpo });
  t.equal(multi.code, 0, multi.stderr);
});

t.test('folders: JPEGs a folder read as PNG frames leaves out are named (a warning beside PNGs, the reason when there are none)', async (t) => {
  const { copyFileSync, mkdirSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'walloc-folder-'));
  mkdirSync(join(dir, 'jpegs'));
  mkdirSync(join(dir, 'mixed'));
  copyFileSync(fixture('coffee_255x171.jpg'), join(dir, 'jpegs', 'a.jpg'));
  copyFileSync(fixture('nagasaki_201x133.jpg'), join(dir, 'jpegs', 'b.jpg'));
  copyFileSync(fixture('chelsea_128x96.png'), join(dir, 'mixed', 'a.png'));
  copyFileSync(fixture('coffee_255x171.jpg'), join(dir, 'mixed', 'b.jpg'));
  const only = await runBin('walloc-encode', [join(dir, 'jpegs'), '-o', join(dir, 'j.wlc'), ...MODEL]);
  t.equal(only.code, 1);
  t.match(only.stderr, /no \.png images or slices in this folder \(it holds 2 \.jpg: .*walloc batch .* encodes photos of any format/);
  const mixed = await runBin('walloc-encode', [join(dir, 'mixed'), '-o', join(dir, 'm.wlc'), ...MODEL]);
  t.equal(mixed.code, 0, mixed.stderr);
  t.match(mixed.stderr, /warning: .*mixed: 1 \.jpg left out/);
});

t.test('an image given to an audio model: the model and the input are named, without filter-graph words', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-wrong-model-'));
  const r = await runBin('walloc-encode', [fixture('chelsea_128x96.png'), '-m', 'stereo-5x', '-o', join(dir, 'x.wlc')]);
  t.equal(r.code, 1);
  t.match(r.stderr, /model "stereo-5x" cannot encode these frames: it codes audio, and chelsea_128x96\.png holds images; give an image model .*\[WALLOC_ERR_MODEL_INPUT\]/);
  t.notMatch(r.stderr, /iwpt|coeffs/);
  t.notOk(existsSync(join(dir, 'x.wlc')));
});

t.test('a headerless .raw file without its layout: the error names the flags that give it', async (t) => {
  const { writeFileSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'walloc-raw-'));
  writeFileSync(join(dir, 'vol.raw'), Buffer.alloc(4096, 7));
  const r = await runBin('walloc-encode', [join(dir, 'vol.raw'), '-o', join(dir, 'x.wlc')]);
  t.equal(r.code, 1);
  t.match(r.stderr, /headerless data needs its layout: --shape D,H,W --dtype TYPE for a volume, --format --rate --channels for audio\) \[WALLOC_ERR_UNSUPPORTED_INPUT\]/);
});
