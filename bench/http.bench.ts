import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { SYMBOLICATE_QUEUE } from '../src/jobs/queue.constants';
import { load, LoadResult } from './lib/loader';
import { REPO } from './lib/modules';
import { fmt, Report, verdict } from './lib/report';
import { ServiceProcesses } from './lib/service';
import { upload } from '../test/support/service';
import { nowMs } from './lib/stats';

export interface HttpOptions {
  seconds: number;
  maxRequests: number;
  levels: number[];
  scale: boolean;
  http: boolean;
}

const CGO = join(REPO, 'test', 'fixtures', 'cgo-crash');
/** The crash's native frame, as llvm-symbolizer names it: a 200 without it is an error too. */
const EXPECTED = 'storage::RecordStore::checksum';

export async function workersReady(svc: ServiceProcesses, n: number): Promise<void> {
  const q = new Queue(SYMBOLICATE_QUEUE, { connection: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }, prefix: svc.prefix });
  try {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if ((await q.getWorkers()).length >= n) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${n} worker(s) did not register within 60 s`);
  } finally {
    await q.close();
  }
}

export async function benchHttp(report: Report, o: HttpOptions): Promise<void> {
  const paste = readFileSync(join(CGO, 'captured', 'exe.stderr.txt'), 'utf8') + readFileSync(join(CGO, 'captured', 'exe.maps.txt'), 'utf8');
  const svc = new ServiceProcesses();
  try {
    await svc.startApi();
    const uploaded = await upload(svc.url, [{ name: 'libcrashy.so', data: readFileSync(join(CGO, 'build', 'libcrashy.so')) }]);
    if (!uploaded.ok) throw new Error(`upload failed: ${uploaded.status} ${await uploaded.text()}`);
    svc.startWorker();
    await workersReady(svc, 1);
    const symbolicate = () =>
      fetch(`${svc.url}/v1/symbolicate?wait=30`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: paste });
    const check = (status: number, body: string) => (status !== 200 ? `HTTP ${status}: ${body.slice(0, 200)}` : body.includes(EXPECTED) ? undefined : 'native frame not resolved');
    const healthz = () => fetch(`${svc.url}/healthz`);
    const lines = paste.split('\n').length;
    process.stdout.write(`http: fixture crash exe.{stderr,maps}.txt (${lines} lines, ${fmt.n(paste.length)} bytes; 1 native frame, ${(paste.match(/^\t/gm) ?? []).length} Go frames)\n`);

    // Cold: a ready worker that never saw this module (module load + llvm-symbolizer start).
    const t0 = nowMs();
    const first = await symbolicate();
    const coldMs = nowMs() - t0;
    const firstErr = check(first.status, await first.text());
    report.add({
      section: '3 http',
      metric: 'first request, cold worker (1 client)',
      symbridge: fmt.ms(coldMs),
      baseline: '',
      note: firstErr ?? 'resolved',
    });

    let oneWorker32: LoadResult | undefined;
    if (o.http) {
      for (const c of o.levels) {
        const r = await load(c, o.seconds, o.maxRequests, symbolicate, check);
        const h = await load(c, Math.max(1, o.seconds / 3), o.maxRequests, healthz);
        if (c === 32) oneWorker32 = r;
        const target = c === 32 ? 'p99 < 25 ms, 0 errors' : '0 errors';
        const ok = r.errors === 0 && (c !== 32 || r.p99 < 25);
        report.add({
          section: '3 http',
          metric: `POST /v1/symbolicate?wait, warm, ${c} client${c > 1 ? 's' : ''}, 1 worker`,
          symbridge: `p50 ${fmt.ms(r.p50)}, p99 ${fmt.ms(r.p99)}, ${fmt.n(r.rps, 0)} req/s, ${r.requests} req, ${r.errors} errors`,
          baseline: `GET /healthz same clients: p50 ${fmt.ms(h.p50)}, p99 ${fmt.ms(h.p99)}, ${fmt.n(h.rps, 0)} req/s`,
          ratio: `p99 ${fmt.x(r.p99 / h.p99)}`,
          target,
          verdict: ok ? 'PASS' : 'MISS',
          note: r.firstError ? `first error: ${r.firstError}` : c === 32 && r.p99 >= 25 ? `over by ${fmt.ms(r.p99 - 25)} (${fmt.x(r.p99 / 25)} of target)` : undefined,
        });
      }
    }

    if (o.scale) {
      oneWorker32 ??= await load(32, o.seconds, o.maxRequests, symbolicate, check);
      svc.startWorker();
      await workersReady(svc, 2);
      await load(32, Math.min(3, o.seconds), o.maxRequests, symbolicate, check); // warm the second worker
      const two = await load(32, o.seconds, o.maxRequests, symbolicate, check);
      report.add({
        section: '4 scale-out',
        metric: '32 clients, 2 worker processes vs 1',
        symbridge: `2 workers: ${fmt.n(two.rps, 0)} req/s, p99 ${fmt.ms(two.p99)}, ${two.errors} errors`,
        baseline: `1 worker: ${fmt.n(oneWorker32.rps, 0)} req/s, p99 ${fmt.ms(oneWorker32.p99)}, ${oneWorker32.errors} errors`,
        ratio: fmt.x(two.rps / oneWorker32.rps),
        note: 'api, workers, Redis and the loader share the same 2 cores',
      });
    }
  } finally {
    await svc.stop();
  }
}

export { verdict };
