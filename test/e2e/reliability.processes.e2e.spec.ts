import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnifiedStack } from '../../src/model/unified-stack';
import { captured, groundTruth, LIBCRASHY } from '../support/fixtures';
import {
  childPids,
  queueCounts,
  RedisServer,
  ServiceProcess,
  signalStopped,
  slowSymbolizer,
  startHttpProcess,
  sleep,
  startWorkerProcess,
  uniquePrefix,
  until,
} from '../support/processes';
import { upload } from '../support/service';

/**
 * Faults at the process level, with the real service as separate `node dist/main.js`
 * processes: a worker SIGKILLed mid-job, Redis killed -9 and restarted, SIGTERM while a
 * request waits on a job in progress. The crash is the fixture's real one, resolved by a
 * real llvm-symbolizer (made slow to start, so that a job is reliably "in progress").
 */
jest.setTimeout(60_000);

const crashBody = JSON.stringify({ traceback: captured('pie', 'stderr'), maps: captured('pie', 'maps') });
const truth = groundTruth('pie').llvm_symbolizer[0].Symbol;
const faultFunction = truth[truth.length - 1].FunctionName;
const started: ServiceProcess[] = [];
const dirs: string[] = [];

function storage(): string {
  const d = mkdtempSync(join(tmpdir(), 'symbridge-rel-store-'));
  dirs.push(d);
  return d;
}
function track(p: ServiceProcess): ServiceProcess {
  started.push(p);
  return p;
}
afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function postJob(url: string, wait = 0): Promise<Response> {
  return fetch(`${url}/v1/symbolicate${wait ? `?wait=${wait}` : ''}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: crashBody });
}

async function jobView(url: string, id: string): Promise<{ state: string; result?: UnifiedStack; error?: string }> {
  return (await (await fetch(`${url}/v1/jobs/${id}`)).json()) as { state: string; result?: UnifiedStack };
}

function faultFrameOf(stack: UnifiedStack) {
  return stack.threads.find((t) => t.crashed)!.frames[0];
}

describe('a worker killed mid-job', () => {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = uniquePrefix('kill');

  it('SIGKILL during a job: another worker takes it over after the lock expires, and the poller gets the result', async () => {
    const env = { redisUrl, prefix, storageRoot: storage(), extra: { JOB_LOCK_MS: '1500', STALLED_CHECK_MS: '700' } };
    const api = track(await startHttpProcess('api', env));
    expect((await upload(api.url!, [{ name: 'libcrashy.so', data: readFileSync(LIBCRASHY) }])).status).toBe(200);
    // Worker 1 resolves through a symbolizer that takes 30 s to start: it holds the job.
    const slow = track(await startWorkerProcess({ ...env, extra: { ...env.extra, LLVM_SYMBOLIZER: slowSymbolizer(30) } }));
    const res = await postJob(api.url!);
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await until('the job to be active on worker 1', async () => (await jobView(api.url!, id)).state === 'active');

    slow.child.kill('SIGKILL');
    expect(await slow.exited(5000)).toMatchObject({ signal: 'SIGKILL' });
    const rescuer = track(await startWorkerProcess(env));

    const done = await until('the job to complete on worker 2', async () => {
      const v = await jobView(api.url!, id);
      expect(v.state).not.toBe('failed');
      return v.state === 'completed' ? v : undefined;
    }, 30_000, 200);
    expect(faultFrameOf(done.result!)).toMatchObject({ source: 'dwarf', function: faultFunction });
    expect(rescuer.logs).toMatch(/"msg":"job done"/);
    expect(rescuer.logs).toMatch(/job stalled/);
  });
});

describe('Redis away and back', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis?.stop();
    if (redis) rmSync(redis.dir, { recursive: true, force: true });
  });

  it('503 fast with a clear message while Redis is down, /readyz says so; a job accepted before a kill -9 survives and completes', async () => {
    const env = { redisUrl: redis.url, prefix: uniquePrefix('redis'), storageRoot: storage() };
    const api = track(await startHttpProcess('api', env));
    expect((await upload(api.url!, [{ name: 'libcrashy.so', data: readFileSync(LIBCRASHY) }])).status).toBe(200);
    // Accepted while no worker runs: it waits in Redis.
    const accepted = await postJob(api.url!);
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as { id: string };

    await redis.kill9();
    await until('the API to notice', async () => (await fetch(`${api.url}/readyz`)).status === 503, 10_000);
    const ready = (await (await fetch(`${api.url}/readyz`)).json()) as { checks: Record<string, string> };
    expect(ready.checks.redis).toMatch(/Redis is not reachable/);
    expect(ready.checks.storage).toBe('ok');
    for (const request of [() => postJob(api.url!, 5), () => fetch(`${api.url}/v1/jobs/${id}`)]) {
      const t0 = Date.now();
      const r = await request();
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(r.status).toBe(503);
      expect(await r.json()).toMatchObject({ code: 'QUEUE_UNAVAILABLE', message: expect.stringMatching(/Redis is not reachable.*try again/) });
    }

    await redis.restart(); // same dir: the AOF (appendfsync always) is replayed
    await until('the API to be ready again', async () => (await fetch(`${api.url}/readyz`)).status === 200, 20_000, 200);
    expect((await jobView(api.url!, id)).state).toBe('waiting');
    track(await startWorkerProcess(env));
    const done = await until('the surviving job to complete', async () => {
      const v = await jobView(api.url!, id);
      return v.state === 'completed' ? v : undefined;
    }, 30_000, 200);
    expect(faultFrameOf(done.result!)).toMatchObject({ source: 'dwarf', function: faultFunction });
    // And new work flows again.
    expect((await postJob(api.url!, 20)).status).toBe(200);
  });
});

describe('Redis lost during a ?wait, and back after a long outage', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis?.stop();
    if (redis) rmSync(redis.dir, { recursive: true, force: true });
  });

  it('?wait=3 answers 202 within 3 s + 1 s though Redis died mid-wait; once Redis returns, ready again within about 2 s', async () => {
    const env = { redisUrl: redis.url, prefix: uniquePrefix('redis-wait'), storageRoot: storage() };
    const api = track(await startHttpProcess('api', env)); // no worker: the job cannot finish
    const t0 = Date.now();
    const waiting = postJob(api.url!, 3);
    await sleep(800);
    await redis.kill9();
    const res = await waiting;
    const ms = Date.now() - t0;
    expect(ms).toBeLessThan(4000);
    // It was accepted before Redis went: the client gets where to look (it survives in the AOF).
    expect(res.status).toBe(202);
    const { location } = (await res.json()) as { location: string };
    expect(location).toMatch(/^\/v1\/jobs\//);

    // A long outage: BullMQ's reconnect delay would have grown to 8-20 s (REDIS_RECONNECT_MAX_MS caps it).
    await sleep(12_000);
    await redis.restart();
    const back = Date.now();
    await until('the API to be ready again', async () => (await fetch(`${api.url}/readyz`)).status === 200, 30_000, 100);
    expect(Date.now() - back).toBeLessThan(2500);
    expect((await fetch(`${api.url}${location}`)).status).toBe(200);
  });
});

describe('llvm-symbolizer killed from outside mid-job', () => {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

  it('SIGKILL to every symbolizer of a ROLE=all process with queries in flight: the job completes resolved, not unresolved', async () => {
    const prefix = uniquePrefix('symkill');
    const svc = track(await startHttpProcess('all', { redisUrl, prefix, storageRoot: storage() }));
    expect((await upload(svc.url!, [{ name: 'libcrashy.so', data: readFileSync(LIBCRASHY) }])).status).toBe(200);
    const pids = await until('the symbolizers to start', () => {
      const p = childPids(svc.child.pid!, 'llvm-symbolizer');
      return p.length === 2 ? p : undefined;
    });
    // Stopped, they cannot answer: the job's queries are in flight when the kill lands.
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    const answer = postJob(svc.url!, 20);
    await until('the job to be in progress', async () => (await queueCounts(redisUrl, prefix)).active === 1);
    await sleep(300);
    for (const pid of pids) signalStopped(pid, 'SIGKILL');
    const res = await answer;
    expect(res.status).toBe(200);
    const stack = (await res.json()) as UnifiedStack;
    expect(faultFrameOf(stack)).toMatchObject({ source: 'dwarf', function: faultFunction });
    const native = stack.threads.flatMap((t) => t.frames).filter((f) => f.kind === 'native' && f.module?.endsWith('libcrashy.so'));
    expect(native.length).toBeGreaterThan(0);
    expect(native.filter((f) => f.source === 'unresolved')).toEqual([]);
    expect(childPids(svc.child.pid!, 'llvm-symbolizer').some((p) => pids.includes(p))).toBe(false);
  });
});

describe('graceful shutdown', () => {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

  it('SIGTERM to ROLE=all: the request waiting on a job in progress gets its 200, new work is refused, exit 0', async () => {
    const prefix = uniquePrefix('term');
    const svc = track(await startHttpProcess('all', { redisUrl, prefix, storageRoot: storage(), extra: { LLVM_SYMBOLIZER: slowSymbolizer(3) } }));
    expect((await upload(svc.url!, [{ name: 'libcrashy.so', data: readFileSync(LIBCRASHY) }])).status).toBe(200);
    const waiting = postJob(svc.url!, 30);
    await until('the job to be in progress', async () => (await queueCounts(redisUrl, prefix)).active === 1);

    const t0 = Date.now();
    svc.child.kill('SIGTERM');
    await svc.waitForLog(/"msg":"draining: finishing requests and jobs in flight"/, 5000);
    const refused = await postJob(svc.url!, 5).catch(() => undefined); // 503, or already not listening
    if (refused) expect(refused.status).toBe(503);

    const res = await waiting;
    if (res.status !== 200) console.log(svc.logs, svc.err.join(''));
    expect(res.status).toBe(200);
    expect(faultFrameOf((await res.json()) as UnifiedStack)).toMatchObject({ source: 'dwarf', function: faultFunction });
    expect(await svc.exited(20_000)).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(svc.logs).toMatch(/"msg":"drained; exiting"/);
    expect(await queueCounts(redisUrl, prefix)).toMatchObject({ active: 0, waiting: 0, completed: 1 });
  });

  it('SIGTERM to ROLE=worker: the job in hand completes before it exits 0', async () => {
    const prefix = uniquePrefix('term-w');
    const env = { redisUrl, prefix, storageRoot: storage() };
    const api = track(await startHttpProcess('api', env));
    expect((await upload(api.url!, [{ name: 'libcrashy.so', data: readFileSync(LIBCRASHY) }])).status).toBe(200);
    const worker = track(await startWorkerProcess({ ...env, extra: { LLVM_SYMBOLIZER: slowSymbolizer(3) } }));
    const res = await postJob(api.url!);
    const { id } = (await res.json()) as { id: string };
    await until('the job to be active', async () => (await jobView(api.url!, id)).state === 'active');
    worker.child.kill('SIGTERM');
    expect(await worker.exited(20_000)).toEqual({ code: 0, signal: null });
    expect((await jobView(api.url!, id)).state).toBe('completed');
  });
});
