import { readFileSync } from 'node:fs';
import { CANNOT_ANSWER, Symcache } from '../src/symcache/symcache';
import { memOf } from './lib/proc';
import { nowMs } from './lib/stats';

/**
 * A fresh worker's symcache work, in its own process: argv[2] the symcache file, argv[3]
 * a file of hex addresses (one a line, the first N distinct), argv[4] how many lookups in
 * the long run. Prints JSON: time from open to N answers (the fresh figure), RSS before
 * and after the long run, and the warm rate over a second pass of it.
 */
async function main(): Promise<void> {
  const [file, addrFile, longRun] = process.argv.slice(2);
  const addrs = readFileSync(addrFile, 'utf8').trim().split('\n').map((h) => BigInt(`0x${h}`));
  const t0 = nowMs();
  const cache = await Symcache.load(file); // as the worker opens it
  const openMs = nowMs() - t0;
  let answered = 0;
  for (const a of addrs) {
    const s = cache.lookup(a);
    if (s && s !== CANNOT_ANSWER) answered++;
  }
  const freshMs = nowMs() - t0;
  const rssStart = memOf(process.pid)!.rss;
  const n = Number(longRun);
  const base = cache.span.base;
  const rel = new Uint32Array(addrs.map((a) => Number(a - base)));
  let sink = 0;
  for (let i = 0; i < n; i++) {
    const s = cache.lookupOffset(rel[i % rel.length]);
    if (s && s !== CANNOT_ANSWER) sink++;
  }
  const rssAfter = memOf(process.pid)!.rss;
  const t1 = nowMs();
  const c1 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const s = cache.lookupOffset(rel[i % rel.length]);
    if (s && s !== CANNOT_ANSWER) sink++;
  }
  const warmMs = nowMs() - t1;
  // CPU time of this process (a loaded machine shares its cores: wall time overstates a core's cost).
  const cpu = process.cpuUsage(c1);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  process.stdout.write(JSON.stringify({ openMs, freshMs, answered, rssStart, rssAfter, warmPerSec: (n / warmMs) * 1000, warmPerCpuSec: (n / cpuMs) * 1000, sink }) + '\n');
}

void main();
