import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { LRUCache } from 'lru-cache';
import { SymbridgeError } from '../model/errors';
import { RangeSource } from '../adapters/range-source.adapter';
import { ObjectStat, ObjectStore } from './object-store';

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix inside the bucket ("" or ending in "/"), so one bucket can hold several stores. */
  prefix: string;
  /** An S3-compatible server (MinIO, Ceph RGW, ...); unset: AWS itself. */
  endpoint?: string;
  region: string;
  /** bucket in the path (http://host/bucket/key) rather than the host name; what most S3-compatible servers need. */
  forcePathStyle: boolean;
  /** Connect and idle-socket timeout per request. */
  timeoutMs: number;
  /** Multipart part size: memory per upload is about partSize x queueSize. */
  partSize: number;
  queueSize: number;
}

/** Sizes of a streamed upload: 8 MiB parts, 4 in flight, so an upload holds ~32 MiB whatever its size. */
export const S3_PART_SIZE = 8 * 1024 * 1024;
export const S3_QUEUE_SIZE = 4;

/**
 * The store as objects in an S3 bucket (STORE_BACKEND=s3), through the official AWS SDK
 * v3. Credentials come from the SDK's usual chain (AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_PROFILE, instance roles).
 *
 * Files are streamed from disk with lib-storage's multipart Upload: a 2 GiB debug file
 * never sits in memory, and an upload that fails is aborted, so S3 shows the whole
 * object or nothing. Every failure to reach the bucket is a STORAGE_UNAVAILABLE (503
 * for an upload; a worker's job is retried).
 */
export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3';
  readonly where: string;
  private readonly client: S3Client;
  /** Bytes fetched by ranged GETs (openRange), for tests and metrics: a core is read in part, not whole. */
  rangedBytes = 0;

  constructor(private readonly options: S3StoreOptions) {
    this.where = `S3 bucket s3://${options.bucket}/${options.prefix}${options.endpoint ? ` at ${options.endpoint}` : ''}`;
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      // S3-compatible servers vary in their support of the newer default checksums
      // (aws-chunked CRC32 trailers); send them only where an operation requires one.
      requestChecksumCalculation: options.endpoint ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
      responseChecksumValidation: options.endpoint ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
      requestHandler: { connectionTimeout: options.timeoutMs, requestTimeout: options.timeoutMs },
      maxAttempts: 3,
    });
  }

  async stat(key: string): Promise<ObjectStat | undefined> {
    return this.call(`HEAD ${key}`, async () => {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.key(key) }));
      return { size: r.ContentLength ?? 0, mtime: r.LastModified ?? new Date(0) };
    });
  }

  async readText(key: string): Promise<string | undefined> {
    return this.call(`GET ${key}`, async () => {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.key(key) }));
      return r.Body ? await r.Body.transformToString('utf8') : '';
    });
  }

  async writeText(key: string, text: string): Promise<void> {
    await this.call(`PUT ${key}`, () =>
      this.client.send(
        new PutObjectCommand({ Bucket: this.options.bucket, Key: this.key(key), Body: Buffer.from(text), ContentType: 'application/json' }),
      ),
    );
  }

  async putFile(key: string, localPath: string, opts: { ifAbsent?: boolean } = {}): Promise<boolean> {
    if (opts.ifAbsent && (await this.stat(key))) return false;
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.options.bucket, Key: this.key(key), Body: createReadStream(localPath), ContentType: 'application/octet-stream' },
      partSize: this.options.partSize,
      queueSize: this.options.queueSize,
      // A failed multipart upload is aborted: no parts linger, no object appears.
      leavePartsOnError: false,
    });
    await this.call(`upload of ${key}`, () => upload.done());
    return true;
  }

  async openRead(key: string): Promise<Readable | undefined> {
    return this.call(`GET ${key}`, async () => {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.key(key) }));
      return r.Body as Readable;
    });
  }

  async openRange(key: string): Promise<RangeSource | undefined> {
    const st = await this.stat(key);
    if (!st) return undefined;
    return new S3RangeSource(st.size, (start, end) =>
      this.call(`GET ${key} bytes ${start}-${end}`, async () => {
        const r = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.key(key), Range: `bytes=${start}-${end}` }));
        const body = r.Body ? Buffer.from(await r.Body.transformToByteArray()) : Buffer.alloc(0);
        this.rangedBytes += body.length;
        return body;
      }).then((b) => b ?? Buffer.alloc(0)),
    );
  }

  /** Stream the object into a new file; a short body (connection cut) fails and leaves no file. */
  async download(key: string, toPath: string): Promise<boolean> {
    const found = await this.call(`GET ${key}`, async () => {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.key(key) }));
      const expected = r.ContentLength;
      let got = 0;
      const count = new Transform({
        transform(chunk: Buffer, _enc, done) {
          got += chunk.length;
          done(null, chunk);
        },
      });
      try {
        await pipeline(r.Body as Readable, count, createWriteStream(toPath, { flags: 'wx' }));
        if (expected !== undefined && got !== expected) throw new Error(`got ${got} of ${expected} bytes`);
      } catch (err) {
        await rm(toPath, { force: true });
        throw err;
      }
      return true;
    });
    return found ?? false;
  }

  localPath(): undefined {
    return undefined;
  }

  async list(prefix: string): Promise<string[]> {
    const base = this.key(prefix) + '/';
    const out: string[] = [];
    let token: string | undefined;
    do {
      const r = await this.call(`LIST ${prefix}/`, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: base, Delimiter: '/', ContinuationToken: token })),
      );
      if (!r) break;
      for (const p of r.CommonPrefixes ?? []) if (p.Prefix) out.push(p.Prefix.slice(base.length, -1));
      for (const o of r.Contents ?? []) if (o.Key && o.Key !== base) out.push(o.Key.slice(base.length));
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async delete(key: string): Promise<void> {
    await this.call(`DELETE ${key}`, () => this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.key(key) })));
  }

  async deletePrefix(prefix: string): Promise<void> {
    const base = this.key(prefix) + '/';
    let token: string | undefined;
    do {
      const r = await this.call(`LIST ${prefix}/`, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: base, ContinuationToken: token })),
      );
      const keys = (r?.Contents ?? []).map((o) => ({ Key: o.Key! })).filter((o) => o.Key);
      if (keys.length > 0) {
        await this.call(`DELETE ${prefix}/*`, () =>
          this.client.send(new DeleteObjectsCommand({ Bucket: this.options.bucket, Delete: { Objects: keys, Quiet: true } })),
        );
      }
      token = r?.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }

  async checkWritable(): Promise<void> {
    await this.call('HEAD bucket', () => this.client.send(new HeadBucketCommand({ Bucket: this.options.bucket })), { missingIsError: true });
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private key(key: string): string {
    return this.options.prefix + key;
  }

  /** Run one S3 call: "not found" is undefined; anything else is the store being unavailable, in words. */
  private async call<T>(what: string, fn: () => Promise<T>, opts: { missingIsError?: boolean } = {}): Promise<T | undefined> {
    try {
      return await fn();
    } catch (err) {
      const status = (err as S3ServiceException).$metadata?.httpStatusCode;
      const name = (err as Error).name;
      if (!opts.missingIsError && name !== 'NoSuchBucket' && (status === 404 || name === 'NoSuchKey' || name === 'NotFound')) return undefined;
      const why = status ? `${name} (HTTP ${status})` : networkReason(err);
      throw new SymbridgeError('STORAGE_UNAVAILABLE', `the symbol store (${this.where}) failed on ${what}: ${why}; nothing was changed, retry later`, {}, { cause: err });
    }
  }
}

/** "ECONNREFUSED 127.0.0.1:9000" rather than the SDK's wrapper text. */
function networkReason(err: unknown): string {
  const e = err as Error & { cause?: Error };
  return (e.cause?.message ?? e.message).replace(/^(AWS SDK error wrapper for )?(Error: )?(connect )?/, '');
}

/** Bytes per ranged GET: one round trip brings 1 MiB, and at most 16 of them are kept (16 MiB per open object). */
const RANGE_BLOCK = 1024 * 1024;
const RANGE_BLOCKS_KEPT = 16;

/**
 * An S3 object as a RangeSource: reads become ranged GETs of whole 1 MiB blocks, kept in a
 * small LRU, so a reader's many small reads near each other cost few requests and memory
 * stays bounded whatever the object's size. A failed GET is not cached (the next read retries).
 */
export class S3RangeSource implements RangeSource {
  private readonly blocks = new LRUCache<number, Promise<Buffer>>({ max: RANGE_BLOCKS_KEPT });

  constructor(
    readonly size: number,
    private readonly get: (start: number, endInclusive: number) => Promise<Buffer>,
  ) {}

  async read(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(offset + Math.max(0, length), this.size);
    if (offset >= end) return Buffer.alloc(0);
    const parts: Buffer[] = [];
    for (let no = Math.floor(offset / RANGE_BLOCK); no * RANGE_BLOCK < end; no++) {
      const block = await this.block(no);
      const from = Math.max(offset - no * RANGE_BLOCK, 0);
      const to = Math.min(end - no * RANGE_BLOCK, block.length);
      if (to <= from) break;
      parts.push(block.subarray(from, to));
      if (block.length < RANGE_BLOCK && no * RANGE_BLOCK + block.length < end) break; // short: the object shrank
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  async close(): Promise<void> {}

  private block(no: number): Promise<Buffer> {
    let b = this.blocks.get(no);
    if (!b) {
      const start = no * RANGE_BLOCK;
      b = this.get(start, Math.min(start + RANGE_BLOCK, this.size) - 1);
      b.catch(() => this.blocks.delete(no));
      this.blocks.set(no, b);
    }
    return b;
  }
}
