import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getQueueToken } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { SYMBOLICATE_QUEUE } from '../../src/jobs/queue.constants';
import { ResultSweeper } from '../../src/jobs/result-sweeper';
import { UnifiedStack } from '../../src/model/unified-stack';
import { captured, LIBCRASHY } from '../support/fixtures';
import { maximalCrash } from '../support/maximal';
import { until } from '../support/processes';
import { startService, TestService, upload } from '../support/service';

/**
 * Redis memory bounded by bytes (issue 14, item 4): results go to Redis compressed, large
 * ones to the store with a pointer in Redis (deleted with their job), large inputs are
 * compressed too, and new jobs are refused with a 503 once Redis is at its memory bound.
 * Against the real Redis, a real worker and llvm-symbolizer.
 */
jest.setTimeout(120_000);

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
let svc: TestService;
let redis: Redis;
beforeAll(async () => {
  svc = await startService();
  redis = new Redis(redisUrl);
  expect((await upload(svc.url, [{ name: 'libcrashy.so', data: readFileSync(LIBCRASHY) }])).status).toBe(200);
});
afterAll(async () => {
  redis?.disconnect();
  await svc?.close();
});

const jobKey = (id: string) => `${svc.config.queuePrefix}:${SYMBOLICATE_QUEUE}:${id}`;

/** Queue it (202 + id), then read it back by id as a client would. */
async function symbolicate(body: object): Promise<{ id: string; stack: UnifiedStack }> {
  const res = await fetch(`${svc.url}/v1/symbolicate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  const stack = await until(`job ${id}`, async () => {
    const view = (await (await fetch(`${svc.url}/v1/jobs/${id}`)).json()) as { state: string; result?: UnifiedStack };
    expect(view.state).not.toBe('failed');
    return view.state === 'completed' ? view.result : undefined;
  }, 90_000, 200);
  return { id, stack };
}

it('a maximal request (45k frames): Redis keeps a pointer and compressed input, the store the compressed result; the answer is whole', async () => {
  const crash = maximalCrash(45_000);
  const body = { traceback: crash.traceback, maps: crash.maps };
  const requestBytes = Buffer.byteLength(JSON.stringify(body));
  const { id, stack } = await symbolicate(body);
  expect(id).toMatch(/\S/);
  const frames = stack.threads.reduce((n, t) => n + t.frames.length, 0);
  expect(frames).toBeGreaterThanOrEqual(crash.frames);

  const returnvalue = JSON.parse((await redis.hget(jobKey(id), 'returnvalue'))!) as { packed: number; key?: string; json_bytes: number };
  expect(returnvalue).toMatchObject({ packed: 1, enc: 'br', key: `results/${id}` });
  const data = JSON.parse((await redis.hget(jobKey(id), 'data'))!) as { packed?: string; traceback?: string };
  expect(data.traceback).toBeUndefined();
  expect(data.packed!.length).toBeLessThan(requestBytes / 4);
  const kept = Number(await redis.call('MEMORY', 'USAGE', jobKey(id), 'SAMPLES', '0'));
  const blob = join(svc.config.storageRoot, 'results', id);
  expect(existsSync(blob)).toBe(true);
  process.stdout.write(
    `45k frames: request ${requestBytes} B, result JSON ${returnvalue.json_bytes} B (what Redis kept before), ` +
      `now Redis ${kept} B per job + store ${readFileSync(blob).length} B\n`,
  );
  expect(kept).toBeLessThan(requestBytes / 4);
  expect(returnvalue.json_bytes).toBeGreaterThan(requestBytes * 2); // the result really is the large part

  // Read back through GET /v1/jobs/ID: the same stack.
  const view = (await (await fetch(`${svc.url}/v1/jobs/${id}`)).json()) as { state: string; result: UnifiedStack };
  expect(view.state).toBe('completed');
  expect(view.result).toEqual(stack);

  // The job leaves Redis (here removed; in service, by retention): the sweep deletes its blob.
  await svc.app.get<Queue>(getQueueToken(SYMBOLICATE_QUEUE)).remove(id);
  expect(await svc.app.get(ResultSweeper).sweep()).toBeGreaterThanOrEqual(1);
  expect(existsSync(blob)).toBe(false);
});

it('a small result stays inline in Redis, compressed', async () => {
  const { id, stack } = await symbolicate({ traceback: captured('pie', 'stderr'), maps: captured('pie', 'maps') });
  const returnvalue = JSON.parse((await redis.hget(jobKey(id), 'returnvalue'))!) as { packed: number; data?: string; key?: string; json_bytes: number };
  expect(returnvalue.key).toBeUndefined();
  expect(returnvalue.data!.length).toBeLessThan(returnvalue.json_bytes / 2);
  expect(stack.threads.length).toBeGreaterThan(0);
  expect(existsSync(join(svc.config.storageRoot, 'results', id))).toBe(false);
});

describe('the Redis memory bound', () => {
  let tight: TestService;
  beforeAll(async () => {
    // A bound below what any Redis uses: every new job is refused.
    tight = await startService({ redisMemoryLimitBytes: 1024 });
  });
  afterAll(async () => tight?.close());

  it('refuses new jobs with 503 QUEUE_FULL naming the bound; nothing is queued; reads still work', async () => {
    const res = await fetch(`${tight.url}/v1/symbolicate`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: captured('pie', 'stderr') });
    expect(res.status).toBe(503);
    const err = (await res.json()) as { code: string; message: string };
    expect(err.code).toBe('QUEUE_FULL');
    expect(err.message).toMatch(/REDIS_MEMORY_LIMIT_BYTES/);
    expect(err.message).toMatch(/at the bound of 1024/);
    const counts = await tight.app.get<Queue>(getQueueToken(SYMBOLICATE_QUEUE)).getJobCounts('waiting', 'active', 'completed');
    expect(counts).toMatchObject({ waiting: 0, active: 0, completed: 0 });
    expect((await fetch(`${tight.url}/healthz`)).status).toBe(200);
  });
});
