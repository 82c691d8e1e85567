/**
 * The acceptance graph: a real video decoded by ffmpeg, encoded, split into two branches
 * (one packing to a .wlc file, one consuming the latents), run with memory bounded by the frame,
 * not by the stream.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGraph } from '../../filters/graph.js';
import { findFfmpeg } from '../../src/io/ffmpeg.js';
import { readWlc } from '../../src/container/index.js';
import { readFileSync } from 'node:fs';

const ff = findFfmpeg();

t.test('video → wpt → analysis → quantize → split → (pack → .wlc file) + (second branch), bounded memory', { skip: ff ? false : 'no ffmpeg' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-vgraph-'));
  const clip = join(dir, 'clip.mp4');
  const FRAMES = 60;
  const r = spawnSync(ff!.path, ['-v', 'error', '-f', 'lavfi', '-i', `testsrc=size=640x360:rate=25`, '-frames:v', String(FRAMES), '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-y', clip]);
  t.equal(r.status, 0, String(r.stderr));
  const out = join(dir, 'clip.wlc');
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
  await runGraph(`load=file=${clip},wpt,analysis=model=rgb-16x-linear,quantize,split[a][b];[a]pack,save=file=${out};[b]dequantize,synthesis=model=rgb-16x-linear,iwpt,nullsink`);
  clearInterval(timer);
  const { header, frames } = await readWlc(readFileSync(out));
  t.equal(frames.length, FRAMES, 'every frame of the video is a record');
  t.equal(header.model, 'rgb-16x-linear');
  // One 640×360 frame is 2.8 MB as float32; 60 frames held at once would be 165 MB. The graph
  // buffers a couple of frames per link, so growth stays far below that.
  const growth = (peak - before) / 2 ** 20;
  t.ok(growth < 100, `RSS grew by ${growth.toFixed(0)} MB while streaming ${FRAMES} frames`);
});
