import { ResolvedSymbol } from '../model/resolved-frame';
import { LlvmSymbolizerResolver } from './llvm-symbolizer.resolver';
import { LruCache } from './lru-cache';

/**
 * resolve stage entry: (build-id, lookup address) -> symbol. Answers are cached per
 * worker, so a crash seen again costs a lookup, not a subprocess round trip; a miss
 * (`null`) is cached too.
 */
export class FrameResolver {
  private readonly cache: LruCache<string, ResolvedSymbol | null>;

  constructor(
    private readonly llvm: LlvmSymbolizerResolver,
    cacheEntries = 100_000,
  ) {
    this.cache = new LruCache(cacheEntries);
  }

  async resolve(buildId: string, objectPath: string, lookupAddress: bigint): Promise<ResolvedSymbol | undefined> {
    // The object is part of the key: a debug file uploaded later replaces a stripped one's answers.
    const key = `${buildId}:${objectPath}:${lookupAddress.toString(16)}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const symbol = await this.llvm.resolve(objectPath, lookupAddress);
    this.cache.set(key, symbol ?? null);
    return symbol;
  }

  cacheStats(): { hits: number; misses: number; size: number } {
    return { hits: this.cache.hits, misses: this.cache.misses, size: this.cache.size };
  }
}
