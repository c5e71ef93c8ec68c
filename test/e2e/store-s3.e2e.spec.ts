import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getQueueToken } from '@nestjs/bullmq';
import { Job, Queue } from 'bullmq';
import { SYMBOLICATE_QUEUE } from '../../src/jobs/queue.constants';
import { UnifiedStack } from '../../src/model/unified-stack';
import { SymbolStore } from '../../src/symbol-store/symbol-store.service';
import { captured, groundTruth, HELLO_ID, LIBCRASHY, LIBCRASHY_ID, storeCase } from '../support/fixtures';
import { sleep, until } from '../support/processes';
import { S3Server } from '../support/s3-server';
import { s3Overrides, startService, TestService, upload } from '../support/service';

/**
 * The store on a real S3 endpoint, end to end: a worker's local cache (one download per
 * build-id under concurrent jobs, verified; a damaged copy dropped and fetched again),
 * and the faults (S3 unreachable: uploads 503 with nothing half-stored, jobs retried).
 */
let s3: S3Server;
beforeAll(async () => {
  s3 = await S3Server.start();
});
afterAll(async () => s3?.close());

const crash = () => JSON.stringify({ traceback: captured('exe', 'stderr'), maps: captured('exe', 'maps') });

async function symbolicate(url: string): Promise<UnifiedStack> {
  const res = await fetch(`${url}/v1/symbolicate?wait=30`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: crash() });
  expect(res.status).toBe(200);
  return (await res.json()) as UnifiedStack;
}

/** The crashed thread's top frame must be what llvm-symbolizer itself said for the fixture. */
function expectResolved(stack: UnifiedStack): void {
  const truth = groundTruth('exe').llvm_symbolizer[0].Symbol;
  const physical = truth[truth.length - 1];
  expect(stack.threads.find((t) => t.crashed)!.frames[0]).toMatchObject({
    source: 'dwarf',
    function: physical.FunctionName,
    line: physical.Line,
    build_id: LIBCRASHY_ID,
  });
}

describe('a worker on S3: the local cache', () => {
  let svc: TestService;
  let store: SymbolStore;
  beforeAll(async () => {
    svc = await startService({ ...s3Overrides(s3), workerConcurrency: 4 });
    store = svc.app.get(SymbolStore);
    expect((await upload(svc.url, [{ name: 'libcrashy.so', data: readFileSync(LIBCRASHY) }])).status).toBe(200);
  });
  afterAll(async () => svc?.close());

  it('concurrent jobs that need one module download it once; later jobs are served from the cache', async () => {
    expect(store.cacheStats).toMatchObject({ entries: 0, fetches: 0 });
    const stacks = await Promise.all(Array.from({ length: 6 }, () => symbolicate(svc.url)));
    stacks.forEach(expectResolved);
    // libcrashy is unstripped: its executable and debuginfo are the same bytes, fetched once.
    expect(store.cacheStats).toMatchObject({ entries: 1, fetches: 1, bytes: readFileSync(LIBCRASHY).length });
    expectResolved(await symbolicate(svc.url));
    expect(store.cacheStats!.fetches).toBe(1);
    expect(store.cacheStats!.hits).toBeGreaterThan(6);
  });

  it('a cached file that no longer matches its build-id is dropped and fetched again', async () => {
    await symbolicate(svc.url);
    const before = store.cacheStats!;
    const cached = join(svc.config.cacheDir, 'buildid', LIBCRASHY_ID, 'debuginfo');
    // Another real ELF (another build-id) where libcrashy's copy was: a damaged or swapped cache.
    writeFileSync(cached, readFileSync(storeCase('hello.debug')));
    // The resolver caches answers by build-id: ask for a frame it has not answered (a fresh resolver state is not needed,
    // the module identification re-opens the layout file through the cache on every job).
    expectResolved(await symbolicate(svc.url));
    const after = store.cacheStats!;
    expect(after.dropped).toBe(before.dropped + 1);
    expect(after.fetches).toBe(before.fetches + 1);
    expect(readFileSync(cached).equals(readFileSync(LIBCRASHY))).toBe(true);
  });
});

describe('S3 unreachable', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService({ ...s3Overrides(s3), jobAttempts: 6 });
    expect((await upload(svc.url, [{ name: 'libcrashy.so', data: readFileSync(LIBCRASHY) }])).status).toBe(200);
  });
  afterAll(async () => {
    await s3.restart().catch(() => undefined);
    await svc?.close();
  });

  it('uploads answer 503 naming the bucket; nothing of the build-id is visible once S3 is back', async () => {
    await s3.stop();
    let res: Response;
    try {
      res = await upload(svc.url, [
        { name: 'hello', data: readFileSync(storeCase('hello.stripped')) },
        { name: 'hello.debug', data: readFileSync(storeCase('hello.debug')) },
      ]);
      const ready = await fetch(`${svc.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { checks: { storage: string } }).checks.storage).toMatch(/S3 bucket s3:\/\/symbridge-test\/.* ECONNREFUSED/);
    } finally {
      await s3.restart();
    }
    expect(res.status).toBe(503);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe('STORAGE_UNAVAILABLE');
    expect(body.message).toMatch(/S3 bucket s3:\/\/symbridge-test\/svc-.* failed on .*ECONNREFUSED.*nothing was changed/);
    expect((await fetch(`${svc.url}/v1/symbols/${HELLO_ID}`)).status).toBe(404);
    expect((await fetch(`${svc.url}/buildid/${HELLO_ID}/debuginfo`, { method: 'HEAD' })).status).toBe(404);
    expect(await svc.app.get(SymbolStore).objects.list(`buildid/${HELLO_ID}`)).toEqual([]);
    // And the upload works once S3 is back.
    expect((await upload(svc.url, [{ name: 'hello.debug', data: readFileSync(storeCase('hello.debug')) }])).status).toBe(200);
  });

  it('a job that meets S3 down is retried and completes once S3 is back; nothing is lost', async () => {
    await s3.stop();
    const res = await fetch(`${svc.url}/v1/symbolicate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: crash() });
    expect(res.status).toBe(202);
    const id = /\/v1\/jobs\/(\S+)$/.exec(res.headers.get('location')!)![1];
    const queue = svc.app.get<Queue>(getQueueToken(SYMBOLICATE_QUEUE));
    await until('a failed attempt', async () => ((await Job.fromId(queue, id))?.attemptsMade ?? 0) >= 1, 20_000);
    await sleep(300);
    await s3.restart();
    const done = await until(
      'the retried job to complete',
      async () => {
        const j = (await (await fetch(`${svc.url}/v1/jobs/${id}`)).json()) as { state: string; result?: UnifiedStack };
        return j.state === 'completed' ? j.result : undefined;
      },
      30_000,
      200,
    );
    expectResolved(done);
    expect((await Job.fromId(queue, id))!.attemptsMade).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
