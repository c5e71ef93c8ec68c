import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { Symcache } from '../src/symcache/symcache';
import { buildInChild, ChildBuildStats } from '../src/symcache/symcache-build';
import { boundaryAddresses, oracle, OracleResult, sampleAddresses } from '../test/support/symcache-oracle';

/** What `npm run oracle` (oracle.ts) and oracle-extra.ts do per file; they differ only in which files and what they print. */

/** A library's separate debug file by its GNU build-id, if it is installed under /usr/lib/debug. */
export function debugFileByBuildId(so: string): string | undefined {
  if (!existsSync(so)) return undefined;
  const id = /Build ID: ([0-9a-f]+)/.exec(execFileSync('readelf', ['-nW', so], { encoding: 'utf8' }))?.[1];
  const p = id && `/usr/lib/debug/.build-id/${id.slice(0, 2)}/${id.slice(2)}.debug`;
  return p && existsSync(p) ? p : undefined;
}

export interface FileCheck {
  stats: ChildBuildStats;
  buildMs: number;
  cache: Symcache;
  /** Sorted, without repeats. */
  addresses: bigint[];
  spread: number;
  edges: number;
  result: OracleResult;
  differences: number;
}

/** Build `path`'s symcache into `out`, then llvm-symbolizer vs the symcache on `n` addresses: half spread, half where answers change. */
export async function buildAndCheck(path: string, out: string, n: number): Promise<FileCheck> {
  const t0 = Date.now();
  const stats = await buildInChild(path, out, { maxMb: 2048, timeoutMs: 900_000 });
  const buildMs = Date.now() - t0;
  const cache = Symcache.open(readFileSync(out));
  const spread = await sampleAddresses(path, Math.ceil(n / 2));
  const edges = await boundaryAddresses(path, n - spread.length);
  const addresses = [...new Set([...spread, ...edges])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const result = await oracle(path, cache, addresses);
  const differences = [...result.differences.values()].reduce((x, d) => x + d.count, 0);
  return { stats, buildMs, cache, addresses, spread: spread.length, edges: edges.length, result, differences };
}
