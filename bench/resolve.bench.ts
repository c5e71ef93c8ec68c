import { execFileSync } from 'node:child_process';
import { Demangler } from '../src/resolve/demangler';
import { FrameResolver } from '../src/resolve/frame-resolver';
import { LlvmSymbolizerPool } from '../src/resolve/llvm-symbolizer.pool';
import { LlvmSymbolizerResolver, toResolvedSymbol } from '../src/resolve/llvm-symbolizer.resolver';
import { LlvmSymbolizerAnswer } from '../src/resolve/llvm-symbolizer.process';
import { ResolvedSymbol } from '../src/model/resolved-frame';
import { addressesIn, BenchModule, goBinary, libjvm } from './lib/modules';
import { addr2line, RawLlvmSymbolizer } from './lib/raw-tools';
import { fmt, Report, verdict } from './lib/report';
import { nowMs } from './lib/stats';

export interface ResolveOptions {
  n: number;
  /** Queries in flight at once: WORKER_CONCURRENCY (4) jobs x 64 frames. */
  window: number;
  addr2lineLimitMs: number;
}

/** symbridge's resolve stage as the worker builds it (pool of 2, LRU cache). */
function resolveStage(): { resolver: FrameResolver; pool: LlvmSymbolizerPool } {
  const pool = new LlvmSymbolizerPool({ binary: 'llvm-symbolizer', processes: 2, timeoutMs: 120_000 });
  pool.start(); // long-lived, as in a worker: the raw baseline's process is started before its clock too
  return { resolver: new FrameResolver(new LlvmSymbolizerResolver(pool), new Demangler()), pool };
}

/**
 * As the pipeline calls it: one resolveMany per job (64 frames), WORKER_CONCURRENCY-like
 * lanes of jobs so `window` queries are in flight at once.
 */
async function resolveAll(r: FrameResolver, mod: BenchModule, addrs: bigint[], window: number): Promise<{ ms: number; out: (ResolvedSymbol | undefined)[] }> {
  const JOB = 64;
  const out: (ResolvedSymbol | undefined)[] = new Array(addrs.length);
  let next = 0;
  const t0 = nowMs();
  const lane = async () => {
    while (next < addrs.length) {
      const start = next;
      next = Math.min(addrs.length, next + JOB);
      const batch = addrs.slice(start, next).map((address) => ({ buildId: mod.buildId, objectPath: mod.path, address }));
      const answers = await r.resolveMany(batch);
      answers.forEach((a, i) => {
        if (a.error) throw a.error;
        out[start + i] = a.symbol;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(Math.ceil(window / JOB), Math.ceil(addrs.length / JOB))) }, lane));
  return { ms: nowMs() - t0, out };
}

export async function benchResolve(report: Report, mods: BenchModule[], o: ResolveOptions): Promise<void> {
  for (const mod of mods) {
    const addrs = addressesIn(mod, o.n);
    const label = `${mod.name}, ${fmt.n(addrs.length)} addrs`;
    execFileSync('cat', [mod.path], { stdio: ['ignore', 'ignore', 'ignore'] }); // page cache warm for everyone
    process.stdout.write(`resolve: ${label} (${fmt.mb(mod.bytes)})\n`);

    const sb = resolveStage();
    const cold = await resolveAll(sb.resolver, mod, addrs, o.window);
    const warm = await resolveAll(sb.resolver, mod, addrs, o.window);
    sb.resolver.close();
    sb.pool.close();

    const raw = new RawLlvmSymbolizer();
    raw.keep = true;
    const rawCold = await raw.run(mod.path, addrs);
    const answers = raw.answers.splice(0);
    raw.keep = false;
    const rawWarm = await raw.run(mod.path, addrs);
    raw.close();

    // A fast wrong answer is no win: symbridge must say what llvm-symbolizer says.
    let same = 0;
    answers.forEach((line, i) => {
      const want = toResolvedSymbol(JSON.parse(line) as LlvmSymbolizerAnswer);
      const got = cold.out[i];
      if ((want?.function ?? null) === (got?.function ?? null) && (want?.line ?? null) === (got?.line ?? null)) same++;
    });

    const a2l = await addr2line(mod.path, addrs, o.addr2lineLimitMs);
    const qps = (ms: number) => `${fmt.n((addrs.length / ms) * 1000)}/s`;
    const coldRatio = rawCold / cold.ms;
    report.add({
      section: '1 resolve cold',
      metric: label,
      symbridge: `${fmt.ms(cold.ms)} (${qps(cold.ms)})`,
      baseline: `raw llvm-symbolizer ${fmt.ms(rawCold)} (${qps(rawCold)})`,
      ratio: fmt.x(coldRatio),
      target: '>= 0.9x raw',
      verdict: verdict(coldRatio, 0.9),
      note: `answers equal to raw: ${same}/${answers.length}`,
    });
    report.add({
      section: '1 resolve cold',
      metric: `${label}: addr2line -f -i -C`,
      symbridge: `${fmt.ms(cold.ms)}`,
      baseline: a2l === undefined ? `addr2line > ${fmt.ms(o.addr2lineLimitMs)} (stopped)` : `addr2line ${fmt.ms(a2l)} (${qps(a2l)})`,
      ratio: a2l === undefined ? `> ${fmt.x(o.addr2lineLimitMs / cold.ms)}` : fmt.x(a2l / cold.ms),
      note: 'ratio = addr2line time / symbridge time',
    });
    const warmRatio = rawWarm / warm.ms;
    report.add({
      section: '2 resolve warm',
      metric: `${label}, same addresses again`,
      symbridge: `${fmt.ms(warm.ms)} (${qps(warm.ms)})`,
      baseline: `raw llvm-symbolizer (warm process) ${fmt.ms(rawWarm)} (${qps(rawWarm)})`,
      ratio: fmt.x(warmRatio),
      target: '>= 50x raw',
      verdict: verdict(warmRatio, 50),
    });
  }
}

export function resolveModules(): BenchModule[] {
  return [libjvm(), goBinary()].filter((m): m is BenchModule => !!m);
}
