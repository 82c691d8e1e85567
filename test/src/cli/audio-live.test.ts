/**
 * A long live stream through real pipes — generated stereo audio as raw PCM into
 * `walloc-encode - --latency 250`, its .wlc straight into `walloc-decode -` — runs in bounded
 * memory: the RSS of both processes is sampled all along and must not grow with the stream's
 * length. 3 minutes of audio in `npm test`; the 30-minute version is
 * `WALLOC_LONG_AUDIO_MINUTES=30 npx tap --timeout=0 test/src/cli/audio-live.test.ts`.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../../src/paths.js';

const bin = (name: string) => join(packageRoot(), 'dist', 'src', 'cli', 'bin', `${name}.js`);

t.test('a long live stream through pipes runs in bounded memory', async (t) => {
  const minutes = Number(process.env.WALLOC_LONG_AUDIO_MINUTES ?? 3);
  const rate = 44100;
  const total = Math.round(minutes * 60 * rate);
  const enc = spawn(process.execPath, [bin('walloc-encode'), '-', '--format', 's16le', '--rate', String(rate), '--channels', '2', '--latency', '250'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const dec = spawn(process.execPath, [bin('walloc-decode'), '-', '--format', 's16le'], { stdio: ['pipe', 'pipe', 'pipe'] });
  enc.stdout.pipe(dec.stdin);
  let errs = '';
  enc.stderr.on('data', (c: Buffer) => { errs += c; });
  dec.stderr.on('data', (c: Buffer) => { errs += c; });
  let outBytes = 0;
  let check = 0;
  dec.stdout.on('data', (c: Buffer) => {
    // Spot-check the decoded tone: it must be there (not silence) all along.
    for (let i = 0; i + 4 <= c.length; i += 4096) check = Math.max(check, Math.abs(c.readInt16LE(i - (i % 4))));
    outBytes += c.length;
  });
  const rss = (pid: number) => { try { return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024; } catch { return 0; } };
  const samples: Array<[number, number, number]> = [];
  const timer = setInterval(() => samples.push([Date.now(), rss(enc.pid!), rss(dec.pid!)]), 250);
  // Generated audio: two drifting tones and a little noise, written with backpressure.
  let sent = 0;
  let seed = 1;
  const block = 4410;
  while (sent < total) {
    const n = Math.min(block, total - sent);
    const buf = Buffer.alloc(4 * n);
    for (let i = 0; i < n; i++) {
      const k = sent + i;
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const noise = (seed / 0x7fffffff - 0.5) * 0.02;
      buf.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * k) / rate) + 3000 * Math.sin(k / (1000 + k / 1e5)) + noise * 32768), 4 * i);
      buf.writeInt16LE(Math.round(7000 * Math.sin((2 * Math.PI * 660 * k) / rate) + noise * 32768), 4 * i + 2);
    }
    sent += n;
    if (!enc.stdin.write(buf)) await new Promise((r) => enc.stdin.once('drain', r));
  }
  enc.stdin.end();
  const codes = await Promise.all([new Promise((r) => enc.on('close', r)), new Promise((r) => dec.on('close', r))]);
  clearInterval(timer);
  t.same(codes, [0, 0], errs);
  t.equal(outBytes, total * 4, `${minutes} min of audio in and out`);
  t.ok(check > 3000, 'the decoded stream is not silence');
  const live = samples.filter(([, e, d]) => e > 0 && d > 0);
  t.ok(live.length >= 8, `${live.length} RSS samples`);
  const q = Math.floor(live.length / 4);
  const early = Math.max(...live.slice(q, 2 * q).map(([, e, d]) => e + d));
  const late = Math.max(...live.slice(3 * q).map(([, e, d]) => e + d));
  const peak = Math.max(...live.map(([, e, d]) => e + d));
  t.ok(peak < 700, `peak RSS of encoder + decoder ${peak.toFixed(0)} MB`);
  t.ok(late - early < 60, `RSS in the last quarter ${late.toFixed(0)} MB vs second quarter ${early.toFixed(0)} MB: no growth with length`);
});

t.test('Ctrl-C on a live encode: exit 130, one coded line, no output file; a failed ffmpeg-path encode does not hang', async (t) => {
  const { mkdtempSync, existsSync, readdirSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'walloc-sigint-'));
  const out = join(dir, 'live.wlc');
  const enc = spawn(process.execPath, [bin('walloc-encode'), '-', '--format', 's16le', '--rate', '44100', '--channels', '2', '--latency', '100', '-o', out], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  enc.stderr.on('data', (c: Buffer) => { err += c; });
  enc.stdin.write(Buffer.alloc(4 * 44100)); // one second, then the producer stalls as a live source does
  // Interrupt once records reach the (temporary) output, i.e. the encoder runs: a fixed delay was
  // too short on a loaded machine, where Node and TensorFlow.js take longer to start.
  const { statSync } = await import('node:fs');
  const written = () => readdirSync(dir).some((f) => statSync(join(dir, f)).size > 0);
  for (let i = 0; i < 600 && !written(); i++) await new Promise((r) => setTimeout(r, 50));
  t.ok(written(), 'records reach the temporary output while the input stalls');
  enc.kill('SIGINT');
  const code = await new Promise((r) => enc.on('close', r));
  t.equal(code, 130, err);
  t.match(err, /^walloc-encode: interrupted by SIGINT \[WALLOC_ERR_INTERRUPTED\]\n$/);
  t.notOk(existsSync(out));
  t.same(readdirSync(dir), [], 'no temporary file either');
  // 48 kHz goes through ffmpeg (resampling); an output that cannot be written must end the process.
  const wav48 = join(dir, 's48.wav');
  const { findFfmpeg } = await import('../../../src/io/ffmpeg.js');
  const ff = findFfmpeg();
  if (!ff) return;
  const mk = spawn(ff.path, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=d=1', '-ar', '48000', '-ac', '2', wav48]);
  await new Promise((r) => mk.on('close', r));
  const bad = spawn(process.execPath, [bin('walloc-encode'), wav48, '-o', join(dir, 'nodir', 'x.wlc')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let e2 = '';
  bad.stderr.on('data', (c: Buffer) => { e2 += c; });
  const timer = setTimeout(() => bad.kill('SIGKILL'), 30_000);
  const c2 = await new Promise((r) => bad.on('close', r));
  clearTimeout(timer);
  t.equal(c2, 1, `exits (was a hang): ${e2}`);
  t.match(e2, /\[WALLOC_ERR_FILE_WRITE\]/);
});
