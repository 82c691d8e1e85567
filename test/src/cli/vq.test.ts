/**
 * The VQ-VAE commands as a user runs them (in-process): `walloc train vqvae | token-classifier |
 * lowrank` on tiny slices of real MNIST, resuming, usage errors, and `classify` on a token .wlc.
 */
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wallocMain } from '../../../src/cli/walloc.js';
import { writeWlc } from '../../../src/container/index.js';
import { makeFrame, type Frame } from '../../../src/frame.js';
import { loadVqDataset, toUnitBatch } from '../../../src/vq/datasets.js';
import { loadVqModel } from '../../../src/vq/model.js';
import { VqCodec } from '../../../src/vq/vq-codec.js';
import { packTokensFrame, vqHeader, VectorQuantizer } from '../../../transforms/vq.js';
import { memoryIo } from '../../helpers/io.js';

const dir = mkdtempSync(join(tmpdir(), 'walloc-vqcli-'));
const vqDir = join(dir, 'vq');
const tokDir = join(dir, 'tok');

t.test('usage errors are coded, with exit status 2', async (t) => {
  for (const [argv, code] of [
    [['train', 'vqvae', '--out', vqDir], 'WALLOC_ERR_MISSING_ARGUMENT'],
    [['train', 'vqvae', '--data', 'cifar', '--out', vqDir], 'WALLOC_ERR_INVALID_ARGUMENT'],
    [['train', 'vqvae', '--data', 'mnist', '--codebook', '1', '--out', vqDir], 'WALLOC_ERR_INVALID_ARGUMENT'],
    [['train', 'lowrank', '--out', vqDir], 'WALLOC_ERR_MISSING_ARGUMENT'],
    [['train', 'token-classifier', '--out', vqDir], 'WALLOC_ERR_MISSING_ARGUMENT'],
    [['train', 'vqvae', '--data', 'mnist', '--bogus'], 'WALLOC_ERR_UNKNOWN_OPTION'],
  ] as const) {
    const io = memoryIo();
    t.equal(await wallocMain([...argv], io), 2, argv.join(' '));
    t.match(io.err(), code);
    t.notMatch(io.err(), /\n\s+at /, 'no stack trace');
  }
  const help = memoryIo();
  t.equal(await wallocMain(['train', 'vqvae', '--help'], help), 0);
  t.match(help.out(), /--codebook K/);
});

t.test('train vqvae, resume, token classifier, low-rank decoder and classify a token stream', async (t) => {
  let io = memoryIo();
  t.equal(await wallocMain(['train', 'vqvae', '--data', 'mnist', '--codebook', '16', '--limit', '128', '--val-limit', '100', '--epochs', '1', '--batch', '32', '--out', vqDir], io), 0, io.err());
  t.match(io.err(), /epoch 1\/1: loss [\d.]+, held-out MSE [\d.]+, SSIM/);
  const m1 = loadVqModel(vqDir);
  t.equal(m1.config.net.codebookSize, 16);
  t.equal(m1.config.training?.epochs, 1);
  io = memoryIo();
  t.equal(await wallocMain(['train', 'vqvae', '--data', 'mnist', '--codebook', '16', '--limit', '128', '--val-limit', '100', '--epochs', '2', '--batch', '32', '--resume', '--out', vqDir], io), 0, io.err());
  t.match(io.err(), /resuming .* after epoch 1/);
  t.notMatch(io.err(), /epoch 1\/2/, 'the finished epoch is not trained again');
  const m2 = loadVqModel(vqDir);
  t.equal(m2.config.training?.epochs, 2);
  t.not(m2.config.tokensSha256, m1.config.tokensSha256, 'the second epoch changed the encoder');

  io = memoryIo();
  t.equal(await wallocMain(['train', 'token-classifier', '--vqvae', vqDir, '--limit', '300', '--val-limit', '100', '--epochs', '1', '--out', tokDir], io), 0, io.err());
  t.match(io.err(), /test accuracy/);
  // Into the same folder: refused without --resume or --force; --resume goes on from the model.
  io = memoryIo();
  t.equal(await wallocMain(['train', 'token-classifier', '--vqvae', vqDir, '--limit', '300', '--val-limit', '100', '--epochs', '1', '--out', tokDir], io), 2);
  t.match(io.err(), /holds a model already .*\[WALLOC_ERR_MODEL_EXISTS\]/);
  io = memoryIo();
  t.equal(await wallocMain(['train', 'token-classifier', '--vqvae', vqDir, '--limit', '300', '--val-limit', '100', '--epochs', '2', '--resume', '--out', tokDir], io), 0, io.err());

  io = memoryIo();
  const lrDir = join(dir, 'lowrank');
  t.equal(await wallocMain(['train', 'lowrank', '--vqvae', vqDir, '--rank', '1', '--iterations', '1', '--limit', '128', '--val-limit', '100', '--epochs', '1', '--out', lrDir], io), 0, io.err());
  t.equal(loadVqModel(lrDir).config.decoder.type, 'lowrank');
  t.equal(loadVqModel(lrDir).config.tokensSha256, m2.config.tokensSha256, 'the low-rank model keeps the VQ-VAE\'s tokens');

  // A token stream of 20 real test digits, classified without decoding.
  const codec = await VqCodec.load(m2);
  const test = loadVqDataset('mnist', 'test', { limit: 20 });
  const tokens = codec.encode(toUnitBatch(test, 0, 20), 20);
  const q = VectorQuantizer.fromModel(m2);
  const frames: Frame[] = [];
  for (let i = 0; i < 20; i++) frames.push(packTokensFrame(makeFrame('tokens', [7, 7], tokens.slice(i * 49, (i + 1) * 49), q.tokensMeta({ pts: i }))));
  const wlc = join(dir, 'digits.wlc');
  writeFileSync(wlc, writeWlc(vqHeader(m2), frames));
  io = memoryIo();
  t.equal(await wallocMain(['classify', wlc, '-m', tokDir, '--top', '2'], io), 0, io.err());
  const lines = io.out().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { pts: number; label: string; top: unknown[] });
  t.equal(lines.length, 20);
  t.same(lines.map((l) => l.pts), Array.from({ length: 20 }, (_, i) => i));
  t.ok(lines.every((l) => /^[0-9]$/.test(l.label) && l.top.length === 2));

  // A token ≥ K in the 3rd frame: two lines, then a coded error.
  // (packed as if K were 32: the frame is well-formed, but 31 is no entry of the model's 16)
  const forged = packTokensFrame(makeFrame('tokens', [7, 7], new Uint16Array(49).fill(31), { pts: 2 }), 32);
  const badWlc = join(dir, 'bad.wlc');
  writeFileSync(badWlc, writeWlc(vqHeader(m2), [frames[0]!, frames[1]!, forged]));
  io = memoryIo();
  t.equal(await wallocMain(['classify', badWlc, '-m', tokDir], io), 1);
  t.equal(io.out().split('\n').filter(Boolean).length, 2, 'the complete frames before it are printed');
  t.match(io.err(), /WALLOC_ERR_VQ_TOKEN|not an entry of the 16-entry codebook/);
  // A truncated stream: coded, never a stack trace.
  const cut = join(dir, 'cut.wlc');
  const full = readFileSync(wlc);
  writeFileSync(cut, full.subarray(0, full.length - 30));
  io = memoryIo();
  t.equal(await wallocMain(['classify', cut, '-m', tokDir], io), 1);
  t.match(io.err(), /WALLOC_ERR_CONTAINER_TRUNCATED|truncated/);
  t.ok(existsSync(join(tokDir, 'model.json')));
  // A stream saved by a filter graph: the header only names a model this machine does not have,
  // so the frames' own fingerprint decides; frames without one are refused.
  const graphWlc = join(dir, 'graph.wlc');
  writeFileSync(graphWlc, writeWlc({ model: 'somebody-elses-vqvae', modality: 'image' }, frames.slice(0, 3)));
  io = memoryIo();
  t.equal(await wallocMain(['classify', graphWlc, '-m', tokDir], io), 0, io.err());
  t.equal(io.out().split('\n').filter(Boolean).length, 3);
  const bare = packTokensFrame(makeFrame('tokens', [7, 7], tokens.slice(0, 49), { pts: 0 }), 16);
  writeFileSync(graphWlc, writeWlc({ model: 'somebody-elses-vqvae', modality: 'image' }, [bare]));
  io = memoryIo();
  t.equal(await wallocMain(['classify', graphWlc, '-m', tokDir], io), 1);
  t.match(io.err(), /WALLOC_ERR_CLASSIFIER_CODEC/);
  codec.dispose();
});

t.test('walloc-decode on a token stream says how tokens decode (was "this is a vqvae, not a codec")', async (t) => {
  const digit = join(dir, 'digit.wlc');
  let io = memoryIo();
  t.equal(await wallocMain(['filter', `load=fixtures/images/chelsea_128x96.png,format=gray,scale=28:28,vq=model=vqvae-mnist-k128,vqpack,save=${digit}`], io), 0, io.err());
  const { runCommand } = await import('../../../src/cli/run.js');
  const { decodeCommand } = await import('../../../src/cli/decode.js');
  io = memoryIo();
  t.equal(await runCommand(decodeCommand, [digit, '-o', join(dir, 'never.png')], io), 1);
  t.match(io.err(), /holds VQ-VAE tokens of vqvae-mnist-k128, which walloc-decode does not read; decode them with walloc filter "load=file=.*,vqunpack,unvq=model=vqvae-mnist-k128,save=file=OUT\.png"/);
  t.notOk(existsSync(join(dir, 'never.png')));
  io = memoryIo();
  t.equal(await wallocMain(['filter', `load=${digit},classify`], io), 2);
  t.match(io.err(), /these are VQ-VAE tokens; the classify filter reads codec latents/, 'the classify filter on tokens says where tokens are read');
  io = memoryIo();
  t.equal(await wallocMain(['help', 'train', 'vqvae'], io), 0);
  t.match(io.out(), /^walloc train vqvae: /, '`walloc help train vqvae` shows that command\'s options');
});
