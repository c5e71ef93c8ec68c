import { stat } from 'node:fs/promises';
import { LRUCache } from 'lru-cache';
import { ResolvedSymbol } from '../model/resolved-frame';
import { SymbolStore } from '../symbol-store/symbol-store.service';
import { SymcacheFormatError, VERSION } from '../symcache/symcache-format';
import { CANNOT_ANSWER, Symcache } from '../symcache/symcache';
import { readSymcacheStatus, SYMCACHE_ARTIFACT } from '../symcache/symcache-status';

/** Why an address went to llvm-symbolizer instead (the `reason` label of symbridge_symcache_fallback_total). */
export type FallbackReason = 'not-built' | 'building' | 'failed' | 'stale' | 'unreadable' | 'cannot-answer';

export type SymcacheAnswer = { symbol: ResolvedSymbol | undefined } | { fallback: FallbackReason };

export interface SymcacheResolverOptions {
  /** Asks for a build (SymcacheJobs.request): a stored file met without a symcache, or with a stale one. */
  request: (buildId: string, why: string) => Promise<void>;
  onFallback?: (reason: FallbackReason) => void;
  /** How long "not ready" is believed before the status is read again. */
  recheckMs?: number;
  /** Open symcaches kept (each is its file's bytes; libjvm's is 31 MB). */
  maxOpen?: number;
}

type NotReady = { fallback: FallbackReason; until: number };
type Loaded = { cache: Symcache } | NotReady;

/** "Not ready" answers kept (small objects; they must not push open symcaches out). */
const NOT_READY_KEPT = 4096;

/**
 * The worker's in-process symcache lookups: per (build-id, file to symbolize) the
 * store's status note is read; a ready symcache built from a file of this size is
 * opened once (from the store, through the worker's cache on S3) and answers by binary
 * search. Anything else (none yet: a build is asked for; building; failed; built from
 * another file; damaged) is a fallback with its reason, and llvm-symbolizer answers.
 * A ready symcache stays open; a not-ready answer is re-read after `recheckMs`.
 */
export class SymcacheResolver {
  /** Ready symcaches only: a job over many modules without one must not evict them. */
  private readonly open: LRUCache<string, Symcache>;
  private readonly notReady = new LRUCache<string, NotReady>({ max: NOT_READY_KEPT });
  /** Reads under way, so concurrent lookups of one module read its status and file once. */
  private readonly reading = new Map<string, Promise<Loaded>>();
  private readonly recheckMs: number;

  constructor(
    private readonly store: SymbolStore,
    private readonly opts: SymcacheResolverOptions,
  ) {
    this.open = new LRUCache({ max: opts.maxOpen ?? 16 });
    this.recheckMs = opts.recheckMs ?? 2000;
  }

  async answer(buildId: string, objectPath: string, address: bigint): Promise<SymcacheAnswer> {
    const loaded = await this.load(buildId, objectPath);
    if ('fallback' in loaded) return this.fallback(loaded.fallback);
    let r: ReturnType<Symcache['lookup']>;
    try {
      r = loaded.cache.lookup(address);
    } catch (err) {
      if (!(err instanceof SymcacheFormatError)) throw err;
      // Indices are checked as they are read: a damaged file is dropped and built again.
      const key = `${buildId}\0${objectPath}`;
      this.open.delete(key);
      this.notReady.set(key, { fallback: 'unreadable', until: Date.now() + this.recheckMs });
      await this.opts.request(buildId, 'damaged');
      return this.fallback('unreadable');
    }
    if (r === CANNOT_ANSWER) return this.fallback('cannot-answer');
    return { symbol: r ? { ...r, resolvedBy: 'symcache' } : undefined };
  }

  private fallback(reason: FallbackReason): SymcacheAnswer {
    this.opts.onFallback?.(reason);
    return { fallback: reason };
  }

  private async load(buildId: string, objectPath: string): Promise<Loaded> {
    const key = `${buildId}\0${objectPath}`;
    const cache = this.open.get(key);
    if (cache) return { cache };
    const notReady = this.notReady.get(key);
    if (notReady && Date.now() < notReady.until) return notReady;
    const under = this.reading.get(key);
    if (under) return under;
    const next = this.read(buildId, objectPath)
      .catch((): Loaded => ({ fallback: 'unreadable', until: Date.now() + this.recheckMs }))
      .then((l) => {
        this.reading.delete(key);
        if ('fallback' in l) this.notReady.set(key, l);
        else {
          this.notReady.delete(key);
          this.open.set(key, l.cache);
        }
        return l;
      });
    this.reading.set(key, next);
    return next;
  }

  private async read(buildId: string, objectPath: string): Promise<Loaded> {
    const until = Date.now() + this.recheckMs;
    const status = await readSymcacheStatus(this.store, buildId);
    const size = (await stat(objectPath)).size;
    if (!status || status.version !== VERSION) {
      await this.opts.request(buildId, status ? 'version' : 'first-need');
      return { fallback: status ? 'building' : 'not-built', until };
    }
    if (status.state === 'building') return { fallback: 'building', until };
    if (status.source && status.source.size !== size) {
      // Built from another file (a debug file uploaded since, or before this one replaced it).
      await this.opts.request(buildId, 'stale'); // one job per build-id: many workers asking ask once
      return { fallback: 'stale', until };
    }
    if (status.state === 'failed') return { fallback: 'failed', until: Date.now() + 30 * this.recheckMs };
    const file = await this.store.artifactFile(buildId, SYMCACHE_ARTIFACT);
    if (!file) return { fallback: 'unreadable', until };
    try {
      return { cache: await Symcache.load(file) };
    } catch (err) {
      if (err instanceof SymcacheFormatError) await this.opts.request(buildId, 'damaged');
      return { fallback: 'unreadable', until };
    }
  }
}
