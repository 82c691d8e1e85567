/**
 * `classify`: reads a .wlc stream (a file or stdin) and prints one JSON line per frame,
 * `{"pts": …, "label": "…", "score": …, "top": [[label, score], …]}`, without decoding the latents.
 * The classifier is the bundled one trained on the codec named in the stream's header, or
 * `--model`; a classifier trained on another codec is refused (WALLOC_ERR_CLASSIFIER_CODEC).
 *
 * The stream is parsed record by record (src/container/parser.ts), and each frame is classified and
 * printed before the next record is read, so a truncated or damaged stream still prints the lines of
 * every complete record before the coded error.
 */
import { latentModelOf, MAX_RECORD_BYTES_CAP, WlcParser, type WlcHeader } from '../container/index.js';
import { werr } from '../errors.js';
import { openInput } from '../io/input.js';
import { notWlcError } from '../io/detect.js';
import { checkNotInput, openOutput } from '../io/output.js';
import { MAX_LATENT_VALUES_CAP } from '../stages/pack.js';
import { Classifier, predictionOf } from '../classify/classifier.js';
import { LatentWindower } from '../classify/audio-windows.js';
import { planFromHeader } from '../codec/audio-stream.js';
import type { Frame } from '../frame.js';
import { unpackFrame } from '../stages/pack.js';
import { classifierForHeader, headerCodecLabel } from '../classify/model.js';
import { predictionLine } from '../classify/sink.js';
import { isTokenClassifier, isTokenStream, TokenClassifier, tokenClassifierForHeader } from '../vq/token-classifier.js';
import { parseAugment } from '../classify/augment.js';
import { loadFashionMnist } from '../classify/fashion-mnist.js';
import { buildGreyCodec, GREY_CODEC_DEFAULTS } from '../classify/grey-codec.js';
import { checkModelFolder } from '../io/atomic.js';
import { DISTILL_DEFAULTS } from '../classify/distill.js';
import { HINT_DEFAULTS, parseHints } from '../classify/hint.js';
import { CLASSIFIER_ARCHS, type ClassifierArch } from '../classify/nets.js';
import { CLASSIFIER_TRAIN_DEFAULTS, trainClassifier } from '../classify/trainer.js';
import type { CommandIo, CommandSpec } from './command.js';
import { interruptSignal } from './run.js';
import { intOption, numberOption } from './options.js';
import { plainEvery } from './progress.js';

export const classifyCommand: CommandSpec = {
  name: 'classify',
  summary: 'classify a .wlc stream without decoding it (one JSON line per frame, or per window of an audio stream)',
  usage: ['classify [INPUT|-] [-m CLASSIFIER] [--top K] [--threshold P] [-o FILE]'],
  options: {
    model: { type: 'string', short: 'm', arg: 'NAME|DIR', help: 'classifier (default: the bundled classifier trained on the codec named in the stream header)' },
    top: { type: 'string', short: 'k', arg: 'K', default: '3', help: 'classes listed in "top", best first' },
    threshold: { type: 'string', arg: 'P', default: '0', help: 'minimum probability: below it "label" is null and "top" keeps only the best class' },
    output: { type: 'string', short: 'o', arg: 'FILE', help: 'write the JSON lines to FILE (default: stdout)' },
    backend: { type: 'string', arg: 'NAME', help: 'TensorFlow.js backend: gpu, node, wasm or cpu' },
    'max-latent': { type: 'string', arg: 'N', help: 'refuse packed latent images of more values than this (default: 67108864)' },
    'max-record-bytes': { type: 'string', arg: 'N', help: 'refuse .wlc records longer than this (default: 268435456)' },
    hop: { type: 'string', arg: 'MS', help: 'audio streams: one window every MS milliseconds (default: the classifier\'s, half a window)' },
  },
  examples: [
    'ffmpeg -i clip.mp4 -f yuv4mpegpipe - | walloc-encode | classify',
    'classify shirts.wlc --top 5',
    'classify garments.wlc -m fmnist-latent-resnet --threshold 0.5 -o labels.jsonl',
    'arecord -f cd -t wav - | walloc-encode --latency 100 - | classify -m words-stereo-5x --threshold 0.6',
  ],
  async run({ values, positionals }, io) {
    return classifyMain(values, positionals, io);
  },
};

async function classifyMain(values: Record<string, unknown>, positionals: string[], io: CommandIo): Promise<number> {
  if (positionals.length > 1) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `one input at a time (got ${positionals.length})` });
  const inPath = positionals[0] ?? '-';
  if (inPath === '-' && io.stdin.isTTY) throw werr('WALLOC_ERR_MISSING_ARGUMENT', { what: 'a .wlc file (or a stream on stdin)', command: 'classify' });
  const top = numberOption(values.top, 'top', 1, 1000, true);
  const threshold = numberOption(values.threshold, 'threshold', 0, 1);
  const maxLatentValues = intOption(values['max-latent'], 'max-latent', 1, MAX_LATENT_VALUES_CAP);
  const maxRecordBytes = intOption(values['max-record-bytes'], 'max-record-bytes', 1, MAX_RECORD_BYTES_CAP);

  const input = await openInput(inPath, io.stdin);
  if (input.kind !== 'wlc') {
    input.stream.destroy();
    throw notWlcError(inPath === '-' ? 'stdin' : inPath, input.kind);
  }
  checkNotInput(inPath, (values.output as string | undefined) ?? '-');
  const out = openOutput((values.output as string | undefined) ?? '-', { stdout: io.stdout, binary: false });
  const { signal, release } = interruptSignal();
  const parser = new WlcParser(maxRecordBytes !== undefined ? { maxRecordBytes } : {});
  let classifier: Classifier | TokenClassifier | undefined;
  let windower: LatentWindower | undefined;
  let sampleRate = 44100;
  const hopMs = values.hop === undefined ? undefined : numberOption(values.hop, 'hop', 1, 3_600_000);
  let index = 0;
  let windows = 0;
  let source: string | undefined;
  const write = (line: string): Promise<void> | void => {
    if (out.stream.write(line)) return;
    return new Promise((resolve) => out.stream.once('drain', resolve));
  };
  const onHeader = async (h: WlcHeader): Promise<void> => {
    latentModelOf(h, inPath, values.model as string | undefined);
    // VQ-VAE token streams (src/vq/): the token classifier, which reads the tokens as they are.
    // A codec's latent stream (it records latent channels) is not tokens; a graph's token stream may
    // name no fingerprint in its header, and its frames decide (src/vq/token-classifier.ts).
    if (isTokenClassifier(values.model as string | undefined) && !isTokenStream(h) && typeof h.latentDim === 'number') {
      throw werr('WALLOC_ERR_CLASSIFIER_CODEC', { classifier: String(values.model), expected: 'VQ-VAE tokens', found: `${headerCodecLabel(h)} latents` });
    }
    if (isTokenStream(h) || isTokenClassifier(values.model as string | undefined)) {
      classifier = await TokenClassifier.load((values.model as string | undefined) ?? tokenClassifierForHeader(h), { backend: values.backend as string | undefined });
      classifier.checkHeader(h);
      return;
    }
    const c = await Classifier.load((values.model as string | undefined) ?? classifierForHeader(h), { backend: values.backend as string | undefined, maxLatentValues });
    classifier = c;
    c.checkHeader(h);
    const win = c.model.config.window;
    if (h.modality === 'audio') {
      if (!win) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `classifier ${c.model.config.name} reads single frames, not windows of an audio stream` });
      const plan = planFromHeader(h as unknown as Record<string, unknown>);
      sampleRate = plan.sampleRate;
      const hop = hopMs === undefined ? win.hop : Math.max(1, Math.round(((hopMs / 1000) * plan.sampleRate) / plan.hop));
      windower = new LatentWindower({ channels: c.model.config.net.inChannels, window: win.columns, hop, samplesPerColumn: plan.hop, preroll: plan.preroll });
    } else if (win) {
      throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `classifier ${c.model.config.name} reads windows of an audio stream; this stream holds ${h.modality ?? 'image'} frames` });
    } else if (hopMs !== undefined) {
      // Said, not ignored: one line per frame is all an image stream gets.
      throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--hop is for audio streams; this stream holds ${h.modality ?? 'image'} frames (one line each)` });
    }
  };
  /** Audio: every window the record completes gets its line; latency counts from the record's arrival. */
  const onAudioFrame = async (f: Frame, arrived: number): Promise<void> => {
    const c = classifier as Classifier;
    const lat = f.kind === 'packed' ? await unpackFrame(f, { maxValues: maxLatentValues ?? MAX_LATENT_VALUES_CAP }) : f;
    if (lat.kind !== 'latent' || lat.shape.length !== 2) throw werr('WALLOC_ERR_FRAME_KIND', { stage: 'classify (audio windows)', expected: 'audio latents [N, columns]', actual: `${lat.kind} [${lat.shape.join(', ')}]` });
    const first = typeof lat.meta.pts === 'number' ? lat.meta.pts : 0;
    for (const w of windower!.push(lat.data, lat.shape[1]!, first)) {
      windows++;
      const p = predictionOf(c.probabilities(w.nhwc, 1, 1, windower!.window), c.labels, top, threshold);
      await write(predictionLine(p, w.sample, source, { t: Math.round((w.sample / sampleRate) * 1000) / 1000, latencyMs: Math.round((performance.now() - arrived) * 10) / 10 }));
    }
  };
  try {
    for await (const chunk of input.stream as AsyncIterable<Buffer>) {
      if (signal.aborted) throw signal.reason;
      for (const ev of parser.write(chunk)) {
        if (ev.type === 'header') await onHeader(ev.header);
        else if (ev.type === 'meta') {
          // A dataset archive (walloc batch --archive) names each image in a meta record before it.
          const path = (ev.data as { path?: unknown } | null)?.path;
          if (typeof path === 'string') source = path;
        } else if (ev.type === 'frame' && windower) {
          await onAudioFrame(ev.frame, performance.now());
        } else if (ev.type === 'frame') {
          const f = ev.frame;
          const pts = typeof f.meta?.pts === 'number' ? f.meta.pts : index;
          index++;
          const p = await classifier!.classifyFrame(f, { top, threshold });
          await write(predictionLine(p, pts, source));
        }
      }
    }
    for (const ev of parser.finish()) if (ev.type === 'header') await onHeader(ev.header);
    parser.end();
    // An audio stream shorter than one window has nothing to classify: say so rather than print nothing.
    if (windower && windows === 0) {
      io.stderr.write(`classify: the stream is shorter than one ${((windower.window * windower.samplesPerColumn) / sampleRate).toFixed(2)} s window: no line to print\n`);
    } else if (!windower && index === 0) {
      io.stderr.write('classify: the stream holds no frames: no line to print\n');
    }
    if (out.stream !== io.stdout) out.stream.end();
    await out.commit();
  } catch (e) {
    // Lines already printed stay printed (they are complete records); a file output is kept too,
    // since every line in it is whole.
    if (out.stream !== io.stdout) {
      out.stream.end();
      await out.commit().catch(() => out.abort());
    }
    throw e;
  } finally {
    release();
    classifier?.dispose();
    input.stream.destroy();
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// `walloc train classifier` (routed here by src/cli/walloc.ts; `walloc train codec` is train.ts).

const T = CLASSIFIER_TRAIN_DEFAULTS;


export const trainClassifierCommand: CommandSpec = {
  name: 'walloc train classifier',
  maxPositionals: 0,
  summary: 'train a classifier on a codec\'s latents (or the pixel-space baseline)',
  usage: [
    'walloc train classifier --data fashion-mnist|fashion-mnist-color|DIR --codec MODEL --out DIR [options]',
    'walloc train classifier --data fashion-mnist --arch pixel-cnn --out DIR [options]',
    'walloc train classifier --data fashion-mnist --grey-codec DIR [--latent-dim N] [--levels J]',
  ],
  options: {
    data: { type: 'string', arg: 'SET', help: 'fashion-mnist (Debian dataset-fashion-mnist, 28×28 grey), fashion-mnist-color (64×64 on photo backgrounds), spoken-words (espeak-ng command words over real recordings, for an audio codec), or a folder with one sub-folder of images per class' },
    val: { type: 'string', arg: 'DIR', help: 'held-out class folders (folder data only; Fashion-MNIST uses its test split)' },
    codec: { type: 'string', arg: 'MODEL', help: 'codec whose latents the classifier reads (bundled name or folder)' },
    arch: { type: 'string', arg: 'NAME', default: T.arch, help: 'latent-resnet, gated-resnet (side-information gate) or pixel-cnn (baseline on pixels, no --codec)' },
    out: { type: 'string', arg: 'DIR', help: 'classifier folder to write (checkpoints after every epoch go there too)' },
    name: { type: 'string', arg: 'NAME', help: 'classifier name (default: the out folder name)' },
    description: { type: 'string', arg: 'TEXT', help: 'one-line description stored in the model' },
    epochs: { type: 'string', arg: 'N', default: String(T.epochs), help: 'passes over the training set' },
    batch: { type: 'string', arg: 'N', default: String(T.batch), help: 'images per step' },
    lr: { type: 'string', arg: 'X', default: String(T.lr), help: 'Adam learning rate (linear warm-up, then cosine decay)' },
    stages: { type: 'string', arg: 'LIST', help: 'net stages as width:blocks,… (stage 0 at input resolution, each later one halves it); default per --arch' },
    head: { type: 'string', arg: 'KIND', default: 'mean', help: 'mean (global average pooling, any input size) or flatten (dense over the last map: fixed input size, keeps the layout)' },
    limit: { type: 'string', arg: 'N', default: '0', help: 'use only the first N training images (0: all)' },
    'val-limit': { type: 'string', arg: 'N', default: '0', help: 'use only the first N held-out images (0: all)' },
    holdout: { type: 'string', arg: 'N', default: '0', help: 'Fashion-MNIST: hold out the last N training images as the validation set instead of the test split, to choose a recipe without touching the test split (0: test split)' },
    photos: { type: 'string', arg: 'DIR', default: T.photos, help: 'fashion-mnist-color: photos for training backgrounds' },
    'val-photos': { type: 'string', arg: 'DIR', default: T.valPhotos, help: 'fashion-mnist-color: photos for held-out backgrounds' },
    audio: { type: 'string', arg: 'DIR', default: T.audio, help: 'spoken-words: background recordings for training windows' },
    'val-audio': { type: 'string', arg: 'DIR', default: T.valAudio, help: 'spoken-words: background recordings for held-out windows' },
    speakers: { type: 'string', arg: 'N', default: '0', help: 'spoken-words: at most N training speakers, N/2 held out (0: all 64 and 24)' },
    size: { type: 'string', arg: 'PX', default: String(T.size), help: 'folder data: side of the centre crop images are resized to' },
    seed: { type: 'string', arg: 'N', default: String(T.seed), help: 'random seed (weights, order, renderings)' },
    resume: { type: 'boolean', help: 'continue from the checkpoint in --out' },
    force: { type: 'boolean', help: 'replace the model already in --out (refused without it)' },
    augment: { type: 'string', arg: 'LIST', default: 'none', help: 'training augmentation, re-encoded every epoch: flip, shift=S (pixels), comma-separated, or none' },
    dropout: { type: 'string', arg: 'P', default: '0', help: 'dropout rate before the dense head while training (0 to 0.9)' },
    hidden: { type: 'string', arg: 'N', default: '0', help: 'hidden dense units (ReLU) between the features and the class logits (0: none)' },
    expand: { type: 'string', arg: 'R', default: '0', help: 'train every convolution as three linear factors (1×1, k×k, 1×1) with R × its width inside, collapsed into the plain kernel when saved: same net and speed, easier to train (0: off)' },
    decompand: { type: 'boolean', help: 'latent classifiers: read the latents through the codec\'s inverse companding (the projection values, linear in the pixels) instead of the companded integers; recorded in the model, applied by classify' },
    teacher: { type: 'string', arg: 'MODEL', help: 'distil from this trained classifier (e.g. fmnist-pixel-cnn), or an ensemble of several separated by commas: their averaged softened predictions on each training image join the labels as targets; inference still reads only latents' },
    distill: { type: 'string', arg: 'A', default: String(DISTILL_DEFAULTS.weight), help: '--teacher: weight of the soft-target loss (0 to 1)' },
    'teacher-mirror': { type: 'boolean', help: '--teacher: average its soft targets over each image and its mirror (steadier targets, twice the teacher\'s work)' },
    'teacher-view': { type: 'string', arg: 'VIEW', default: 'original', help: '--teacher: what the teacher looks at, original images or the codec\'s decoded images (decoded: targets uncertain where the latents are)' },
    temperature: { type: 'string', arg: 'T', default: String(DISTILL_DEFAULTS.temperature), help: '--teacher: softmax temperature of the soft targets' },
    hint: { type: 'string', arg: 'S:T,…', help: '--teacher: hint distillation, the student\'s stage S map learns to predict the (first) teacher\'s stage T map of the same image through a 1×1 convolution used only in training (e.g. 0:2: the latent stem against the pixel CNN\'s 7×7 stage)' },
    'hint-weight': { type: 'string', arg: 'B', default: String(HINT_DEFAULTS.weight), help: '--hint: weight of the hint loss (teacher maps standardised per channel)' },
    'grey-codec': { type: 'string', arg: 'DIR', help: 'build the grey Fashion-MNIST codec (PCA of J-level wavelet packets) into DIR and stop' },
    levels: { type: 'string', arg: 'J', default: '2', help: '--grey-codec: wavelet packet levels' },
    'latent-dim': { type: 'string', arg: 'N', default: '8', help: '--grey-codec: latent channels' },
    backend: { type: 'string', arg: 'NAME', help: 'TensorFlow.js backend (default: best available)' },
  },
  examples: [
    'walloc train classifier --data fashion-mnist --grey-codec models/fmnist-gray-j2',
    'walloc train classifier --data fashion-mnist --codec fmnist-gray-j2 --out models/fmnist-latent-resnet',
    'walloc train classifier --data fashion-mnist --arch pixel-cnn --out models/fmnist-pixel-cnn',
    'walloc train classifier --data fashion-mnist --codec fmnist-gray-j2 --teacher fmnist-pixel-cnn --out my-distilled',
    'walloc train classifier --data fashion-mnist --codec fmnist-gray-j2 --teacher fmnist-pixel-cnn,runs/pixel-s2 --teacher-mirror --holdout 5000 --out my-pilot',
    'walloc train classifier --data fashion-mnist-color --codec rgb-16x-linear --out models/rgb-16x-linear-fashion --limit 30000',
    'walloc train classifier --data spoken-words --codec stereo-5x --out models/words-stereo-5x',
  ],
  async run({ values }, io) {
    const data = values.data;
    if (typeof data !== 'string') throw werr('WALLOC_ERR_MISSING_ARGUMENT', { what: '--data fashion-mnist|fashion-mnist-color|DIR', command: 'walloc train classifier' });
    const log = (line: string) => io.stderr.write((io.stderr.isTTY ? '\r\x1b[K' : '') + line + '\n');
    if (typeof values['grey-codec'] === 'string') {
      if (data !== 'fashion-mnist') throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: '--grey-codec is built from --data fashion-mnist' });
      const dir = values['grey-codec'];
      checkModelFolder(dir, { force: values.force === true });
      const m = buildGreyCodec(loadFashionMnist('train'), {
        ...GREY_CODEC_DEFAULTS, out: dir, name: dir.replace(/\/+$/, '').split('/').pop()!, log,
        levels: numberOption(values.levels, 'levels', 1, 3, true), latentDim: numberOption(values['latent-dim'], 'latent-dim', 1, 64, true),
      });
      log(`saved ${m.id} to ${dir}`);
      return 0;
    }
    if (typeof values.out !== 'string') throw werr('WALLOC_ERR_MISSING_ARGUMENT', { what: '--out DIR', command: 'walloc train classifier' });
    const arch = values.arch as string;
    if (!(CLASSIFIER_ARCHS as readonly string[]).includes(arch)) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--arch must be one of ${CLASSIFIER_ARCHS.join(', ')}, got "${arch}"` });
    const stages = typeof values.stages === 'string' ? values.stages.split(',').map((s) => {
      const m = /^(\d+):(\d+)$/.exec(s.trim());
      if (!m) throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--stages wants width:blocks,… (e.g. 32:0,32:1), got "${values.stages as string}"` });
      return { width: numberOption(m[1], 'stage width', 1, 1024, true), blocks: numberOption(m[2], 'stage blocks', 0, 16, true) };
    }) : undefined;
    const tty = Boolean(io.stderr.isTTY);
    const out = values.out;
    await trainClassifier({
      ...T,
      data, val: values.val as string | undefined, codec: values.codec as string | undefined, arch: arch as ClassifierArch, out,
      name: (values.name as string | undefined) ?? out.replace(/\/+$/, '').split('/').pop()!,
      description: values.description as string | undefined,
      epochs: numberOption(values.epochs, 'epochs', 1, 10_000, true),
      batch: numberOption(values.batch, 'batch', 1, 4096, true),
      lr: numberOption(values.lr, 'lr', 1e-7, 1),
      ...(stages ? { stages } : {}),
      head: values.head === 'flatten' ? 'flatten' : values.head === 'mean' ? 'mean' : (() => { throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--head must be mean or flatten, got "${String(values.head)}"` }); })(),
      limit: numberOption(values.limit, 'limit', 0, 1e9, true),
      valLimit: numberOption(values['val-limit'], 'val-limit', 0, 1e9, true),
      holdout: numberOption(values.holdout, 'holdout', 0, 1e9, true),
      photos: values.photos as string, valPhotos: values['val-photos'] as string,
      audio: values.audio as string, valAudio: values['val-audio'] as string,
      speakers: numberOption(values.speakers, 'speakers', 0, 1000, true),
      size: numberOption(values.size, 'size', 8, 4096, true),
      seed: numberOption(values.seed, 'seed', 0, 2 ** 31, true),
      resume: values.resume === true,
      force: values.force === true,
      augment: parseAugment(values.augment as string),
      dropout: numberOption(values.dropout, 'dropout', 0, 0.9),
      hidden: numberOption(values.hidden, 'hidden', 0, 4096, true),
      expand: numberOption(values.expand, 'expand', 0, 16),
      decompand: values.decompand === true,
      ...(typeof values.teacher === 'string' ? {
        distill: { teacher: values.teacher.split(','), weight: numberOption(values.distill, 'distill', 0, 1), temperature: numberOption(values.temperature, 'temperature', 0.05, 100), mirror: values['teacher-mirror'] === true, view: teacherView(values['teacher-view']) },
      } : {}),
      ...(typeof values.hint === 'string' ? { hint: { pairs: parseHints(values.hint), weight: numberOption(values['hint-weight'], 'hint-weight', 1e-6, 1000) } } : {}),
      backend: values.backend as string | undefined,
      log,
      progress: tty ? (line) => io.stderr.write('\r\x1b[K' + line) : plainEvery(30_000, (line) => io.stderr.write(line + '\n')),
    });
    return 0;
  },
};

/** `--teacher-view`: original or decoded. */
function teacherView(v: unknown): 'original' | 'decoded' {
  if (v === 'original' || v === 'decoded') return v;
  throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `--teacher-view must be original or decoded, got "${String(v)}"` });
}
