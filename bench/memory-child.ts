import { Demangler } from '../src/resolve/demangler';
import { FrameResolver } from '../src/resolve/frame-resolver';
import { LlvmSymbolizerPool } from '../src/resolve/llvm-symbolizer.pool';
import { LlvmSymbolizerResolver } from '../src/resolve/llvm-symbolizer.resolver';
import { BenchModule, addressesIn } from './lib/modules';
import { childrenOf, commOf, memOf } from './lib/proc';

/**
 * The worker's resolve stage (pool of SYMBOLIZER_PROCESSES=2, caches) in a fresh
 * process, with every module of argv[2] (JSON) loaded by resolving addresses in it;
 * prints this process's and its llvm-symbolizer children's peak RSS.
 */
async function main(): Promise<void> {
  const mods = JSON.parse(process.argv[2]) as (Omit<BenchModule, 'textStart' | 'textEnd'> & { textStart: string; textEnd: string })[];
  const perModule = Number(process.argv[3]);
  const pool = new LlvmSymbolizerPool({ binary: 'llvm-symbolizer', processes: 2, timeoutMs: 300_000 });
  const resolver = new FrameResolver(new LlvmSymbolizerResolver(pool), new Demangler());
  let resolved = 0;
  for (const m of mods) {
    const mod = { ...m, textStart: BigInt(m.textStart), textEnd: BigInt(m.textEnd) };
    const out = await Promise.all(addressesIn(mod, perModule).map((a) => resolver.resolve(mod.buildId, mod.path, a)));
    resolved += out.filter((s) => s).length;
  }
  const kids = childrenOf(process.pid)
    .filter((p) => commOf(p) === 'llvm-symbolizer')
    .map((p) => memOf(p)?.hwm ?? 0);
  process.stdout.write(JSON.stringify({ node: memOf(process.pid)!.hwm, children: kids, resolved, stats: pool.stats() }) + '\n');
  pool.close();
  resolver.close();
}

void main();
