import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants } from 'node:zlib';
import { UnifiedStack } from '../model/unified-stack';
import { ObjectStore, objectKey } from '../symbol-store/object-store';
import { SymbolicateJobV1 } from './queue.constants';

const compress = promisify(brotliCompress);
const decompress = promisify(brotliDecompress);

/**
 * What Redis keeps of a job's result: the UnifiedStack as brotli-compressed JSON (base64, so
 * it stays a JSON value in the job hash), inline when small, else in the ObjectStore under
 * `results/<job id>` with only this pointer in Redis. Before: the plain JSON, ~12x the
 * request (45k frames: 17.6 MB per job for an hour).
 */
export interface PackedResult {
  packed: 1;
  enc: 'br';
  /** Bytes of the JSON before compression. */
  json_bytes: number;
  /** base64 of the compressed JSON, when inline. */
  data?: string;
  /** The store key holding the base64, when not inline. */
  key?: string;
}

/** Job text fields compressed the same way once the request is large (they sit in Redis until the job expires). */
const TEXT_FIELDS = ['traceback', 'maps', 'paste', 'crash_dump'] as const;
type TextFields = Pick<SymbolicateJobV1, (typeof TEXT_FIELDS)[number]>;
export const INPUT_PACK_MIN_BYTES = 16 * 1024;

// Quality 5: ~10x on stack JSON at tens of MB/s; 11 (the default) is ~20x slower for a few % more.
const BROTLI = { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT } };

/** Job ids become store key parts only when they are plainly safe; others stay inline. */
const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;

export function isPackedResult(v: unknown): v is PackedResult {
  return typeof v === 'object' && v !== null && (v as PackedResult).packed === 1;
}

export class ResultBlobs {
  constructor(
    private readonly store: ObjectStore,
    /** Compressed results above this many bytes go to the store (RESULT_INLINE_MAX_BYTES). */
    private readonly inlineMaxBytes: number,
  ) {}

  static key(jobId: string): string {
    return objectKey('results', jobId);
  }

  async pack(jobId: string, stack: UnifiedStack): Promise<PackedResult> {
    const json = Buffer.from(JSON.stringify(stack));
    const data = (await compress(json, { ...BROTLI, params: { ...BROTLI.params, [constants.BROTLI_PARAM_SIZE_HINT]: json.length } })).toString('base64');
    if (data.length <= this.inlineMaxBytes || !SAFE_ID.test(jobId)) return { packed: 1, enc: 'br', json_bytes: json.length, data };
    const key = ResultBlobs.key(jobId);
    await this.store.writeText(key, data);
    return { packed: 1, enc: 'br', json_bytes: json.length, key };
  }

  /** The UnifiedStack back; a plain one (a job finished before packing existed) passes through. */
  async unpack(value: unknown): Promise<UnifiedStack | undefined> {
    if (value === undefined || value === null) return undefined;
    if (!isPackedResult(value)) return value as UnifiedStack;
    const data = value.data ?? (value.key ? await this.store.readText(value.key) : undefined);
    if (data === undefined) return undefined; // swept with its job
    return JSON.parse((await decompress(Buffer.from(data, 'base64'))).toString('utf8')) as UnifiedStack;
  }

  /** Delete the results whose job Redis no longer holds (expired or trimmed by count). */
  async sweep(jobExists: (jobId: string) => Promise<boolean>): Promise<number> {
    let removed = 0;
    for (const id of await this.store.list('results')) {
      if (!SAFE_ID.test(id)) continue;
      if (await jobExists(id)) continue;
      await this.store.delete(ResultBlobs.key(id));
      removed += 1;
    }
    return removed;
  }
}

/** A large request's text fields, compressed into `packed` (base64 brotli of their JSON). */
export async function packJobInput(data: SymbolicateJobV1): Promise<SymbolicateJobV1> {
  const fields: TextFields = {};
  let bytes = 0;
  for (const f of TEXT_FIELDS) {
    if (data[f] !== undefined) {
      fields[f] = data[f];
      bytes += data[f]!.length;
    }
  }
  if (bytes < INPUT_PACK_MIN_BYTES) return data;
  const rest: SymbolicateJobV1 = { ...data };
  for (const f of TEXT_FIELDS) delete rest[f];
  rest.packed = (await compress(Buffer.from(JSON.stringify(fields)), BROTLI)).toString('base64');
  return rest;
}

export async function unpackJobInput(data: SymbolicateJobV1): Promise<SymbolicateJobV1> {
  if (data.packed === undefined) return data;
  const fields = JSON.parse((await decompress(Buffer.from(data.packed, 'base64'))).toString('utf8')) as TextFields;
  const { packed: _packed, ...rest } = data;
  return { ...rest, ...fields };
}
