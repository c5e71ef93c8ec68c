import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInChild } from '../src/symcache/symcache-build';
import { addressesIn, BenchModule } from './lib/modules';
import { RawLlvmSymbolizer } from './lib/raw-tools';
import { fmt, Report, verdict } from './lib/report';

interface ChildResult {
  openMs: number;
  freshMs: number;
  answered: number;
  rssStart: number;
  rssAfter: number;
  warmPerSec: number;
  warmPerCpuSec: number;
}

const FRESH_RUNS = 5;

/**
 * Section symcache (issue 17): the build of a module's symcache (time, peak RSS, size vs
 * its DWARF), then fresh worker processes (the median of FRESH_RUNS) answering `n` distinct addresses from it vs a
 * fresh raw llvm-symbolizer on the same addresses in the same run; the warm rate per core
 * and the worker's RSS after `longRun` lookups.
 */
export async function benchSymcache(report: Report, mods: BenchModule[], o: { n: number; longRun: number }): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'symbridge-bench-symcache-'));
  try {
    for (const mod of mods) {
      const out = join(tmp, 'module.symcache');
      process.stdout.write(`symcache: building ${mod.name}\n`);
      const t0 = Date.now();
      const stats = await buildInChild(mod.path, out, { maxMb: 2048, timeoutMs: 900_000 });
      const buildMs = Date.now() - t0;
      const size = statSync(out).size;
      report.add({ section: 'symcache build', metric: `${mod.name}: time`, symbridge: fmt.ms(buildMs), baseline: '-', target: '< 60 s', verdict: verdict(buildMs, 60_000, true) });
      report.add({ section: 'symcache build', metric: `${mod.name}: peak RSS`, symbridge: `${stats.peakRssMb} MB`, baseline: '-', target: '< 1 GB', verdict: verdict(stats.peakRssMb, 1024, true) });
      const share = size / stats.dwarfBytes;
      report.add({
        section: 'symcache build',
        metric: `${mod.name}: size`,
        symbridge: fmt.mb(size),
        baseline: `DWARF ${fmt.mb(stats.dwarfBytes)} inflated (${fmt.mb(stats.dwarfStoredBytes)} stored)`,
        ratio: `${(100 * share).toFixed(1)}%`,
        target: '< 25%',
        verdict: verdict(share, 0.25, true),
      });

      const addrs = addressesIn(mod, o.n);
      const addrFile = join(tmp, 'addrs.txt');
      writeFileSync(addrFile, addrs.map((a) => a.toString(16)).join('\n'));
      execFileSync('cat', [mod.path], { stdio: ['ignore', 'ignore', 'ignore'] }); // page cache warm for both
      // Several fresh workers, their median: one fresh process on a shared 2-core machine
      // varied by ±30% from run to run (page faults, the JIT's background compiles).
      const runs: ChildResult[] = [];
      for (let i = 0; i < FRESH_RUNS; i++) runs.push(JSON.parse(execFileSync(process.execPath, [join(__dirname, 'symcache-child.js'), out, addrFile, String(i === 0 ? o.longRun : 0)], { encoding: 'utf8', maxBuffer: 1 << 20 })) as ChildResult);
      const child = runs[0]; // the one that also did the long run
      const fresh = runs.map((r) => r.freshMs).sort((a, b) => a - b);
      const freshMs = fresh[fresh.length >> 1];
      const openMs = runs.map((r) => r.openMs).sort((a, b) => a - b)[runs.length >> 1];
      const raw = new RawLlvmSymbolizer();
      const rawMs = await raw.run(mod.path, addrs);
      raw.close();
      const ratio = rawMs / freshMs;
      report.add({
        section: 'symcache fresh',
        metric: `${mod.name}, ${fmt.n(addrs.length)} distinct addrs in a fresh worker`,
        symbridge: `${fmt.ms(freshMs)} (open ${fmt.ms(openMs)}), median of ${FRESH_RUNS}`,
        baseline: `fresh raw llvm-symbolizer ${fmt.ms(rawMs)}`,
        ratio: fmt.x(ratio),
        target: '>= 50x raw',
        verdict: verdict(ratio, 50),
        note: `${fmt.n(child.answered)} answered; fresh workers ${fresh.map((f) => fmt.ms(f)).join(', ')}`,
      });
      report.add({
        section: 'symcache warm',
        metric: `${mod.name}: lookups per second, one core`,
        symbridge: `${fmt.n(child.warmPerCpuSec)} per CPU-second`,
        baseline: '-',
        target: '>= 1,000,000/s',
        verdict: verdict(child.warmPerCpuSec, 1_000_000),
        note: `${fmt.n(child.warmPerSec)}/s of wall time on the shared machine`,
      });
      const growth = child.rssAfter - child.rssStart;
      report.add({
        section: 'symcache memory',
        metric: `${mod.name}: worker RSS after ${fmt.n(o.longRun)} lookups`,
        symbridge: `${fmt.mb(child.rssAfter)} (start ${fmt.mb(child.rssStart)})`,
        baseline: '-',
        ratio: `+${fmt.mb(growth)}`,
        target: '<= +100 MB',
        verdict: verdict(growth, 100 * 1048576, true),
      });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
