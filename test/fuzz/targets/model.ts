/**
 * Model files (src/models/model-file.ts parseModel, the bytes of model.json and weights.bin) and
 * building a codec from them (src/codec/codec.ts). Input layout: byte 0 flags, u32 LE JSON length,
 * model.json, weights.bin. With flag bit 0 set, weightsSha256 in the JSON is recomputed from the
 * (mutated) weights first, as an attacker or a careless tool would, so that the fuzzer gets past
 * the checksum into the tensor table.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Codec } from '../../../src/codec/codec.js';
import { parseModel } from '../../../src/models/model-file.js';
import { bundledModelsDir } from '../../../src/models/registry.js';
import type { FuzzTarget } from '../harness.js';

const dir = join(bundledModelsDir(), 'rgb-16x-linear');
const json = readFileSync(join(dir, 'model.json'));
const bin = readFileSync(join(dir, 'weights.bin'));

function pack(flags: number, j: Uint8Array, b: Uint8Array): Uint8Array {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32LE(j.length, 1);
  return new Uint8Array(Buffer.concat([head, j, b]));
}

const compact = Buffer.from(JSON.stringify(JSON.parse(json.toString('utf8'))));
const seeds = [pack(0, json, bin), pack(1, compact, bin), pack(1, compact, bin.subarray(0, 1024))];

export const modelTarget: FuzzTarget<Uint8Array> = {
  name: 'model',
  input: 'bytes',
  seedCorpus: seeds,
  timeLimitMs: 2000,
  dictionary: ['"shape":[', '"offset":', '-1', '"tensors":[]', '"decoder":{"type":"resnet","width":8,"blocks":1,"kernel":3}', 'null', '"levels":'].map((s) => Buffer.from(s)),
  run(bytes) {
    const flags = bytes[0] ?? 0;
    const n = bytes.length >= 5 ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32LE(1) : 0;
    let j: Uint8Array = bytes.subarray(5, 5 + n);
    const b = bytes.subarray(5 + n);
    if (flags & 1) {
      try {
        const cfg = JSON.parse(Buffer.from(j).toString('utf8')) as unknown;
        if (cfg !== null && typeof cfg === 'object' && !Array.isArray(cfg)) {
          (cfg as Record<string, unknown>).weightsSha256 = createHash('sha256').update(b).digest('hex');
          j = Buffer.from(JSON.stringify(cfg));
        }
      } catch { /* not JSON: parseModel reports it */ }
    }
    const model = parseModel(j, b, 'fuzz');
    Codec.fromModel(model);
  },
};
