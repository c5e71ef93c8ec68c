/**
 * Soak: a steady mixed load on loopback against the real service as separate processes
 * (ROLE=api + ROLE=worker, `node dist/main.js`) and a private redis-server (AOF, fsync
 * always), for N minutes. Reports errors, RSS and open fds of api and worker, and Redis
 * used_memory + keys over time; completed jobs expire after JOB_RETENTION_SECONDS (60 here),
 * so Redis memory must level off.
 *
 *   npm run soak -- [MINUTES=10] [SYMBOLICATE_PER_S=4] [UPLOADS_PER_S=0.5]
 *
 * Bounded: stops after MINUTES (+ 30 s for the requests in flight) and after at most
 * MINUTES*60*(rates) requests. Exit 1 when any request failed.
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captured, LIBCRASHY, storeCase } from '../test/support/fixtures';
import { fuzzSeeds } from '../test/support/http-fuzz';
import { RedisServer, ServiceProcess, startHttpProcess, startWorkerProcess, uniquePrefix } from '../test/support/processes';

const minutes = Number(process.argv[2] ?? 10);
const symbolicateRate = Number(process.argv[3] ?? 4);
const uploadRate = Number(process.argv[4] ?? 0.5);
const SAMPLE_MS = 30_000;

interface Sample {
  t: number;
  requests: number;
  errors: number;
  apiRssMb: number;
  workerRssMb: number;
  apiFds: number;
  workerFds: number;
  symbolizers: number;
  redisUsedMb: number;
  redisKeys: number;
  p50: number;
  p99: number;
}

function rssMb(pid: number): number {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/^VmRSS:\s+(\d+)/m.exec(s)?.[1] ?? 0) / 1024);
}
const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
function childCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/task`)
      .map((t) => readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim())
      .filter(Boolean)
      .join(' ')
      .split(/\s+/)
      .filter(Boolean).length;
  } catch {
    return 0;
  }
}
function redisInfo(port: number): { usedMb: number; keys: number } {
  const info = execFileSync('redis-cli', ['-p', String(port), 'info', 'memory'], { encoding: 'utf8' });
  const keys = Number(execFileSync('redis-cli', ['-p', String(port), 'dbsize'], { encoding: 'utf8' }).trim());
  return { usedMb: Math.round((Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0) / 1048576) * 10) / 10, keys };
}
const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] : 0);

async function main(): Promise<void> {
  const redis = await RedisServer.start();
  const storageRoot = mkdtempSync(join(tmpdir(), 'symbridge-soak-store-'));
  const env = { redisUrl: redis.url, prefix: uniquePrefix('soak'), storageRoot, extra: { JOB_RETENTION_SECONDS: '60', LOG_LEVEL: 'warn' } };
  const procs: ServiceProcess[] = [];
  try {
    const api = await startHttpProcess('api', env);
    procs.push(api);
    const worker = await startWorkerProcess({ ...env, extra: { ...env.extra, LOG_LEVEL: 'info' } });
    procs.push(worker);
    const url = api.url!;
    const pie = JSON.stringify({ traceback: captured('pie', 'stderr'), maps: captured('pie', 'maps') });
    const pastes = fuzzSeeds();
    const files = [
      { name: 'libcrashy.so', data: readFileSync(LIBCRASHY) },
      { name: 'hello.debug', data: readFileSync(storeCase('hello.debug')) },
      { name: 'hello.stripped', data: readFileSync(storeCase('hello.stripped')) },
    ];
    const errors: string[] = [];
    const latencies: number[] = [];
    let requests = 0;
    let inflight = 0;
    const byKind: Record<string, number> = {};

    const send = async (kind: string, fn: () => Promise<Response>, ok: (s: number) => boolean) => {
      inflight++;
      requests++;
      const t0 = Date.now();
      try {
        const res = await fn();
        const text = await res.text();
        if (!ok(res.status)) errors.push(`${kind}: ${res.status} ${text.slice(0, 200)}`);
        else byKind[`${kind} ${res.status}`] = (byKind[`${kind} ${res.status}`] ?? 0) + 1;
      } catch (err) {
        errors.push(`${kind}: ${(err as Error).message}`);
      } finally {
        latencies.push(Date.now() - t0);
        inflight--;
      }
    };
    const symbolicate = (i: number) =>
      i % 3 === 2
        ? send('paste', () => fetch(`${url}/v1/symbolicate?wait=10`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: pastes[i % pastes.length] }), (s) => s === 200 || s === 422)
        : send('cgo', () => fetch(`${url}/v1/symbolicate?wait=10`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: pie }), (s) => s === 200);
    const uploadOne = (i: number) =>
      send('upload', () => {
        const f = files[i % files.length];
        const form = new FormData();
        form.append('files', new Blob([f.data]), f.name);
        return fetch(`${url}/v1/symbols`, { method: 'POST', body: form });
      }, (s) => s === 200);

    const samples: Sample[] = [];
    const started = Date.now();
    const sample = () => {
      const r = redisInfo(redis.port);
      const recent = latencies.splice(0);
      const s: Sample = {
        t: Math.round((Date.now() - started) / 1000),
        requests,
        errors: errors.length,
        apiRssMb: rssMb(api.child.pid!),
        workerRssMb: rssMb(worker.child.pid!),
        apiFds: fds(api.child.pid!),
        workerFds: fds(worker.child.pid!),
        symbolizers: childCount(worker.child.pid!),
        redisUsedMb: r.usedMb,
        redisKeys: r.keys,
        p50: pct(recent, 50),
        p99: pct(recent, 99),
      };
      samples.push(s);
      console.log(JSON.stringify(s));
    };
    console.log(`soak: ${minutes} min, ${symbolicateRate} symbolicate/s (2/3 the cgo crash resolved with DWARF, 1/3 corpus pastes), ${uploadRate} uploads/s`);
    sample();
    const total = minutes * 60_000;
    const maxRequests = Math.ceil((minutes * 60 * (symbolicateRate + uploadRate)) * 1.01);
    let i = 0;
    let u = 0;
    const timers = [
      setInterval(() => {
        if (requests < maxRequests) void symbolicate(i++);
      }, 1000 / symbolicateRate),
      setInterval(() => {
        if (requests < maxRequests && uploadRate > 0) void uploadOne(u++);
      }, 1000 / Math.max(uploadRate, 0.001)),
      setInterval(sample, SAMPLE_MS),
    ];
    await new Promise((r) => setTimeout(r, total));
    timers.forEach(clearInterval);
    const drainUntil = Date.now() + 30_000;
    while (inflight > 0 && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 100));
    sample();
    const summary = {
      minutes,
      symbolicateRate,
      uploadRate,
      requests,
      errors: errors.length,
      firstErrors: errors.slice(0, 10),
      byKind,
      first: samples[1] ?? samples[0],
      last: samples[samples.length - 1],
      max: {
        apiRssMb: Math.max(...samples.map((s) => s.apiRssMb)),
        workerRssMb: Math.max(...samples.map((s) => s.workerRssMb)),
        apiFds: Math.max(...samples.map((s) => s.apiFds)),
        workerFds: Math.max(...samples.map((s) => s.workerFds)),
        redisUsedMb: Math.max(...samples.map((s) => s.redisUsedMb)),
        redisKeys: Math.max(...samples.map((s) => s.redisKeys)),
      },
    };
    console.log(`summary ${JSON.stringify(summary, null, 2)}`);
    writeFileSync(join(tmpdir(), 'symbridge-soak.json'), JSON.stringify({ summary, samples }, null, 2));
    process.exitCode = errors.length === 0 ? 0 : 1;
  } finally {
    for (const p of procs) await p.stop();
    await redis.stop();
    rmSync(redis.dir, { recursive: true, force: true });
    rmSync(storageRoot, { recursive: true, force: true });
  }
}

void main().then(() => process.exit());
