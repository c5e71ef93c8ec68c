import { existsSync, statSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { llvmAnswers } from '../test/support/symcache-oracle';
import { buildAndCheck, debugFileByBuildId } from './oracle-check';

/**
 * `npm run oracle`: issue 17's oracle on the big real binaries (bench/setup.sh installs
 * them): libjvm.so's DWARF (openjdk-17-dbg), libstdc++'s debug build (libstdc++6-12-dbg),
 * Go's cmd/compile built with DWARF (bench/.work/go-compile). For each: the symcache build
 * (time, peak RSS, size vs DWARF), then llvm-symbolizer vs the symcache on sampled
 * addresses (half a spread, half at boundaries). Other files: scripts/oracle-extra.ts. Exits 1 on any difference. Args: addresses per file (default 40000).
 */
async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 40_000);
  const files: Array<[string, string | undefined]> = [
    ['libjvm.so (openjdk-17-dbg)', debugFileByBuildId('/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so')],
    ['libstdc++.so.6 (libstdc++6-12-dbg debug build)', existsSync('/usr/lib/x86_64-linux-gnu/debug/libstdc++.so.6.0.30') ? '/usr/lib/x86_64-linux-gnu/debug/libstdc++.so.6.0.30' : undefined],
    ['Go cmd/compile (DWARF)', existsSync(join(__dirname, '..', 'bench', '.work', 'go-compile')) ? join(__dirname, '..', 'bench', '.work', 'go-compile') : undefined],
  ];
  const tmp = mkdtempSync(join(tmpdir(), 'symbridge-oracle-'));
  let total = 0;
  let bad = 0;
  try {
    for (const [name, path] of files) {
      if (process.env.ORACLE_ONLY && !name.includes(process.env.ORACLE_ONLY)) continue;
      if (!path) {
        process.stdout.write(`${name}: skipped (not installed; run bash bench/setup.sh)\n`);
        continue;
      }
      const { stats, buildMs, cache, addresses, result: r, differences } = await buildAndCheck(path, join(tmp, 'x.symcache'), n);
      // Warm lookups in-process vs a fresh raw llvm-symbolizer on the same 20,000 addresses.
      const few = addresses.slice(0, 20_000);
      const tl = Date.now();
      await llvmAnswers(path, few);
      const llvmMs = Date.now() - tl;
      const tc = process.hrtime.bigint();
      for (let k = 0; k < 5; k++) for (const a of addresses) cache.lookup(a);
      const perSec = (5 * addresses.length) / (Number(process.hrtime.bigint() - tc) / 1e9);
      total += r.checked;
      bad += differences;
      process.stdout.write(
        `${name}: build ${(buildMs / 1000).toFixed(1)} s, peak ${stats.peakRssMb} MB, symcache ${(stats.symcacheBytes / 1e6).toFixed(1)} MB = ${((100 * stats.symcacheBytes) / stats.dwarfBytes).toFixed(1)}% of ${(stats.dwarfBytes / 1e6).toFixed(0)} MB DWARF (file ${(statSync(path).size / 1e6).toFixed(0)} MB)\n` +
          `  oracle: ${r.checked} checked, ${r.same} same, ${r.inlined} with inline chains, ${r.fallback} to the fallback; differences: ${JSON.stringify([...r.differences])}\n` +
          `  ${few.length} addresses: fresh llvm-symbolizer ${llvmMs} ms; warm symcache ${(perSec / 1e6).toFixed(2)} M lookups/s\n`,
      );
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  process.stdout.write(`total checked: ${total}, differences: ${bad}\n`);
  process.exit(bad > 0 ? 1 : 0);
}
void main();
