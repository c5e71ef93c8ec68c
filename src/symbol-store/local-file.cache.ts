import { randomBytes } from 'node:crypto';
import { Stats } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { LRUCache } from 'lru-cache';
import { SymbridgeError } from '../model/errors';

/** How to get one object into the cache, and how to tell that a local copy is the right one. */
export interface CacheSource {
  /** Write the object to `toPath` (a new file); false when the store has none. */
  download(toPath: string): Promise<boolean>;
  /** undefined when the file is what it must be; else why not (wrong build-id, size). */
  verify(path: string): Promise<string | undefined>;
}

interface Entry {
  path: string;
  size: number;
  /** inode, size and mtime when last verified; a file changed on disk since is checked again. */
  stamp?: string;
}

export interface CacheStats {
  entries: number;
  bytes: number;
  maxBytes: number;
  hits: number;
  fetches: number;
  dropped: number;
}

/**
 * A worker's local copies of store objects it had to fetch (STORE_BACKEND=s3): llvm-symbolizer
 * and the ELF reader need a file to open. Bounded by total size (CACHE_MAX_BYTES) with an
 * LRU (lru-cache, sized by bytes; the least recently used files are deleted first).
 *
 * - Concurrent jobs that need the same object share one download.
 * - A download is verified (build-id and size, by the caller's `verify`) before it is
 *   renamed into place; a copy that fails is never used.
 * - A cached file whose inode, size or mtime changed since it was verified (a restart, a
 *   hand edit, a damaged disk) is verified again; one that fails is dropped and fetched again.
 *
 * Known limit: an entry evicted while a symbolizer has not yet opened it makes that one
 * lookup fail; CACHE_MAX_BYTES should hold a working set of several jobs' modules.
 */
export class LocalFileCache {
  private readonly lru: LRUCache<string, Entry>;
  private readonly inflight = new Map<string, Promise<string | undefined>>();
  private hits = 0;
  private fetches = 0;
  private dropped = 0;

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
    private readonly warn: (msg: string) => void = () => undefined,
  ) {
    this.lru = new LRUCache<string, Entry>({
      maxSize: maxBytes,
      sizeCalculation: (e) => Math.max(1, e.size),
      // Replacing an entry never happens in place (delete first), so every dispose frees a file.
      dispose: (e) => void rm(e.path, { force: true }),
    });
  }

  /** Take over the files a previous run left (unverified until first used); clear unfinished downloads. */
  async init(): Promise<void> {
    await rm(join(this.dir, '.tmp'), { recursive: true, force: true });
    await mkdir(join(this.dir, '.tmp'), { recursive: true });
    const found: { key: string; path: string; st: Stats }[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
        const p = join(d, e.name);
        if (e.isDirectory() && e.name !== '.tmp') await walk(p);
        else if (e.isFile()) {
          const st = await stat(p).catch(() => undefined);
          if (st) found.push({ key: relative(this.dir, p).split(sep).join('/'), path: p, st });
        }
      }
    };
    await walk(this.dir);
    // Oldest first, so the most recently used end up most recent in the LRU.
    found.sort((a, b) => a.st.atimeMs - b.st.atimeMs);
    for (const f of found) this.lru.set(f.key, { path: f.path, size: f.st.size });
  }

  /** A local path of the object `key` (fetched at most once at a time), or undefined when the store has none. */
  async get(key: string, source: CacheSource): Promise<string | undefined> {
    const entry = this.lru.get(key);
    if (entry) {
      const st = await stat(entry.path).catch(() => undefined);
      if (st && entry.stamp === stampOf(st)) {
        this.hits++;
        return entry.path;
      }
      const why = st ? await source.verify(entry.path).catch((err: Error) => err.message) : 'file gone';
      if (!why && st) {
        entry.stamp = stampOf(st);
        this.hits++;
        return entry.path;
      }
      this.warn(`cached ${key} dropped (${why}); fetching it again`);
      this.dropped++;
      this.lru.delete(key);
    }
    let p = this.inflight.get(key);
    if (!p) {
      p = this.fetch(key, source).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  /** Forget a key (its build-id was deleted from the store). */
  delete(key: string): void {
    this.lru.delete(key);
  }

  stats(): CacheStats {
    return { entries: this.lru.size, bytes: this.lru.calculatedSize, maxBytes: this.maxBytes, hits: this.hits, fetches: this.fetches, dropped: this.dropped };
  }

  private async fetch(key: string, source: CacheSource): Promise<string | undefined> {
    const tmp = join(this.dir, '.tmp', `${Date.now()}-${randomBytes(6).toString('hex')}`);
    await mkdir(dirname(tmp), { recursive: true });
    try {
      if (!(await source.download(tmp))) return undefined;
      this.fetches++;
      const why = await source.verify(tmp).catch((err: Error) => err.message);
      if (why) {
        throw new SymbridgeError('STORAGE_UNAVAILABLE', `the store's copy of ${key} failed verification after download (${why}); it was not used`);
      }
      const st = await stat(tmp);
      if (st.size > this.maxBytes) {
        throw new SymbridgeError(
          'STORAGE_UNAVAILABLE',
          `${key} is ${st.size} bytes, more than the whole local cache (CACHE_MAX_BYTES=${this.maxBytes}); raise CACHE_MAX_BYTES`,
        );
      }
      const path = join(this.dir, ...key.split('/'));
      await mkdir(dirname(path), { recursive: true });
      await rename(tmp, path);
      this.lru.set(key, { path, size: st.size, stamp: stampOf(await stat(path)) });
      return path;
    } finally {
      await rm(tmp, { force: true });
    }
  }
}

function stampOf(st: Stats): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}`;
}
