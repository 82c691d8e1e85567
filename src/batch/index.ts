/**
 * Batch conversion of datasets (images, recordings or volumes): `runBatch` on one machine (all cores, resumable), dataset archives,
 * and BullMQ-on-Redis queues for many machines. See docs/batch.md.
 */
export { runBatch, type BatchOptions, type BatchSummary } from './batch.js';
export { TaskPool, defaultJobs, type PoolOptions } from './pool.js';
export { runTask, CodecCache, type TaskResult, type TaskSettings, type WorkItem } from './task.js';
export { encodeImageFile, decodeImageFile, sha256Hex, type EncodedFile, type SourceFields } from './encode-file.js';
export { encodeAudioFile, decodeAudioFile, type EncodedAudio } from './audio-file.js';
export { encodeVolumeFile, decodeVolumeFile, type EncodedVolume } from './volume-file.js';
export { DECODED_EXTENSIONS, modalityOfModel, modalityOfHeader, peekHeader, planDecodeOutputs, decodedEntryOutput, checkDecodedName } from './media.js';
export {
  walkTree, readList, planTasks, parseShard, shardOf, outputPath, parseExtensions, extensionOf, DEFAULT_EXTENSIONS, ENCODE_EXTENSIONS,
  type BatchMode, type BatchTask, type BatchPlan, type Shard, type Modality,
} from './plan.js';
export { writeFileAtomic, openAtomic, sweepStaleTemps, type AtomicFile } from '../io/atomic.js';
export { writeArchive, readArchive, isArchiveFile, archiveFormatOf, ARCHIVE_TAG, ARCHIVE_TAG_STREAMS, type ArchiveEntry, type ArchiveFormat } from './archive.js';
export { JsonLinesFile, ErrorsFile, type ManifestRecord } from './manifest.js';
export { Progress, fmtBytes, type ProgressCounts } from './progress.js';
export {
  enqueueBatch, runQueueWorker, listFailed, retryFailed, queueCounts, waitForQueue, parseQueueUrl, jobIdFor, DEFAULT_QUEUE,
  type BatchJobData, type EnqueueOptions, type WorkerOptions, type WorkerSummary, type FailedJob,
} from './queue.js';
