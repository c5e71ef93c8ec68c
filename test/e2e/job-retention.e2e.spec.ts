import { captured } from '../support/fixtures';
import { startService, TestService } from '../support/service';

/** Finished jobs are bounded in number too (JOB_RETENTION_COUNT), so Redis does not grow with the request rate. */
let svc: TestService;
beforeAll(async () => {
  svc = await startService({ jobRetentionCount: 100 });
});
afterAll(async () => svc?.close());

it('keeps at most JOB_RETENTION_COUNT completed jobs', async () => {
  const body = captured('exe', 'stderr');
  for (let i = 0; i < 12; i++) {
    const batch = Array.from({ length: 10 }, () =>
      fetch(`${svc.url}/v1/symbolicate?wait=20`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body }),
    );
    for (const res of await Promise.all(batch)) expect(res.status).toBe(200);
  }
  const metrics = await (await fetch(`${svc.url}/metrics`)).text();
  const completed = Number(/symbridge_queue_jobs\{state="completed"\} (\d+)/.exec(metrics)?.[1]);
  expect(metrics).toMatch(/symbridge_jobs_total\{outcome="completed"\} 120/);
  expect(completed).toBeGreaterThan(0);
  expect(completed).toBeLessThanOrEqual(100);
});
