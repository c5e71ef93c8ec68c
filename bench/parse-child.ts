import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseInput } from '../src/parse/parse-input';
import { REPO } from './lib/modules';
import { memOf } from './lib/proc';
import { nowMs } from './lib/stats';

/**
 * One parse measurement in a fresh process (so VmHWM is this size's peak alone):
 * a paste of `bytes` built from the fixture's real goroutine sections, renumbered,
 * then its real maps. Prints JSON: parse ms, the line-split floor ms, peak RSS growth.
 */
const bytes = Number(process.argv[2]);
const CGO = join(REPO, 'test', 'fixtures', 'cgo-crash', 'captured');
const stderr = readFileSync(join(CGO, 'exe.stderr.txt'), 'utf8');
const maps = readFileSync(join(CGO, 'exe.maps.txt'), 'utf8');
const head = stderr.slice(0, stderr.indexOf('goroutine 1 ['));
const sections = stderr
  .slice(stderr.indexOf('goroutine 1 ['))
  .split(/\n(?=goroutine \d+ \[)/)
  .map((s) => s.replace(/\n*$/, '\n\n'));
const parts: string[] = [head];
let size = head.length + maps.length;
for (let i = 0; size < bytes; i++) {
  const s = sections[i % sections.length].replace(/^goroutine \d+/, `goroutine ${i + 1}`);
  parts.push(s);
  size += s.length;
}
parts.push(maps);
const paste = parts.join('');
const lines = paste.split('\n').length;
global.gc?.();
const before = memOf(process.pid)!;

// The floor any line parser pays: split into lines and test one regex per line.
const f0 = nowMs();
let hits = 0;
for (const l of paste.split('\n')) if (/^\s+\S+:\d+/.test(l)) hits++;
const floorMs = nowMs() - f0;
global.gc?.();

const t0 = nowMs();
const { report } = parseInput({ paste });
const parseMs = nowMs() - t0;
const after = memOf(process.pid)!;
process.stdout.write(
  JSON.stringify({ bytes: paste.length, lines, goroutines: report.goroutines.length, parseMs, floorMs, hits, peakGrowth: after.hwm - before.rss, hwm: after.hwm }) + '\n',
);
