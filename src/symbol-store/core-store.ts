import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Compression, compressionOf, decompressor } from '../adapters/decompress.adapter';
import { SymbridgeError } from '../model/errors';

/** A core as stored for its job: `cores/<id>.core` under the storage root (shared by API and workers). */
export interface StoredCore {
  id: string;
  path: string;
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
 * Core files in flight: streamed to disk as they arrive (never held in memory),
 * decompressed on the way when they come as gzip, xz or zstd (told by magic), read
 * by range by the worker, and removed once their job is gone from Redis (sweep).
 */
export class CoreStore {
  constructor(private readonly root: string) {}

  private get dir(): string {
    return join(this.root, 'cores');
  }

  path(id: string): string {
    if (!ID.test(id)) throw new SymbridgeError('INPUT_INVALID', `not a core id: ${id.slice(0, 40)}`);
    return join(this.dir, `${id}.core`);
  }

  /** Stream `source` to a new core file; anything but an ELF file (plain or compressed) is refused with a 422. */
  async write(source: Readable, maxBytes: number): Promise<StoredCore> {
    await mkdir(this.dir, { recursive: true });
    const id = randomBytes(16).toString('hex');
    const path = this.path(id);
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
      await pipeline([...stages, createWriteStream(path, { flags: 'wx' })] as unknown as [NodeJS.ReadableStream, NodeJS.WritableStream]);
    } catch (err) {
      source.resume();
      await rm(path, { force: true });
      if (err instanceof SymbridgeError) throw err;
      const code = (err as { code?: string }).code;
      if (code === 'FST_REQ_FILE_TOO_LARGE') throw coreTooLarge(maxBytes);
      if (code === 'ENOSPC' || code === 'EROFS' || code === 'EACCES') throw err;
      throw new SymbridgeError('CORE_INVALID', `core_dump could not be read: ${(err as Error).message}`, { field: 'core_dump' });
    }
    return { id, path, size: outLimit.size, compression };
  }

  /** Name the job that owns the core, so the sweep can tell when the job's result expired. */
  async attach(id: string, jobId: string): Promise<void> {
    await writeFile(`${this.path(id)}.job`, jobId);
  }

  async remove(id: string): Promise<void> {
    await rm(this.path(id), { force: true });
    await rm(`${this.path(id)}.job`, { force: true });
  }

  /**
   * Delete the cores whose job no longer exists (its result expired, or it was removed),
   * and cores older than `orphanAfterMs` that never got a job (a request that failed after upload).
   */
  async sweep(jobExists: (jobId: string) => Promise<boolean>, orphanAfterMs: number): Promise<number> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    let removed = 0;
    for (const n of names) {
      const m = /^([0-9a-f]{32})\.core$/.exec(n);
      if (!m) continue;
      const job = await readFile(`${this.path(m[1])}.job`, 'utf8').catch(() => undefined);
      const st = await stat(this.path(m[1])).catch(() => undefined);
      if (!st) continue;
      const gone = job ? !(await jobExists(job.trim())) : Date.now() - st.mtimeMs > orphanAfterMs;
      if (gone) {
        await this.remove(m[1]);
        removed++;
      }
    }
    return removed;
  }
}
