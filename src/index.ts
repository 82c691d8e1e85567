/**
 * walloc's public API. Every codec stage is a Transform stream (object mode, one frame at a time)
 * and a plain function; `Codec` wires a bundled or trained model's stages; the container, filter
 * graphs, metrics and I/O helpers are the same code the command-line tools use.
 *
 * @example
 * import { createWriteStream } from 'node:fs';
 * import { pipeline } from 'node:stream/promises';
 * import { Codec, WlcWriter, readImage } from 'walloc';
 * const codec = Codec.load('rgb-16x');
 * const frame = await readImage('photo.png');
 * await pipeline([frame], codec.encoder(), new WlcWriter({ header: codec.header({ frames: 1 }) }), createWriteStream('photo.wlc'));
 */
export * from './errors.js';
export * from './frame.js';
export { frameTransform, FRAME_HIGH_WATER_MARK } from './streams.js';
export { Codec, type CodecOptions } from './codec/codec.js';
export * from './container/index.js';
export { loadModel, saveModel, type Model, type ModelConfig } from './models/model-file.js';
export { listBundledModels } from './models/registry.js';
export { getTf, availableBackends, BACKENDS, type BackendName } from './models/backend.js';
export { wpt, iwpt, wptForward, wptInverse, type WptOptions } from '../transforms/wpt.js';
export { analysis, Analysis, analysisFrame, project, linearSynthesis, LinearSynthesis } from '../transforms/analysis.js';
export { quantize, dequantize, quantizeFrame, dequantizeFrame, roundHalfEven } from '../transforms/quantize.js';
export { pack, unpack, packFrame, unpackFrame, packLatents, unpackLatents, type PackOptions, type PackInfo } from '../transforms/pack.js';
export { synthesis, Synthesizer } from '../transforms/synthesis.js';
export { readImage, writeImage, imageToRgbBytes, imageFromRgbBytes } from './io/image.js';
export { Y4mParser, Y4mWriter, readY4m, writeY4m } from './io/y4m.js';
export { ffmpegFrames, ffmpegSink } from './io/video.js';
export * as metrics from './metrics/index.js';
export { evalImages } from './eval/image-eval.js';
export { parseGraph, printGraph, applyDefaultLabels, resolveLinks, makeFilter } from '../filters/grammar.js';
export { FilterGraph, runGraph, type RunOptions, type BuildOptions, type InputBinding, type OutputBinding, type FilterBinding } from '../filters/graph.js';
export { defaultRegistry, FilterRegistry, BUILTIN_FILTERS } from '../filters/registry.js';
export { defineFilter, type FilterDefinition, type AnyFilterDefinition, type FilterContext, type FilterIo, type OpenedSource, type OpenedSink, type OptionSpec, type PadKind } from '../filters/definition.js';
// Compressed-domain classification: classifiers read latents (or VQ tokens) without decoding.
export { Classifier, predictionOf, type Prediction } from './classify/classifier.js';
export { loadClassifier, listBundledClassifiers, classifierForHeader, type ClassifierModel, type ClassifierConfig } from './classify/model.js';
// Audio: the streaming codec (chunks in, records out, seamless), WAV and raw PCM.
export { AudioStreamEncoder, AudioStreamDecoder, planAudioStream, planFromHeader, AUDIO_STREAM_KEY, type AudioStreamPlan } from './codec/audio-stream.js';
export { readWav, wavHeader, openAudioSink, type WavInfo, type WavSource, type AudioSink, type AudioSinkOptions } from './io/wav.js';
export { decodePcm, encodePcm, pcmChunks, SAMPLE_FORMATS, type SampleFormat, type PcmLayout } from './io/pcm.js';
export { ffmpegAudio, type AudioSource } from './io/audio-source.js';
export { parseDicom, parseDicomSeries, readDicomSeries, isDicom } from './io/dicom.js';
export { readArchive, writeArchive, type ArchiveEntry } from './batch/archive.js';
export { vq, unvq, vqpack, vqunpack, vqHeader, VectorQuantizer, packTokensFrame, unpackTokensFrame, vqEncodeFrame, vqDecodeFrame } from '../transforms/vq.js';
export { lowrank, LowRankStageDecoder } from '../transforms/lowrank.js';
export { VqCodec } from './vq/vq-codec.js';
export { loadVqModel, type VqModel, type VqModelConfig, type LowRankConfig } from './vq/model.js';
export { nearestCodes, lookupCodes } from './vq/codebook.js';
export { packTokens, unpackTokens, tokenBits, type TokenPackInfo } from './vq/token-pack.js';
export { TokenClassifier, loadTokenClassifier } from './vq/token-classifier.js';
export { parseNifti, encodeNifti, niftiAffine } from './io/nifti.js';
export { parseRawVolume, volumeWindow, volumeToFrame, frameToIntensities, type Volume, type VoxelType, type NiftiInfo } from './io/volume.js';
export { readPngStack, writePngStack, splitPngStream, pngSlices, listSliceFiles } from './io/png-stack.js';
export { encodeVolumeFrame, decodeVolumeFrame, encodeSlabs, assembleVolume, volumeHeader } from './codec/volume-codec.js';
export { evalVolumes, volumePsnr, volumeSsim } from './eval/volume-eval.js';
export { VolumeDecoder, conv3dSame } from './nn/decoder3d.js';
