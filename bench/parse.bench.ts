import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fmt, Report, verdict } from './lib/report';

interface ParseRun {
  bytes: number;
  lines: number;
  goroutines: number;
  parseMs: number;
  floorMs: number;
  peakGrowth: number;
  hwm: number;
}

/** Parse 1, 2, 4, 8, 10 MB pastes, each in its own process; time and peak memory must grow linearly. */
export function benchParse(report: Report, sizesMb: number[]): void {
  const runs: ParseRun[] = [];
  for (const mb of sizesMb) {
    const out = execFileSync(process.execPath, ['--expose-gc', join(__dirname, 'parse-child.js'), String(Math.round(mb * 1048576))], { encoding: 'utf8' });
    const r = JSON.parse(out) as ParseRun;
    runs.push(r);
    report.add({
      section: '5 parse',
      metric: `${mb} MB paste (${fmt.n(r.lines)} lines, ${fmt.n(r.goroutines)} goroutines)`,
      symbridge: `${fmt.ms(r.parseMs)} (${fmt.n(r.bytes / 1048576 / (r.parseMs / 1000), 1)} MB/s), peak RSS +${fmt.mb(r.peakGrowth)} (${fmt.n(r.peakGrowth / r.bytes, 1)} B/B)`,
      baseline: `split lines + 1 regex/line ${fmt.ms(r.floorMs)}`,
      ratio: fmt.x(r.parseMs / r.floorMs),
    });
  }
  // Growth: time and memory per doubling should stay near 2x (linear), not 4x.
  const by = (mb: number) => runs[sizesMb.indexOf(mb)];
  const first = runs[0];
  const last = runs[runs.length - 1];
  const size = last.bytes / first.bytes;
  const t = last.parseMs / first.parseMs;
  const m = last.peakGrowth / first.peakGrowth;
  const steps = sizesMb
    .slice(1)
    .map((mb, i) => `${sizesMb[i]}->${mb} MB: time ${fmt.x(by(mb).parseMs / by(sizesMb[i]).parseMs)}, mem ${fmt.x(by(mb).peakGrowth / by(sizesMb[i]).peakGrowth)}`)
    .join('; ');
  const linear = t / size;
  report.add({
    section: '5 parse',
    metric: `growth ${sizesMb[0]} -> ${sizesMb[sizesMb.length - 1]} MB (size x${size.toFixed(1)})`,
    symbridge: `time x${t.toFixed(2)}, peak memory x${m.toFixed(2)}`,
    baseline: `size x${size.toFixed(1)}`,
    ratio: `time/size ${linear.toFixed(2)}, mem/size ${(m / size).toFixed(2)}`,
    target: 'linear (time/size <= 1.5)',
    verdict: verdict(linear, 1.5, true),
    note: steps,
  });
}
