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

t.test('video → wpt → analysis → quantize → split → (pack → .wlc file) + (classify → JSON lines), bounded memory', { skip: ff ? false : 'no ffmpeg' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-vgraph-'));
  const clip = join(dir, 'clip.mp4');
  const FRAMES = 60;
  const r = spawnSync(ff!.path, ['-v', 'error', '-f', 'lavfi', '-i', `testsrc=size=640x360:rate=25`, '-frames:v', String(FRAMES), '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-y', clip]);
  t.equal(r.status, 0, String(r.stderr));
  const out = join(dir, 'clip.wlc');
  const labels = join(dir, 'labels.jsonl');
  const graphFor = (file: string) => `load=file=${file},wpt,analysis=model=rgb-16x-linear,quantize,split[a][b];[a]pack,save=file=${out};[b]classify=file=${labels}`;
  // A first run over a 3-frame clip pays the fixed costs (TensorFlow.js and its wasm heap, the
  // models), so the measured run shows only what grows with the stream: had it buffered the whole
  // video, it would need 20× the memory the short run did.
  const short = join(dir, 'short.mp4');
  t.equal(spawnSync(ff!.path, ['-v', 'error', '-i', clip, '-frames:v', '3', '-y', short]).status, 0);
  await runGraph(graphFor(short));
  const graph = graphFor(clip);
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
  await runGraph(graph);
  clearInterval(timer);
  const { header, frames } = await readWlc(readFileSync(out));
  t.equal(frames.length, FRAMES, 'every frame of the video is a record');
  t.equal(header.model, 'rgb-16x-linear');
  const lines = readFileSync(labels, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { pts: number; label: string; score: number; top: unknown[] });
  t.equal(lines.length, FRAMES, 'one JSON line per frame from the classifying branch');
  t.ok(lines.every((l, i) => l.pts === i && typeof l.label === 'string' && l.score >= 0 && l.score <= 1), 'pts, label and score on every line');
  // One 640×360 frame is 2.8 MB as float32; 60 frames held at once would be 165 MB. The graph
  // buffers a couple of frames per link, so growth stays far below that.
  const growth = (peak - before) / 2 ** 20;
  t.ok(growth < 100, `RSS grew by ${growth.toFixed(0)} MB while streaming ${FRAMES} frames`);
});
