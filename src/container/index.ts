/**
 * The .wlc container: a header and CRC-checked records, readable from a pipe in any chunking.
 * The byte layout is specified in docs/format.md.
 */
export { crc32 } from './crc32.js';
export {
  WLC_MAGIC, WLC_VERSION, RecordType, HEADER_PREFIX_BYTES, RECORD_PREFIX_BYTES, CRC_BYTES,
  DEFAULT_MAX_HEADER_BYTES, MAX_HEADER_BYTES_CAP, DEFAULT_MAX_RECORD_BYTES, MAX_RECORD_BYTES_CAP,
  resolveLimits, validateHeader, latentModelOf, framesOf, encodeHeader, decodeHeader, encodeRecord,
  type RecordTypeName, type RecordTypeCode, type WlcHeader, type WlcLimits,
} from './format.js';
export {
  DTYPES, MAX_RANK, dtypeOf, encodeFramePayload, decodeFramePayload, encodeMetaPayload, decodeMetaPayload,
  type Dtype,
} from './payload.js';
export { WlcParser, recordsLost, type WlcCorruption, type WlcEvent, type WlcExpectModel, type WlcParserOptions } from './parser.js';
export { WlcReader, readWlc, readWlcSync, isWlcMeta, inStreamOrder, type WlcContents, type WlcMeta, type WlcReaderOptions } from './reader.js';
export { WlcWriter, writeWlc, type WlcWriterOptions } from './writer.js';
