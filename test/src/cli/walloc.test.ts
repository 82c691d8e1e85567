import t from 'tap';
import { wallocMain } from '../../../src/cli/walloc.js';
import { memoryIo, runBin } from '../../helpers/io.js';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot, version } from '../../../src/paths.js';

t.test('--version prints the package version on stdout', async (t) => {
  const io = memoryIo();
  t.equal(await wallocMain(['--version'], io), 0);
  t.equal(io.out(), `${version()}\n`);
  t.match(version(), /^\d+\.\d+\.\d+/);
});

t.test('--help lists the commands on stdout; no arguments prints it on stderr with status 2', async (t) => {
  const io = memoryIo();
  t.equal(await wallocMain(['--help'], io), 0);
  t.match(io.out(), /Commands:[\s\S]*info/);
  const io2 = memoryIo();
  t.equal(await wallocMain([], io2), 2);
  t.equal(io2.out(), '');
  t.match(io2.err(), /Usage:/);
});

t.test('an unknown command is a usage error with a code, no stack trace', async (t) => {
  const io = memoryIo();
  t.equal(await wallocMain(['frobnicate'], io), 2);
  t.match(io.err(), /unknown command "frobnicate".*\[WALLOC_ERR_UNKNOWN_COMMAND\]/);
  t.notMatch(io.err(), /\n\s+at /);
});

t.test('info --json reports version, backend, ffmpeg and models', async (t) => {
  const io = memoryIo();
  t.equal(await wallocMain(['info', '--json', '--backend', 'cpu'], io), 0);
  const r = JSON.parse(io.out()) as { version: string; backend: { active: string; available: string[] }; ffmpeg: { version: string } | null; models: unknown[] };
  t.equal(r.version, version());
  t.equal(r.backend.active, 'cpu');
  t.ok(r.backend.available.includes('cpu'));
  t.ok(r.backend.available.includes('wasm'), 'the wasm backend is a regular dependency');
  t.ok(r.ffmpeg, 'ffmpeg is found (the @ffmpeg-installer binary at least)');
  t.ok(Array.isArray(r.models));
});

t.test('info FILE.wlc describes a stream: header, records, size; a cut one says so; not a stream is a coded error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-info-'));
  const wlc = join(dir, 'c.wlc');
  t.equal(await wallocMain(['encode', join(packageRoot(), 'fixtures', 'images', 'coffee_255x171.jpg'), '-o', wlc, '--model', 'rgb-16x-linear', '--quiet'], memoryIo()), 0);
  const io = memoryIo();
  t.equal(await wallocMain(['info', wlc, '--json'], io), 0, io.err());
  const r = JSON.parse(io.out()) as { bytes: number; frames: number; terminated: boolean; header: { model: string; source: string } };
  t.match(r, { bytes: statSync(wlc).size, frames: 1, terminated: true, header: { model: 'rgb-16x-linear', source: 'coffee_255x171.jpg' } });
  const text = memoryIo();
  t.equal(await wallocMain(['info', wlc], text), 0);
  t.match(text.out(), /c\.wlc: \d+ bytes, 1 frame record\nmodel: +rgb-16x-linear \(image\)\n/);
  const bytes = readFileSync(wlc);
  writeFileSync(join(dir, 'cut.wlc'), bytes.subarray(0, bytes.length - 8));
  const cut = memoryIo();
  const code = await wallocMain(['info', join(dir, 'cut.wlc')], cut);
  t.ok(code === 1 ? /WALLOC_ERR_CONTAINER_/.test(cut.err()) : /cut short/.test(cut.out()), `${cut.out()}${cut.err()}`);
  const junk = memoryIo();
  writeFileSync(join(dir, 'junk.wlc'), 'not a stream at all');
  t.equal(await wallocMain(['info', join(dir, 'junk.wlc')], junk), 1);
  t.match(junk.err(), /junk\.wlc: unsupported input \(not a \.wlc stream \(it does not start with "WLOC"\); encode it with walloc-encode first\) \[WALLOC_ERR_UNSUPPORTED_INPUT\]/);
  t.equal(await wallocMain(['info', wlc, 'extra'], memoryIo()), 2, 'one file at a time');
});

/** Byte offset of each record (after the header) of a .wlc, walked by the layout of docs/format.md. */
function recordOffsets(bytes: Buffer): number[] {
  const offsets: number[] = [];
  for (let at = 9 + bytes.readUInt32LE(5) + 4; at < bytes.length; at += 9 + bytes.readUInt32LE(at) + 4) offsets.push(at);
  return offsets;
}

/** The 3-frame 96×64 5 fps y4m fixture, encoded by the real CLI. */
async function encodedClip(): Promise<{ dir: string; wlc: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-info-clip-'));
  const wlc = join(dir, 'clip.wlc');
  const io = memoryIo();
  if (await wallocMain(['encode', join(packageRoot(), 'fixtures', 'video', 'chelsea_pan_96x64.y4m'), '-o', wlc, '--model', 'rgb-16x-linear', '--quiet'], io) !== 0) throw new Error(io.err());
  return { dir, wlc };
}

t.test('info FILE.wlc shows the frame size, and the frame rate of a video (text and --json)', async (t) => {
  const { dir, wlc } = await encodedClip();
  const json = memoryIo();
  t.equal(await wallocMain(['info', wlc, '--json'], json), 0, json.err());
  t.match(JSON.parse(json.out()), { frames: 3, frameSize: { width: 96, height: 64 }, frameRate: 5 });
  t.notOk('varies' in (JSON.parse(json.out()) as { frameSize: object }).frameSize, 'every frame is 96×64');
  const text = memoryIo();
  t.equal(await wallocMain(['info', wlc], text), 0);
  t.match(text.out(), /^frame size: +96×64\n/m);
  t.match(text.out(), /^frame rate: +5 fps\n/m);
  // A still image has a size and no rate.
  const still = join(dir, 'still.wlc');
  t.equal(await wallocMain(['encode', join(packageRoot(), 'fixtures', 'images', 'coffee_255x171.jpg'), '-o', still, '--model', 'rgb-16x-linear', '--quiet'], memoryIo()), 0);
  const s = memoryIo();
  t.equal(await wallocMain(['info', still, '--json'], s), 0, s.err());
  const r = JSON.parse(s.out()) as { frameSize: unknown; frameRate?: unknown };
  t.same(r.frameSize, { width: 255, height: 171 });
  t.notOk('frameRate' in r);
});

t.test('info on a damaged stream prints the header and the good records, then the damage, and exits 1 with the coded error', async (t) => {
  const { dir, wlc } = await encodedClip();
  const bytes = readFileSync(wlc);
  const [, second, third] = recordOffsets(bytes);
  // Flip payload bytes in the middle of record 1 (the second frame): its CRC no longer matches.
  const mid = Math.floor((second! + third!) / 2);
  for (let i = mid; i < mid + 4; i++) bytes[i] ^= 0xff;
  const dmg = join(dir, 'dmg.wlc');
  writeFileSync(dmg, bytes);

  const text = memoryIo();
  t.equal(await wallocMain(['info', dmg], text), 1);
  t.match(text.out(), /dmg\.wlc: \d+ bytes, 2 frame records read \(damaged\)\nmodel: +rgb-16x-linear \(image\)\n/);
  t.match(text.out(), /^frame size: +96×64$/m, 'the good records still say what the stream is');
  t.match(text.out(), /^source: +chelsea_pan_96x64\.y4m$/m, 'the header is printed');
  t.match(text.out(), new RegExp(`^damage: +record 1: CRC-32 mismatch \\(the stream is corrupt\\) \\[WALLOC_ERR_CONTAINER_CRC\\]; skipped bytes ${second}–${third! - 1} \\(lost: record 1\\)$`, 'm'));
  t.equal(text.err(), 'walloc: record 1: CRC-32 mismatch (the stream is corrupt) [WALLOC_ERR_CONTAINER_CRC]\n');

  const json = memoryIo();
  t.equal(await wallocMain(['info', dmg, '--json'], json), 1);
  t.match(JSON.parse(json.out()), {
    frames: 2, terminated: true, header: { model: 'rgb-16x-linear' }, frameSize: { width: 96, height: 64 },
    damage: [{ code: 'WALLOC_ERR_CONTAINER_CRC', message: 'record 1: CRC-32 mismatch (the stream is corrupt)', record: 1, nextRecord: 2, bytes: [second, third] }],
  });
  t.match(json.err(), /\[WALLOC_ERR_CONTAINER_CRC\]/);

  // Cut inside the last frame record: the two before it are reported, the cut one as damage.
  const cut = join(dir, 'cut.wlc');
  writeFileSync(cut, readFileSync(wlc).subarray(0, third! + 20));
  const c = memoryIo();
  t.equal(await wallocMain(['info', cut, '--json'], c), 1);
  t.match(JSON.parse(c.out()), { frames: 2, damage: [{ code: 'WALLOC_ERR_CONTAINER_TRUNCATED', record: 2 }] });
  t.match(c.err(), /\[WALLOC_ERR_CONTAINER_TRUNCATED\]/);
});

t.test('info on a file that is not a .wlc names what it is, as walloc-decode does', async (t) => {
  const io = memoryIo();
  const jpg = join(packageRoot(), 'fixtures', 'images', 'coffee_255x171.jpg');
  t.equal(await wallocMain(['info', jpg], io), 1);
  t.equal(io.err(), `walloc: ${jpg}: unsupported input (not a .wlc stream (it is a JPEG image); encode it with walloc-encode first) [WALLOC_ERR_UNSUPPORTED_INPUT]\n`);
  t.equal(io.out(), '');
  t.notMatch(io.err(), /bad magic/, 'no magic bytes printed as Latin-1');
});

t.test('info with a backend that cannot load reports it and everything else, exit 0', async (t) => {
  const { availableBackends } = await import('../../../src/models/backend.js');
  if ((await availableBackends()).includes('gpu')) {
    t.pass('nothing to check: the gpu backend loads on this machine');
    return;
  }
  const io = memoryIo();
  t.equal(await wallocMain(['info', '--backend', 'gpu', '--json'], io), 0, io.err());
  const r = JSON.parse(io.out()) as { version: string; backend: { active: string | null; requested: string; available: string[]; error: { code: string; message: string } }; ffmpeg: unknown; models: unknown[] };
  t.equal(r.version, version());
  t.match(r.backend, { active: null, requested: 'gpu', error: { code: 'WALLOC_ERR_BACKEND_UNAVAILABLE', message: /backend "gpu" is not available here/ } });
  t.ok(r.backend.available.includes('cpu'));
  t.ok(r.ffmpeg);
  t.ok(r.models.length > 0);
  // The bin, with the backend asked for in the environment (the audit's case): text, nothing on stderr.
  const b = await runBin('walloc', ['info'], { env: { WALLOC_BACKEND: 'gpu' } });
  t.equal(b.code, 0, b.stderr);
  const out = b.stdout.toString();
  t.match(out, /^walloc \d+\.\d+\.\d+ /);
  t.match(out, /^backend: +unavailable: TensorFlow\.js backend "gpu" is not available here; available: .*\[WALLOC_ERR_BACKEND_UNAVAILABLE\] \(WALLOC_BACKEND is set\)$/m);
  t.match(out, /^ffmpeg: +\S/m);
  t.match(out, /^ {2}rgb-16x +codec/m);
  t.equal(b.stderr, '');
});

t.test('info with an unknown backend is a coded usage error', async (t) => {
  const io = memoryIo();
  t.equal(await wallocMain(['info', '--backend', 'quantum'], io), 2);
  t.match(io.err(), /WALLOC_ERR_INVALID_ARGUMENT/);
});

t.test('help for a sub-command comes from its option table', async (t) => {
  const io = memoryIo();
  t.equal(await wallocMain(['help', 'info'], io), 0);
  t.match(io.out(), /--json\s+print one JSON object/);
  t.match(io.out(), /-h, --help/);
});

t.test('the built bin: unknown option exits 2 with one coded line on stderr', async (t) => {
  const r = await runBin('walloc', ['info', '--no-such-flag']);
  t.equal(r.code, 2);
  t.equal(r.stdout.length, 0);
  t.match(r.stderr, /^walloc: unknown option "--no-such-flag".*\[WALLOC_ERR_UNKNOWN_OPTION\]\n$/);
});

t.test('an option given without its value is named in walloc\'s words (was Node\'s "Option \'-o, --output <value>\' argument missing")', async (t) => {
  const { parseCommandArgs } = await import('../../../src/cli/command.js');
  const { encodeCommand } = await import('../../../src/cli/encode.js');
  t.throws(() => parseCommandArgs(encodeCommand, ['x.jpg', '-o']), { code: 'WALLOC_ERR_INVALID_ARGUMENT', message: 'invalid argument: --output needs a value; run `walloc-encode --help` for usage' });
  t.throws(() => parseCommandArgs(encodeCommand, ['x.jpg', '--model']), { message: /--model needs a value/ });
});

t.test('the built bin: info prints the active backend', async (t) => {
  const r = await runBin('walloc', ['info']);
  t.equal(r.code, 0);
  t.match(r.stdout.toString(), /backend:\s+(wasm|cpu|node|gpu)/);
});

t.test('models: every bundled model with its kind; --kind filters; --json is one object per line', async (t) => {
  let io = memoryIo();
  t.equal(await wallocMain(['models'], io), 0, io.err());
  t.match(io.out(), /^rgb-16x\s+codec\s+image\s+RGB codec/m);
  t.match(io.out(), /^fmnist-latent-resnet\s+classifier\s+Latent-ResNet/m);
  t.match(io.out(), /^vqvae-mnist-k128\s+vqvae\s+VQ-VAE/m);
  const cols = io.out().trim().split('\n').map((l) => l.search(/ (codec|classifier|vqvae|token-classifier) /));
  t.equal(new Set(cols).size, 1, 'the kind column is aligned');
  io = memoryIo();
  t.equal(await wallocMain(['models', '--kind', 'vqvae', '--json'], io), 0);
  const lines = io.out().trim().split('\n').map((l) => JSON.parse(l) as { name: string; kind: string });
  t.ok(lines.length >= 2 && lines.every((m) => m.kind === 'vqvae'));
  io = memoryIo();
  t.equal(await wallocMain(['models', '--kind', 'nothing'], io), 2);
  t.match(io.err(), /--kind must be one of codec, classifier, vqvae, token-classifier, got "nothing" \[WALLOC_ERR_INVALID_ARGUMENT\]/);
});

t.test('help for an unknown command and train without what to train are usage errors that name the choices', async (t) => {
  let io = memoryIo();
  t.equal(await wallocMain(['help', 'nosuch'], io), 2);
  t.match(io.err(), /unknown command "nosuch".*\[WALLOC_ERR_UNKNOWN_COMMAND\]/);
  io = memoryIo();
  t.equal(await wallocMain(['train'], io), 2);
  t.match(io.err(), /codec, classifier, vqvae, token-classifier or lowrank/);
  const cases: Array<[string[], RegExp]> = [
    [['train', 'codec', 'extra', '--data', 'x', '--out', 'y'], /unexpected argument "extra"; run `walloc train --help`/],
    [['train', 'classifier', 'extra', '--data', 'x', '--out', 'y'], /unexpected argument "extra"; run `walloc train classifier --help`/],
    [['train', 'codec', '--data', 'x', '--out', 'y', '--steps', '0x10'], /--steps must be an integer from 0 to .*, got "0x10"/],
    [['train', 'vqvae', '--out', 'y'], /--data mnist\|fashion-mnist is required; run `walloc train vqvae --help`/],
    [['train', 'token-classifier', '--vqvae', 'vqvae-mnist-k128', '--data', 'fashion-mnist', '--out', 'y'], /--data is for --baseline/],
    [['eval', 'fixtures/images/chelsea_128x96.png'], /walloc eval reads a folder/],
  ];
  for (const [argv, re] of cases) {
    io = memoryIo();
    t.not(await wallocMain(argv, io), 0, argv.join(' '));
    t.match(io.err(), re, argv.join(' '));
  }
});

t.test('walloc eval on a folder without a readable image: an error, also with --json, and no table head', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'walloc-eval-junk-'));
  copyFileSync('fixtures/images/not-an-image.png', join(dir, 'x.png'));
  for (const json of [[], ['--json']]) {
    const io = memoryIo();
    t.equal(await wallocMain(['eval', dir, '--model', 'rgb-16x-linear', ...json], io), 1);
    t.match(io.err(), /no readable images \[WALLOC_ERR_DATASET\]/);
    t.match(io.err(), /walloc eval: skipping \S*x\.png: unsupported input/, 'the skipped file named once');
    t.equal(io.out(), '', 'nothing on stdout');
  }
});

t.test('every command answers --version / -V with the package version', async (t) => {
  const { runCommand } = await import('../../../src/cli/run.js');
  const { encodeCommand } = await import('../../../src/cli/encode.js');
  const { classifyCommand } = await import('../../../src/cli/classify.js');
  for (const [cmd, flag] of [[encodeCommand, '--version'], [classifyCommand, '-V']] as const) {
    const io = memoryIo();
    t.equal(await runCommand(cmd, [flag], io), 0);
    t.equal(io.out(), `${version()}\n`, `${cmd.name} ${flag}`);
  }
});

t.test('train classifier --grey-codec into a folder that holds a model: refused without --force, before any data loads', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'walloc-grey-out-')), 'g');
  cpSync(join(packageRoot(), 'fixtures', 'models', 'fmnist-gray-j2'), dir, { recursive: true });
  const io = memoryIo();
  t.equal(await wallocMain(['train', 'classifier', '--data', 'fashion-mnist', '--grey-codec', dir], io), 2);
  t.match(io.err(), /holds a model already \(fmnist-gray-j2.*--force replaces it.*\[WALLOC_ERR_MODEL_EXISTS\]/);
});
