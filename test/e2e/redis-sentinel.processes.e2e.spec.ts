import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnifiedStack } from '../../src/model/unified-stack';
import { captured, groundTruth, LIBCRASHY } from '../support/fixtures';
import { RedisSentinelSet, ServiceProcess, startHttpProcess, uniquePrefix, until } from '../support/processes';
import { upload } from '../support/service';

/**
 * REDIS_URL=redis+sentinel://...: the service finds the master through real sentinels
 * (their own processes on free ports, never the shared Redis), and keeps working when
 * the master is killed -9 and the sentinels promote the replica.
 */
jest.setTimeout(90_000);

const truth = groundTruth('exe').llvm_symbolizer[0].Symbol;
let set: RedisSentinelSet;
let svc: ServiceProcess;
let storageRoot: string;
const prefix = uniquePrefix('sentinel');

beforeAll(async () => {
  set = await RedisSentinelSet.start();
  storageRoot = mkdtempSync(join(tmpdir(), 'symbridge-sentinel-store-'));
  svc = await startHttpProcess('all', { redisUrl: set.url, prefix, storageRoot, extra: { JOB_LOCK_MS: '3000', STALLED_CHECK_MS: '1000' } });
  expect((await upload(svc.url!, [{ name: 'libcrashy.so', data: readFileSync(LIBCRASHY) }])).status).toBe(200);
});
afterAll(async () => {
  await svc?.stop();
  await set?.stop();
  rmSync(storageRoot, { recursive: true, force: true });
});

async function symbolicate(): Promise<Response> {
  return fetch(`${svc.url}/v1/symbolicate?wait=10`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ traceback: captured('exe', 'stderr'), maps: captured('exe', 'maps') }),
  });
}

async function expectResolved(res: Response): Promise<void> {
  expect(res.status).toBe(200);
  const stack = (await res.json()) as UnifiedStack;
  expect(stack.threads.find((t) => t.crashed)!.frames[0]).toMatchObject({ source: 'dwarf', function: truth[truth.length - 1].FunctionName });
}

it('finds the master through the sentinels: jobs are queued and resolved, the queue lives on the master', async () => {
  await expectResolved(await symbolicate());
  expect(set.masterPort()).toBe(set.master.port);
  expect(set.ask(set.master.port, ['--scan', '--pattern', `${prefix}:*`])).toMatch(new RegExp(`^${prefix}:symbolicate:`, 'm'));
  expect((await (await fetch(`${svc.url}/readyz`)).json()) as unknown).toMatchObject({ checks: { redis: 'ok' } });
});

it('the master killed -9: the sentinels promote the replica and the service follows it without a restart', async () => {
  await set.master.kill9();
  await until('the sentinels to promote the replica', () => set.masterPort() === set.replica.port, 30_000, 250);
  const res = await until(
    'a job to go through the new master',
    async () => {
      const r = await symbolicate();
      return r.status === 200 ? r : undefined;
    },
    40_000,
    500,
  );
  await expectResolved(res);
  // Uploads still decide "created" through Redis (the lock on the new master).
  const again = await upload(svc.url!, [{ name: 'libcrashy.so', data: readFileSync(LIBCRASHY) }]);
  expect(again.status).toBe(200);
  expect(((await again.json()) as { files: { created: boolean }[] }).files[0].created).toBe(false);
  expect(svc.alive).toBe(true);
});
