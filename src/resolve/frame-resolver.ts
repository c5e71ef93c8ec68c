import { ResolvedSymbol } from '../model/resolved-frame';
import { Demangler } from './demangler';
import { LlvmSymbolizerResolver } from './llvm-symbolizer.resolver';
import { LruCache } from './lru-cache';
import { loadModuleSymbols, ModuleSymbols } from './module-symbols';
import { resolveWithoutDwarf } from './symtab.resolver';

/**
 * resolve stage entry: (build-id, lookup address) -> symbol. DWARF goes to the
 * llvm-symbolizer pool; files without DWARF are searched in-process (Go pclntab,
 * .symtab, .dynsym). Answers are cached per worker, so a crash seen again costs a
 * lookup, not a subprocess round trip; a miss (`null`) is cached too.
 */
export class FrameResolver {
  private readonly cache: LruCache<string, ResolvedSymbol | null>;
  private readonly modules = new LruCache<string, Promise<ModuleSymbols>>(64);

  constructor(
    private readonly llvm: LlvmSymbolizerResolver,
    private readonly demangler: Demangler,
    cacheEntries = 100_000,
  ) {
    this.cache = new LruCache(cacheEntries);
  }

  async resolve(buildId: string, objectPath: string, lookupAddress: bigint): Promise<ResolvedSymbol | undefined> {
    // The object is part of the key: a debug file uploaded later replaces a stripped one's answers.
    const key = `${buildId}:${objectPath}:${lookupAddress.toString(16)}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const mod = await this.module(buildId, objectPath);
    const symbol = mod.hasDwarf
      ? await this.llvm.resolve(objectPath, lookupAddress)
      : await resolveWithoutDwarf(mod, lookupAddress, this.demangler);
    this.cache.set(key, symbol ?? null);
    return symbol;
  }

  cacheStats(): { hits: number; misses: number; size: number } {
    return { hits: this.cache.hits, misses: this.cache.misses, size: this.cache.size };
  }

  close(): void {
    this.demangler.close();
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
