import { LRUCache } from 'lru-cache';
import { ResolvedSymbol } from '../model/resolved-frame';
import { Demangler } from './demangler';
import { LlvmSymbolizerResolver } from './llvm-symbolizer.resolver';
import { loadModuleSymbols, ModuleSymbols } from './module-symbols';
import { SymbolCache } from './symbol-cache';
import { SymcacheResolver } from './symcache.resolver';
import { resolveWithoutDwarf } from './symtab.resolver';

export interface ResolveQuery {
  buildId: string;
  /** The stored file to read (the object is part of the key: a debug file uploaded later replaces a stripped one's answers). */
  objectPath: string;
  address: bigint;
}

/** One answer of a batch: a symbol, none (`symbol` undefined), or why the lookup failed. */
export interface ResolveAnswer {
  symbol?: ResolvedSymbol;
  error?: Error;
}

/**
 * resolve stage entry: (build-id, lookup address) -> symbol. With a symcache ready
 * for the build-id, in-process from it (symcache.resolver.ts); else, and where it says
 * it cannot answer, DWARF goes to the llvm-symbolizer pool and files without DWARF are
 * searched in-process (Go pclntab, .symtab, .dynsym): the same answers either way. Answers are cached per worker, so a crash seen again costs a
 * lookup, not a subprocess round trip; a miss (`null`) is cached too. A job hands
 * all its frames at once (resolveMany): cached ones are answered synchronously, and
 * only the rest wait on a module load or a symbolizer.
 */
export class FrameResolver {
  private readonly cache: SymbolCache<ResolvedSymbol | null>;
  private readonly modules = new LRUCache<string, Promise<ModuleSymbols>>({ max: 64 });

  constructor(
    private readonly llvm: LlvmSymbolizerResolver,
    private readonly demangler: Demangler,
    cacheEntries = 100_000,
    private readonly symcache?: SymcacheResolver,
  ) {
    this.cache = new SymbolCache(cacheEntries);
  }

  async resolve(buildId: string, objectPath: string, lookupAddress: bigint): Promise<ResolvedSymbol | undefined> {
    const cached = this.cache.get(buildId, objectPath, lookupAddress);
    if (cached !== undefined) return cached ?? undefined;
    return this.lookup(buildId, objectPath, lookupAddress);
  }

  /** Answers in query order; one failed lookup fails only its own answer. */
  resolveMany(queries: readonly ResolveQuery[]): Promise<ResolveAnswer[]> {
    const answers: ResolveAnswer[] = new Array(queries.length);
    let pending: Promise<void>[] | undefined;
    for (let i = 0; i < queries.length; i++) {
      const q = queries[i];
      const cached = this.cache.get(q.buildId, q.objectPath, q.address);
      if (cached !== undefined) {
        answers[i] = cached === null ? {} : { symbol: cached };
        continue;
      }
      (pending ??= []).push(
        this.lookup(q.buildId, q.objectPath, q.address).then(
          (symbol) => void (answers[i] = { symbol }),
          (error: Error) => void (answers[i] = { error }),
        ),
      );
    }
    return pending ? Promise.all(pending).then(() => answers) : Promise.resolve(answers);
  }

  cacheStats(): { hits: number; misses: number; size: number } {
    return { hits: this.cache.hits, misses: this.cache.misses, size: this.cache.size };
  }

  close(): void {
    this.demangler.close();
  }

  private async lookup(buildId: string, objectPath: string, address: bigint): Promise<ResolvedSymbol | undefined> {
    let symbol: ResolvedSymbol | undefined;
    const fromCache = await this.symcache?.answer(buildId, objectPath, address);
    if (fromCache && 'symbol' in fromCache) symbol = fromCache.symbol;
    else {
      const mod = await this.module(buildId, objectPath);
      symbol = mod.hasDwarf ? await this.llvm.resolve(objectPath, address) : await resolveWithoutDwarf(mod, address, this.demangler);
      if (symbol) symbol.resolvedBy = mod.hasDwarf ? 'llvm-symbolizer' : 'symbol-table';
    }
    this.cache.set(buildId, objectPath, address, symbol ?? null);
    return symbol;
  }

  private module(buildId: string, path: string): Promise<ModuleSymbols> {
    const key = `${buildId}:${path}`;
    let p = this.modules.get(key);
    if (!p) {
      p = loadModuleSymbols(path);
      p.catch(() => this.modules.delete(key)); // a failed load is retried next time
      this.modules.set(key, p);
    }
    return p;
  }
}
