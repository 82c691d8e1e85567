import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { DETECT_BYTES, detectInput, isImageKind } from '../../../src/io/detect.js';
import { packageRoot } from '../../../src/paths.js';
import { IMAGES, VIDEO } from './util.js';

const head = (path: string) => readFileSync(path).subarray(0, DETECT_BYTES);

t.test('real files', async (t) => {
  t.equal(detectInput(head(join(IMAGES, 'chelsea_128x96.png'))), 'png');
  t.equal(detectInput(head(join(IMAGES, 'truncated.png'))), 'png', 'a truncated PNG still looks like one (the decoder says it is broken)');
  t.equal(detectInput(head(join(IMAGES, 'coffee_255x171.jpg'))), 'jpeg');
  t.equal(detectInput(head(join(IMAGES, 'not-an-image.png'))), 'unknown', 'the extension is ignored');
  t.equal(detectInput(head(join(VIDEO, 'chelsea_pan_96x64.y4m'))), 'y4m');
  t.equal(detectInput(head(join(VIDEO, 'chelsea_pan_96x64.mp4'))), 'unknown', 'mp4 goes to ffmpeg');
  t.equal(detectInput(head(join(packageRoot(), 'fixtures', 'container', 'golden.wlc'))), 'wlc');
  const img = sharp(join(IMAGES, 'chelsea_128x96.png'));
  t.equal(detectInput(await img.clone().webp().toBuffer()), 'webp');
  t.equal(detectInput(await img.clone().gif().toBuffer()), 'gif');
  t.equal(detectInput(await img.clone().tiff().toBuffer()), 'tiff');
});

t.test('synthetic headers', async (t) => {
  const wav = Buffer.alloc(44);
  wav.write('RIFF', 0, 'latin1');
  wav.write('WAVEfmt ', 8, 'latin1');
  t.equal(detectInput(wav), 'wav');
  wav.write('RF64', 0, 'latin1');
  t.equal(detectInput(wav), 'wav', 'RF64');
  const riffOther = Buffer.from('RIFF\0\0\0\0AVI LIST');
  t.equal(detectInput(riffOther), 'unknown', 'AVI is RIFF but not WAVE');
  const nii = Buffer.alloc(352);
  nii.writeInt32LE(348, 0);
  nii.write('n+1\0', 344, 'latin1');
  t.equal(detectInput(nii), 'nifti');
  nii.write('ni1\0', 344, 'latin1');
  t.equal(detectInput(nii), 'nifti', 'header of a .hdr/.img pair');
  t.equal(detectInput(nii.subarray(0, 346)), 'unknown', 'too short to see the magic');
  const nii2 = Buffer.alloc(540);
  nii2.writeInt32LE(540, 0);
  nii2.write('n+2\0\r\n\x1a\n', 4, 'latin1');
  t.equal(detectInput(nii2), 'nifti', 'NIfTI-2');
  t.equal(detectInput(gzipSync(nii)), 'gzip', 'a .nii.gz is reported as gzip, to gunzip and sniff again');
  t.equal(detectInput(Buffer.from('II+\0\x08\0\0\0', 'latin1')), 'tiff', 'BigTIFF');
  t.equal(detectInput(Buffer.from('MM\0*', 'latin1')), 'tiff', 'big-endian TIFF');
  t.equal(detectInput(Buffer.from('GIF87a')), 'gif');
  t.equal(detectInput(Buffer.from('YUV4MPEG2 W4 H4')), 'y4m');
  t.equal(detectInput(Buffer.from('YUV4MPEG2')), 'unknown', 'the magic includes its space');
  t.equal(detectInput(Buffer.from('WLOC')), 'wlc');
});

t.test('short, empty and random inputs never throw', async (t) => {
  for (const b of [new Uint8Array(0), Uint8Array.of(0x89), Uint8Array.of(0xff, 0xd8), Buffer.from('RIFF')]) t.equal(detectInput(b), 'unknown');
  for (let i = 0; i < 200; i++) {
    const b = Uint8Array.from({ length: (i * 7) % 400 }, (_, j) => (i * 31 + j * 17) & 255);
    t.type(detectInput(b), 'string');
  }
  t.ok(isImageKind('png') && isImageKind('tiff') && !isImageKind('y4m') && !isImageKind('unknown'));
});

t.test('compressed audio made by real ffmpeg is known by its first bytes (a pipe has no name)', async (t) => {
  const { findFfmpeg } = await import('../../../src/io/ffmpeg.js');
  const { spawnSync } = await import('node:child_process');
  const ff = findFfmpeg();
  if (!ff) { t.comment('no ffmpeg'); return; }
  const cases: Array<[string, string[]]> = [
    ['ogg', ['-c:a', 'libvorbis', '-f', 'ogg']], ['opus', ['-c:a', 'libopus', '-f', 'ogg']], ['flac', ['-f', 'flac']],
    ['mp3 with ID3', ['-f', 'mp3']],
    ['aiff', ['-f', 'aiff']], ['adts aac', ['-c:a', 'aac', '-f', 'adts']], ['caf', ['-f', 'caf']],
    ['m4a', ['-c:a', 'aac', '-f', 'ipod', '-movflags', 'frag_keyframe+empty_moov']],
  ];
  for (const [name, args] of cases) {
    const r = spawnSync(ff.path, ['-v', 'error', '-f', 'lavfi', '-i', 'sine=d=0.5', '-ac', '2', ...args, '-'], { maxBuffer: 1 << 24 });
    if (r.status !== 0) { t.comment(`${name}: this ffmpeg cannot write it`); continue; }
    t.equal(detectInput(r.stdout.subarray(0, DETECT_BYTES)), 'audio', name);
  }
  t.equal(detectInput(Buffer.from([0xff, 0xd8, 0xff, 0xe0])), 'jpeg', 'a JPEG is not an MPEG frame');
  t.equal(detectInput(Buffer.from([0xff, 0xff, 0xff, 0xff])), 'unknown', 'sync bits alone are not a frame');
  const theora = spawnSync(ff.path, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=32x32:d=0.2', '-c:v', 'libtheora', '-f', 'ogg', '-'], { maxBuffer: 1 << 24 });
  const mp4 = spawnSync(ff.path, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=32x32:d=0.2', '-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov', '-'], { maxBuffer: 1 << 24 });
  if (mp4.status === 0) t.equal(detectInput(mp4.stdout.subarray(0, DETECT_BYTES)), 'unknown', 'an isom MP4 may be video: ffmpeg decides');
  if (theora.status === 0) t.equal(detectInput(theora.stdout.subarray(0, DETECT_BYTES)), 'unknown', 'Ogg video is not audio');
});
