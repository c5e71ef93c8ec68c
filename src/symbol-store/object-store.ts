import { Readable } from 'node:stream';
import { RangeSource } from '../adapters/range-source.adapter';

/** What a stored object is: enough for Content-Length, Last-Modified and a cache's check. */
export interface ObjectStat {
  size: number;
  mtime: Date;
}

/**
 * Where the symbol store keeps its bytes: keys like `buildid/<id>/debuginfo`, made only
 * of validated parts (a build-id, a slot or artifact name, an encoded file name). Two
 * implementations: the storage root on a file system (fs-object.store.ts, today's
 * layout, shareable as a volume) and an S3 bucket (s3-object.store.ts).
 *
 * Every write is all-or-nothing: a reader sees the whole object or none (a temp file
 * linked into place; an S3 PUT or multipart upload completes or is aborted).
 */
export interface ObjectStore {
  /** Human-readable place, for messages ("storage root /x", "s3://bucket/prefix"). */
  readonly where: string;
  /** `fs` keeps files a symbolizer can open in place; `s3` objects go through a local cache. */
  readonly kind: 'fs' | 's3';

  stat(key: string): Promise<ObjectStat | undefined>;
  readText(key: string): Promise<string | undefined>;
  writeText(key: string, text: string): Promise<void>;
  /**
   * Store a complete local file under `key`. `ifAbsent`: leave an existing object alone
   * and answer false (atomic on fs via link(2); on S3 the caller holds the build-id lock).
   */
  putFile(key: string, localPath: string, opts?: { ifAbsent?: boolean }): Promise<boolean>;
  /** The object's bytes as a stream (debuginfod GET); undefined when there is none. */
  openRead(key: string): Promise<Readable | undefined>;
  /**
   * The object read by range (a core the worker unwinds: a few MB of a GB file): a
   * file handle on fs, ranged GETs on S3. undefined when there is none.
   */
  openRange(key: string): Promise<RangeSource | undefined>;
  /** Copy the object into a new local file; false when there is none. */
  download(key: string, toPath: string): Promise<boolean>;
  /** A path to open the object in place, when the store is a file system. */
  localPath(key: string): string | undefined;
  /** The names one level below `prefix` (objects and "folders"), unsorted; on fs an emptied folder may stay listed. */
  list(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
  /** Remove every object under `prefix`. */
  deletePrefix(prefix: string): Promise<void>;
  /** Throws (with the reason) when the store cannot be written now; for /readyz. */
  checkWritable(): Promise<void>;
  close(): Promise<void>;
}

/** Join key parts with `/`; each part was validated by the caller, re-checked here. */
export function objectKey(...parts: string[]): string {
  for (const p of parts) {
    if (p === '' || p === '.' || p === '..' || p.includes('/') || p.includes('\0')) {
      throw new Error(`invalid object key part ${JSON.stringify(p.slice(0, 80))}`);
    }
  }
  return parts.join('/');
}
