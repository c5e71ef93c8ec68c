import { LRUCache } from 'lru-cache';
import { LineProcess } from '../adapters/line-process.adapter';
import { SymbridgeError } from '../model/errors';

/**
 * C++/Rust/Swift demangling for names we read from symbol tables ourselves, through
 * one long-lived llvm-cxxfilt (a line in, a line out). Names that are not mangled
 * skip the process; answers are cached.
 */
export class Demangler {
  private proc?: LineProcess;
  private readonly cache = new LRUCache<string, string>({ max: 50_000 });

  constructor(
    private readonly binary = 'llvm-cxxfilt',
    private readonly timeoutMs = 10_000,
  ) {}

  async demangle(name: string): Promise<string> {
    if (!/^(_Z|_R|\$s|_\$s)/.test(name) || /[\s"]/.test(name)) return name;
    const hit = this.cache.get(name);
    if (hit !== undefined) return hit;
    if (!this.proc?.alive) {
      this.proc = new LineProcess('llvm-cxxfilt', this.binary, [], this.timeoutMs, (m) => new SymbridgeError('SYMBOLIZER_FAILED', m));
    }
    const out = (await this.proc.query(name).catch(() => name)) || name;
    this.cache.set(name, out);
    return out;
  }

  close(): void {
    this.proc?.close();
  }
}
