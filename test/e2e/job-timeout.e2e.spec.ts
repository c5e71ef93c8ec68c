import { readFileSync } from 'node:fs';
import { captured, LIBCRASHY } from '../support/fixtures';
import { slowSymbolizer } from '../support/processes';
import { startService, TestService, upload } from '../support/service';

/** No stuck job: past JOB_TIMEOUT_MS a job fails with a message naming the limit and the stage it was in. */
let svc: TestService;
beforeAll(async () => {
  svc = await startService({ llvmSymbolizer: slowSymbolizer(20), jobTimeoutMs: 1500, jobAttempts: 1 });
  expect((await upload(svc.url, [{ name: 'libcrashy.so', data: readFileSync(LIBCRASHY) }])).status).toBe(200);
});
afterAll(async () => svc?.close());

it('a job held up past JOB_TIMEOUT_MS fails with the reason, and the client hears it', async () => {
  const started = Date.now();
  const res = await fetch(`${svc.url}/v1/symbolicate?wait=15`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ traceback: captured('exe', 'stderr'), maps: captured('exe', 'maps') }),
  });
  const body = (await res.json()) as { code: string; message: string };
  expect(res.status).toBe(422);
  expect(body.code).toBe('JOB_FAILED');
  expect(body.message).toMatch(/took longer than JOB_TIMEOUT_MS \(1500 ms\); it was in the (normalize|resolve) stage/);
  expect(Date.now() - started).toBeLessThan(10_000);
}, 30_000);
