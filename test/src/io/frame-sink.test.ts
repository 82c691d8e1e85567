/**
 * Frame sinks: the printf-style names of numbered frames, shared by walloc-decode, the filter
 * graph's save and the volume PNG slices, and the same numbering from both commands.
 */
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { frameName, isFramePattern } from '../../../src/io/frame-sink.js';
import { wallocMain } from '../../../src/cli/walloc.js';
import { packageRoot } from '../../../src/paths.js';
import { memoryIo, runBin } from '../../helpers/io.js';

t.test('frameName / isFramePattern: %d, zero padding as ffmpeg pads, %% as a literal percent', (t) => {
  t.equal(frameName('f-%04d.png', 7), 'f-0007.png');
  t.equal(frameName('f-%d.png', 12), 'f-12.png');
  t.equal(frameName('f-%3d.png', 5), 'f-005.png', 'ffmpeg pads %3d with zeros too');
  t.ok(isFramePattern('f-%04d.png') && isFramePattern('%d.png') && isFramePattern('a%%%d.png'));
  t.notOk(isFramePattern('50%.png') || isFramePattern('100%%.png') || isFramePattern('a%%d.png'), 'a percent sign alone is a file name');
  t.equal(frameName('100%%-%02d.png', 3), '100%-03.png');
  t.equal(frameName('f-%02d.png', 123), 'f-123.png', 'wider numbers are not cut');
  t.end();
});

t.test('walloc-decode and a graph\'s save number frames the same way, from 1', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-frames-'));
  const clip = join(packageRoot(), 'fixtures', 'video', 'chelsea_pan_96x64.y4m');
  const io = memoryIo();
  t.equal(await wallocMain(['filter', `load=file=${clip},save=file=${join(dir, 'g-%02d.png')}`], io), 0, io.err());
  const enc = await runBin('walloc-encode', [clip, '-o', join(dir, 'c.wlc'), '--model', 'rgb-16x-linear']);
  t.equal(enc.code, 0, enc.stderr);
  const dec = await runBin('walloc-decode', [join(dir, 'c.wlc'), '-o', join(dir, 'd-%02d.png')]);
  t.equal(dec.code, 0, dec.stderr);
  const names = readdirSync(dir).sort();
  t.same(names.filter((n) => n.startsWith('g-')), ['g-01.png', 'g-02.png', 'g-03.png']);
  t.same(names.filter((n) => n.startsWith('d-')), ['d-01.png', 'd-02.png', 'd-03.png']);
});

t.test('numbered frames: a name taken by a folder is a coded error, and no frame or temporary is left', async (t) => {
  const { mkdirSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'walloc-frames-'));
  const wlc = join(dir, 'v.wlc');
  const enc = await runBin('walloc-encode', [join(packageRoot(), 'fixtures', 'video', 'chelsea_pan_96x64.y4m'), '-o', wlc]);
  t.equal(enc.code, 0, enc.stderr);
  mkdirSync(join(dir, 'f-0002.png'));
  const dec = await runBin('walloc-decode', [wlc, '-o', join(dir, 'f-%04d.png')]);
  t.equal(dec.code, 1, dec.stderr);
  t.match(dec.stderr, /f-0002\.png.*\[WALLOC_ERR_FILE_WRITE\]\n$/);
  t.notMatch(dec.stderr, /at renameSync|throw ex/, 'no stack trace');
  t.same(readdirSync(dir).sort(), ['f-0002.png', 'v.wlc'], 'frame 1 removed again, no temporary left');
});

t.test('outputs through ffmpeg: still images keep their colour (4:4:4, RGB), odd frames are padded for 4:2:0 video, a name without an extension is refused', async (t) => {
  const { findFfmpeg } = await import('../../../src/io/ffmpeg.js');
  const { existsSync } = await import('node:fs');
  const { execFileSync } = await import('node:child_process');
  const sharp = (await import('sharp')).default;
  const ff = findFfmpeg();
  if (!ff) { t.comment('no ffmpeg'); return; }
  const dir = mkdtempSync(join(tmpdir(), 'walloc-ffmpeg-out-'));
  const wlc = join(dir, 'c.wlc');
  const enc = await runBin('walloc-encode', [join(packageRoot(), 'fixtures', 'images', 'coffee_255x171.jpg'), '-o', wlc, '--model', 'rgb-16x-linear']);
  t.equal(enc.code, 0, enc.stderr);
  for (const name of ['c.png', 'c.tiff', 'c.mp4']) {
    const r = await runBin('walloc-decode', [wlc, '-o', join(dir, name)]);
    t.equal(r.code, 0, `${name}: ${r.stderr}`);
  }
  const png = await sharp(join(dir, 'c.png')).raw().toBuffer();
  const tiff = await sharp(join(dir, 'c.tiff')).removeAlpha().raw().toBuffer();
  let worst = 0;
  for (let i = 0; i < png.length; i++) worst = Math.max(worst, Math.abs(png[i]! - tiff[i]!));
  t.ok(worst <= 3, `the TIFF is the PNG to YUV rounding (largest difference ${worst}; 4:2:0 made it tens)`);
  const info = (() => { try { execFileSync(ff.path, ['-hide_banner', '-i', join(dir, 'c.mp4')], { stdio: ['ignore', 'pipe', 'pipe'] }); return ''; } catch (e) { return String((e as { stderr?: Buffer }).stderr); } })();
  t.match(info, /Video: h264.*256x172/, '255×171 padded to 256×172 for H.264');
  const bare = await runBin('walloc-decode', [wlc, '-o', join(dir, 'noext')]);
  t.equal(bare.code, 2);
  t.match(bare.stderr, /noext: the output format cannot come from a name without an extension.*\[WALLOC_ERR_INVALID_ARGUMENT\]/);
  t.notOk(existsSync(join(dir, 'noext')));
  const asPng = await runBin('walloc-decode', [wlc, '-o', join(dir, 'noext'), '--format', 'png']);
  t.equal(asPng.code, 2);
  t.match(asPng.stderr, /PNG frames need a numbered name such as f-%04d\.png/);
  const y4m = await runBin('walloc-decode', [wlc, '-o', join(dir, 'noext'), '--format', 'y4m']);
  t.equal(y4m.code, 0, y4m.stderr);
  t.match(readFileSync(join(dir, 'noext'), 'latin1').slice(0, 10), /^YUV4MPEG2 /);
});
