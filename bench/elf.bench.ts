import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { BenchModule } from './lib/modules';
import { fmt, Report } from './lib/report';
import { nowMs } from './lib/stats';

/**
 * ELF reading of the largest modules (issue: "say the peak memory for the largest
 * fixture"): our range reader vs binutils' readelf printing the same headers and notes.
 * Peak memory must not follow file size.
 */
export function benchElf(report: Report, modules: BenchModule[]): void {
  for (const mod of modules) {
    const size = statSync(mod.path).size;
    const out = execFileSync(process.execPath, ['--expose-gc', join(__dirname, 'elf-child.js'), mod.path], { encoding: 'utf8' });
    const r = JSON.parse(out) as { ms: number; peakGrowth: number; sections: number };
    const t0 = nowMs();
    execFileSync('readelf', ['-hlSnW', mod.path], { maxBuffer: 64 << 20 });
    const readelfMs = nowMs() - t0;
    report.add({
      section: 'elf',
      metric: `read headers+sections+notes of ${mod.name} (${fmt.mb(size)}, ${r.sections} sections)`,
      symbridge: `${fmt.ms(r.ms)}, peak RSS +${fmt.mb(r.peakGrowth)}`,
      baseline: `readelf -hlSnW ${fmt.ms(readelfMs)}`,
      ratio: fmt.x(readelfMs / r.ms),
      target: 'memory flat (not ~ file size)',
      verdict: r.peakGrowth < size / 10 ? 'PASS' : 'MISS',
    });
  }
}
