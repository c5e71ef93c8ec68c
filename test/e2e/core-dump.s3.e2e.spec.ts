import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { getQueueToken } from '@nestjs/bullmq';
import { Job, Queue } from 'bullmq';
import { CoreSweeper } from '../../src/jobs/core-sweeper';
import { SYMBOLICATE_QUEUE } from '../../src/jobs/queue.constants';
import { UnifiedStack } from '../../src/model/unified-stack';
import { CoreStore } from '../../src/symbol-store/core-store';
import { MemoObjectStore } from '../../src/symbol-store/memo-object.store';
import { S3ObjectStore } from '../../src/symbol-store/s3-object.store';
import { SymbolStore } from '../../src/symbol-store/symbol-store.service';
import { captured, CORE_CAPTURED, coreModuleFiles, corePath } from '../support/core-fixtures';
import { until } from '../support/processes';
import { S3Server } from '../support/s3-server';
import { s3Overrides, ServiceOverrides, startService, TestService, upload } from '../support/service';

/**
 * core_dump with STORE_BACKEND=s3 and the worker on "another machine": an API-only and a
 * worker-only service that share nothing but Redis (one queue prefix) and the bucket, each
 * with its own storage root and cache. The core goes API -> S3 -> worker (read by range,
 * never downloaded whole), and the sweep deletes the object once its job is gone.
 */
let s3: S3Server;
let api: TestService;
let worker: TestService;
let cores: CoreStore;
let shared: ServiceOverrides;

beforeAll(async () => {
  s3 = await S3Server.start();
  shared = { ...s3Overrides(s3), jobAttempts: 6, queuePrefix: `symbridge-test-core-s3-${process.pid}-${Math.random().toString(36).slice(2, 8)}` };
  api = await startService({ ...shared, role: 'api', cacheDir: mkdtempSync(join(tmpdir(), 'symbridge-cache-api-')), limits: { maxCoreBytes: 200 * 1024 * 1024 } });
  worker = await startService({ ...shared, role: 'worker', cacheDir: mkdtempSync(join(tmpdir(), 'symbridge-cache-worker-')) });
  cores = api.app.get(CoreStore);
  const res = await upload(api.url, coreModuleFiles().map((f) => ({ name: basename(f), data: readFileSync(f) })));
  expect(res.status).toBe(200);
}, 120_000);

afterAll(async () => {
  await worker?.close();
  await api?.close();
  await s3?.close();
});

function form(core: Buffer, fields: Record<string, string> = {}, name = 'core'): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  f.append('core_dump', new Blob([core]), name);
  return f;
}

const send = (core: Buffer, fields: Record<string, string> = {}, name = 'core') =>
  fetch(`${api.url}/v1/symbolicate?wait=90`, { method: 'POST', body: form(core, fields, name) });

/** Every file under `dir` whose name says it is a core (spooled or stored). */
function localCores(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (/core/.test(e.name)) out.push(join(d, e.name));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

describe('core_dump on the S3 store, API and worker on different machines', () => {
  it('the core travels through the bucket; the worker reads part of it by range; the stack is the same', async () => {
    const objects = (worker.app.get(SymbolStore).objects as MemoObjectStore).inner as S3ObjectStore;
    const before = objects.rangedBytes;
    const res = await send(readFileSync(join(CORE_CAPTURED, 'go-exe-kernel.core.xz')), { traceback: captured('go-exe.stderr.txt') }, 'core.xz');
    expect(res.status).toBe(200);
    const stack = (await res.json()) as UnifiedStack;
    const t = stack.threads[0];
    expect(t.crashed).toBe(true);
    expect(stack.signal?.name).toBe('SIGABRT');
    const fns = t.frames.map((f) => f.function);
    expect(fns).toContain('storage::RecordStore::checksum(storage::Record const*)');
    expect(fns.slice(-4)).toEqual(['main.processBatch', 'main.main', 'runtime.main', 'runtime.goexit.abi0']);
    expect(stack.threads.filter((x) => x.tid !== undefined)).toHaveLength(5);

    // Stored in the bucket, attached to its job; nothing kept on either machine's disk.
    const ids = await cores.ids();
    expect(ids).toHaveLength(1);
    const jobId = await cores.jobOf(ids[0]);
    expect((await api.app.get<Queue>(getQueueToken(SYMBOLICATE_QUEUE)).getJob(jobId!))?.data.core?.id).toBe(ids[0]);
    for (const dir of [api.config.storageRoot, worker.config.storageRoot, api.config.cacheDir, worker.config.cacheDir]) expect(localCores(dir)).toEqual([]);
    // Read by range: the worker fetched a part of the 78 MB core, not all of it.
    const size = readFileSync(corePath('go-exe-kernel')).length;
    const read = objects.rangedBytes - before;
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(size / 4); // measured: 7.2 MB of 81.6 MB
  }, 180_000);

  it('the sweep deletes the core object once its job is gone from Redis', async () => {
    const ids = await cores.ids();
    expect(ids.length).toBeGreaterThan(0);
    const sweeper = api.app.get(CoreSweeper);
    expect(await sweeper.sweep()).toBe(0);
    const queue = api.app.get<Queue>(getQueueToken(SYMBOLICATE_QUEUE));
    for (const id of ids) await (await queue.getJob((await cores.jobOf(id))!))?.remove();
    expect(await sweeper.sweep()).toBe(ids.length);
    expect(await cores.ids()).toEqual([]);
    expect(await api.app.get(SymbolStore).objects.list('cores')).toEqual([]);
  }, 60_000);

  it('a refused core never reaches the bucket', async () => {
    const b = Buffer.from(readFileSync(corePath('threads-plain-kernel')));
    b.writeUInt16LE(183, 18); // e_machine = aarch64
    const res = await send(b);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { message: string }).message).toMatch(/core of aarch64/);
    expect(await cores.ids()).toEqual([]);
  }, 60_000);

  it('S3 unreachable: 503, nothing queued, nothing half-stored; the same core is accepted once it is back', async () => {
    const core = readFileSync(join(CORE_CAPTURED, 'threads-plain-kernel.core.xz'));
    await s3.stop();
    try {
      const res = await send(core);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { message: string }).message).toMatch(/S3 bucket/);
    } finally {
      await s3.restart();
    }
    expect(await cores.ids()).toEqual([]);
    expect(localCores(api.config.storageRoot)).toEqual([]);
    expect(localCores(api.config.cacheDir)).toEqual([]);
    const res = await send(core);
    expect(res.status).toBe(200);
    expect(((await res.json()) as UnifiedStack).threads).toHaveLength(5);
  }, 120_000);
});

describe('S3 away when the worker reads the core', () => {
  it('the job fails its attempt as STORAGE_UNAVAILABLE, is retried, and completes once S3 is back', async () => {
    // The core is stored while S3 is up, with no worker running; S3 goes away; a worker starts.
    await worker.close();
    const res = await fetch(`${api.url}/v1/symbolicate`, { method: 'POST', body: form(readFileSync(join(CORE_CAPTURED, 'threads-plain-kernel.core.xz'))) });
    expect(res.status).toBe(202);
    const id = /\/v1\/jobs\/(\S+)$/.exec(res.headers.get('location')!)![1];
    await s3.stop();
    const queue = api.app.get<Queue>(getQueueToken(SYMBOLICATE_QUEUE));
    try {
      worker = await startService({ ...shared, role: 'worker', cacheDir: mkdtempSync(join(tmpdir(), 'symbridge-cache-worker-')) });
      await until('a failed attempt', async () => ((await Job.fromId(queue, id))?.attemptsMade ?? 0) >= 1, 30_000);
      expect((await Job.fromId(queue, id))!.failedReason).toMatch(/S3 bucket .* failed on (HEAD|GET) cores\//);
    } finally {
      await s3.restart();
    }
    const done = await until(
      'the retried job to complete',
      async () => {
        const j = (await (await fetch(`${api.url}/v1/jobs/${id}`)).json()) as { state: string; result?: UnifiedStack };
        return j.state === 'completed' ? j.result : undefined;
      },
      60_000,
      200,
    );
    expect(done.threads).toHaveLength(5);
    expect(done.threads[0].crashed).toBe(true);
  }, 120_000);
});

afterAll(() => {
  for (const s of [api, worker]) if (s) rmSync(s.config.cacheDir, { recursive: true, force: true });
});
