import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInChild } from '../src/symcache/symcache-build';
import { addressesIn, BenchModule } from './lib/modules';
import { RawLlvmSymbolizer } from './lib/raw-tools';
import { fmt, Report, verdict } from './lib/report';

/**
 * Section symcache (issue 17): the build of a module's symcache (time, peak RSS, size vs
 * its DWARF), then a fresh worker process answering `n` distinct addresses from it vs a
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
      const t1 = Date.now();
      const child = JSON.parse(execFileSync(process.execPath, [join(__dirname, 'symcache-child.js'), out, addrFile, String(o.longRun)], { encoding: 'utf8', maxBuffer: 1 << 20 })) as {
        openMs: number;
        freshMs: number;
        answered: number;
        rssStart: number;
        rssAfter: number;
        warmPerSec: number;
        warmPerCpuSec: number;
      };
      const freshWall = Date.now() - t1; // includes node's start and the long run: the figure is freshMs, this is context
      const raw = new RawLlvmSymbolizer();
      const rawMs = await raw.run(mod.path, addrs);
      raw.close();
      const ratio = rawMs / child.freshMs;
      report.add({
        section: 'symcache fresh',
        metric: `${mod.name}, ${fmt.n(addrs.length)} distinct addrs in a fresh worker`,
        symbridge: `${fmt.ms(child.freshMs)} (open ${fmt.ms(child.openMs)})`,
        baseline: `fresh raw llvm-symbolizer ${fmt.ms(rawMs)}`,
        ratio: fmt.x(ratio),
        target: '>= 50x raw',
        verdict: verdict(ratio, 50),
        note: `${fmt.n(child.answered)} answered; child process wall ${fmt.ms(freshWall)} incl. node start and the long run`,
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
