import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Compression, compressionOf, decompressor } from '../adapters/decompress.adapter';
import { RangeSource } from '../adapters/range-source.adapter';
import { SymbridgeError } from '../model/errors';
import { objectKey, ObjectStore } from './object-store';

/**
 * A core as stored for its job: the object `cores/<id>.core` in the symbol store's
 * ObjectStore (a file under the storage root, or an S3 object that workers on other
 * machines read by range), with `cores/<id>.job` naming its job once queued.
 */
export interface StoredCore {
  id: string;
  /** Bytes of the core itself (after decompression). */
  size: number;
  /** How it arrived. */
  compression: Compression;
}

const ID = /^[0-9a-f]{32}$/;
const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** Fails the stream past `max` bytes, so neither the upload nor its decompression can grow without bound. */
class Limit extends Transform {
  size = 0;
  constructor(
    private readonly max: number,
    private readonly what: string,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.max) done(coreTooLarge(this.max, this.what));
    else done(null, chunk);
  }
}

export function coreTooLarge(max: number, what = 'core_dump'): SymbridgeError {
  return new SymbridgeError('INPUT_TOO_LARGE', `${what} is larger than the limit of ${max} bytes (MAX_CORE_BYTES)`, { field: 'core_dump' });
}

/**
 * Core files in flight. An upload is streamed to a local spool file as it arrives
 * (never held in memory), decompressed on the way when it comes as gzip, xz or zstd
 * (told by magic), checked there, then stored through the ObjectStore (fs: linked into
 * the storage root; s3: a streamed multipart upload, whole or absent). Workers read it
 * by range from the store (ranged GETs on S3, nothing downloaded whole), and the sweep
 * deletes it once its job is gone from Redis, on either backend.
 */
export class CoreStore {
  constructor(
    private readonly objects: ObjectStore,
    /** Local scratch for uploads in flight (the store's own temp folder on fs, so placing a core is a link). */
    private readonly spoolDir: string,
  ) {}

  private key(id: string, suffix: 'core' | 'job'): string {
    if (!ID.test(id)) throw new SymbridgeError('INPUT_INVALID', `not a core id: ${id.slice(0, 40)}`);
    return objectKey('cores', `${id}.${suffix}`);
  }

  /**
   * Stream `source` to a new core; anything but an ELF file (plain or compressed) is refused
   * with a 422. `check` reads the spooled core before it is stored (not a core, another
   * architecture: refused without ever reaching the store).
   */
  async write(source: Readable, maxBytes: number, check: (localPath: string) => Promise<void> = async () => undefined): Promise<StoredCore> {
    await mkdir(this.spoolDir, { recursive: true });
    const id = randomBytes(16).toString('hex');
    const path = join(this.spoolDir, `core-${id}`);
    const it = source[Symbol.asyncIterator]();
    let head = Buffer.alloc(0);
    let done = false;
    while (head.length < 6 && !done) {
      const r = await it.next();
      if (r.done) done = true;
      else head = Buffer.concat([head, r.value as Buffer]);
    }
    const compression = head.subarray(0, 4).equals(ELF) ? 'none' : compressionOf(head);
    if (!compression) {
      source.resume();
      throw new SymbridgeError(
        'CORE_INVALID',
        `core_dump is not an ELF core file, nor gzip, xz or zstd (it starts with ${head.subarray(0, 8).toString('hex') || 'nothing'})`,
        { field: 'core_dump' },
      );
    }
    const rest = async function* () {
      yield head;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value as Buffer;
      }
    };
    const outLimit = new Limit(maxBytes, 'core_dump (decompressed)');
    const stages = [Readable.from(rest()), new Limit(maxBytes, 'core_dump'), ...(compression === 'none' ? [] : [decompressor(compression)]), outLimit];
    try {
      try {
        await pipeline([...stages, createWriteStream(path, { flags: 'wx' })] as unknown as [NodeJS.ReadableStream, NodeJS.WritableStream]);
      } catch (err) {
        source.resume();
        if (err instanceof SymbridgeError) throw err;
        const code = (err as { code?: string }).code;
        if (code === 'FST_REQ_FILE_TOO_LARGE') throw coreTooLarge(maxBytes);
        if (code === 'ENOSPC' || code === 'EROFS' || code === 'EACCES') throw err;
        throw new SymbridgeError('CORE_INVALID', `core_dump could not be read: ${(err as Error).message}`, { field: 'core_dump' });
      }
      await check(path);
      // A failed store (S3 away: STORAGE_UNAVAILABLE, a 503) leaves no object behind.
      await this.objects.putFile(this.key(id, 'core'), path);
    } finally {
      await rm(path, { force: true });
    }
    return { id, size: outLimit.size, compression };
  }

  /** The stored core by range, for the worker; a core that is gone (swept, never stored) is a clear failure. */
  async open(id: string): Promise<RangeSource> {
    const src = await this.objects.openRange(this.key(id, 'core'));
    if (!src) throw new SymbridgeError('NOT_FOUND', `the core of this job (${id}) is no longer in the store (${this.objects.where}); send it again`);
    return src;
  }

  /** Name the job that owns the core, so the sweep can tell when the job's result expired. */
  async attach(id: string, jobId: string): Promise<void> {
    await this.objects.writeText(this.key(id, 'job'), jobId);
  }

  /** The job marker first: interrupted in between, what is left is a core without a job, which the sweep removes as an orphan. */
  async remove(id: string): Promise<void> {
    await this.objects.delete(this.key(id, 'job'));
    await this.objects.delete(this.key(id, 'core'));
  }

  /** Ids of the cores in the store (for the sweep and for tests). */
  async ids(): Promise<string[]> {
    const names = await this.objects.list('cores');
    return names.map((n) => /^([0-9a-f]{32})\.core$/.exec(n)?.[1]).filter((x): x is string => !!x);
  }

  /** The job a core belongs to, once attached. */
  async jobOf(id: string): Promise<string | undefined> {
    return (await this.objects.readText(this.key(id, 'job')))?.trim() || undefined;
  }

  /**
   * Delete the cores whose job no longer exists (its result expired, or it was removed),
   * and cores older than `orphanAfterMs` that never got a job (a request that failed after upload).
   */
  async sweep(jobExists: (jobId: string) => Promise<boolean>, orphanAfterMs: number): Promise<number> {
    let removed = 0;
    for (const id of await this.ids()) {
      const job = await this.jobOf(id);
      const st = await this.objects.stat(this.key(id, 'core'));
      if (!st) continue;
      const gone = job ? !(await jobExists(job)) : Date.now() - st.mtime.getTime() > orphanAfterMs;
      if (gone) {
        await this.remove(id);
        removed++;
      }
    }
    return removed;
  }
}
