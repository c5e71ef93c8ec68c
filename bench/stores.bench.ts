import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildProcess } from 'node:child_process';
import { S3Server } from '../test/support/s3-server';
import { workersReady } from './http.bench';
import { load, LoadResult } from './lib/loader';
import { REPO } from './lib/modules';
import { exited } from './lib/proc';
import { fmt, Report } from './lib/report';
import { ServiceProcesses } from './lib/service';
import { nowMs } from './lib/stats';
import { bigDebugFile, streamUpload } from './upload.bench';

/**
 * Section `stores`: jobs/s and p99 with 1, 2 and 4 worker processes on each store backend
 * (the storage root, and S3 on a real endpoint: s3rver on loopback), and the first resolve
 * of a module a worker has not cached yet vs one already in its cache.
 */
export interface StoresOptions {
  seconds: number;
  maxRequests: number;
  clients: number;
  workers: number[];
  /** Size of the padded module for the first-resolve rows (MiB). */
  moduleMb: number;
}

const CGO = join(REPO, 'test', 'fixtures', 'cgo-crash');
const EXPECTED = 'storage::RecordStore::checksum';
const paste = () => readFileSync(join(CGO, 'captured', 'exe.stderr.txt'), 'utf8') + readFileSync(join(CGO, 'captured', 'exe.maps.txt'), 'utf8');
const check = (status: number, body: string) => (status !== 200 ? `HTTP ${status}: ${body.slice(0, 200)}` : body.includes(EXPECTED) ? undefined : 'native frame not resolved');

async function stopWorker(svc: ServiceProcesses, w: ChildProcess): Promise<void> {
  w.kill('SIGTERM');
  await exited(w, 15_000).catch(() => w.kill('SIGKILL'));
  svc.workers.splice(svc.workers.indexOf(w), 1);
}

export async function benchStores(report: Report, o: StoresOptions): Promise<void> {
  const s3 = await S3Server.start('symbridge-bench');
  const text = paste();
  try {
    const results: Record<string, LoadResult[]> = {};
    for (const backend of ['fs', 's3'] as const) {
      const env = backend === 's3' ? s3.env(`bench-${process.pid}-${Date.now()}/`) : {};
      const svc = new ServiceProcesses();
      const cache = mkdtempSync(join(tmpdir(), 'symbridge-bench-cache-'));
      try {
        await svc.startApi(env);
        const up = await streamUpload(svc.url, join(CGO, 'build', 'libcrashy.so'));
        if (up.status !== 200) throw new Error(`upload failed: ${up.status} ${up.body}`);
        const send = () => fetch(`${svc.url}/v1/symbolicate?wait=30`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: text });
        results[backend] = [];
        for (const n of o.workers) {
          while (svc.workers.length < n) svc.startWorker({ ...env, CACHE_DIR: join(cache, `w${svc.workers.length}`) });
          await workersReady(svc, n);
          await load(o.clients, Math.min(2, o.seconds), o.maxRequests, send, check); // warm every worker's symbolizers and cache
          const r = await load(o.clients, o.seconds, o.maxRequests, send, check);
          results[backend].push(r);
          const one = results[backend][0];
          report.add({
            section: '8 stores',
            metric: `STORE_BACKEND=${backend}, ${n} worker process${n > 1 ? 'es' : ''}, ${o.clients} clients`,
            symbridge: `${fmt.n(r.rps, 0)} jobs/s, p50 ${fmt.ms(r.p50)}, p99 ${fmt.ms(r.p99)}, ${r.requests} req, ${r.errors} errors`,
            baseline: n === 1 ? '' : `1 worker: ${fmt.n(one.rps, 0)} jobs/s, p99 ${fmt.ms(one.p99)}`,
            ratio: n === 1 ? '' : fmt.x(r.rps / one.rps),
            note: r.firstError ? `first error: ${r.firstError}` : undefined,
          });
        }
      } finally {
        await svc.stop();
        rmSync(cache, { recursive: true, force: true });
      }
    }
    for (let i = 0; i < o.workers.length; i++) {
      const fs = results.fs[i];
      const s = results.s3[i];
      report.add({
        section: '8 stores',
        metric: `s3 vs fs, ${o.workers[i]} worker process${o.workers[i] > 1 ? 'es' : ''}`,
        symbridge: `s3 ${fmt.n(s.rps, 0)} jobs/s, p99 ${fmt.ms(s.p99)}`,
        baseline: `fs ${fmt.n(fs.rps, 0)} jobs/s, p99 ${fmt.ms(fs.p99)}`,
        ratio: fmt.x(s.rps / fs.rps),
      });
    }
    await firstResolve(report, s3, o.moduleMb, text);
  } finally {
    await s3.close();
  }
}

/**
 * The first job that needs a module, on a worker that just started: with the module not in
 * its cache (S3 download + build-id check), with it already in the cache (a restarted worker,
 * same CACHE_DIR), and on the storage root (no cache: the baseline). Each includes the
 * symbolizer's first load of the file, which all three pay.
 */
async function firstResolve(report: Report, s3: S3Server, mb: number, text: string): Promise<void> {
  const big = bigDebugFile(mb);
  const timeFirst = async (svc: ServiceProcesses, env: Record<string, string>): Promise<number> => {
    const w = svc.startWorker(env);
    await workersReady(svc, 1);
    const t0 = nowMs();
    const res = await fetch(`${svc.url}/v1/symbolicate?wait=60`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: text });
    const ms = nowMs() - t0;
    const bad = check(res.status, await res.text());
    if (bad) throw new Error(`first resolve failed: ${bad}`);
    await stopWorker(svc, w);
    return ms;
  };
  const figures: Record<string, number> = {};
  for (const backend of ['fs', 's3'] as const) {
    const env = backend === 's3' ? s3.env(`bench-first-${process.pid}-${Date.now()}/`) : {};
    const svc = new ServiceProcesses();
    const cache = mkdtempSync(join(tmpdir(), 'symbridge-bench-cache-'));
    try {
      await svc.startApi(env);
      const up = await streamUpload(svc.url, big);
      if (up.status !== 200) throw new Error(`upload failed: ${up.status} ${up.body}`);
      if (backend === 'fs') figures.fs = await timeFirst(svc, env);
      else {
        figures.cold = await timeFirst(svc, { ...env, CACHE_DIR: cache });
        figures.warm = await timeFirst(svc, { ...env, CACHE_DIR: cache });
      }
    } finally {
      await svc.stop();
      rmSync(cache, { recursive: true, force: true });
    }
  }
  const what = `first job needing a ${mb} MiB module, fresh worker`;
  report.add({
    section: '8 stores',
    metric: `${what}: s3, not in the worker's cache`,
    symbridge: fmt.ms(figures.cold),
    baseline: `in the cache: ${fmt.ms(figures.warm)}`,
    ratio: fmt.x(figures.cold / figures.warm),
    note: `download + build-id check: ${fmt.ms(figures.cold - figures.warm)} (${fmt.n((mb * 1000) / Math.max(1, figures.cold - figures.warm), 0)} MiB/s from s3rver on loopback)`,
  });
  report.add({
    section: '8 stores',
    metric: `${what}: s3, in the worker's cache`,
    symbridge: fmt.ms(figures.warm),
    baseline: `fs (no cache): ${fmt.ms(figures.fs)}`,
    ratio: fmt.x(figures.warm / figures.fs),
  });
}
