import t from 'tap';
import { wallocMain } from '../../../src/cli/walloc.js';
import { memoryIo, runBin } from '../../helpers/io.js';
import { version } from '../../../src/paths.js';

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
  const { mkdtempSync, readFileSync, statSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { packageRoot } = await import('../../../src/paths.js');
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
  t.match(junk.err(), /WALLOC_ERR_CONTAINER_MAGIC/);
  t.equal(await wallocMain(['info', wlc, 'extra'], memoryIo()), 2, 'one file at a time');
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
  const { mkdtempSync, copyFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
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
