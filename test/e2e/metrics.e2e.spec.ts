import { readFileSync } from 'node:fs';
import { captured, LIBCRASHY } from '../support/fixtures';
import { startService, TestService, upload } from '../support/service';

/** /metrics tells the operator what happened: the same crash twice is a cache hit, not a second lookup. */
let svc: TestService;
beforeAll(async () => {
  svc = await startService();
  await upload(svc.url, [{ name: 'libcrashy.so', data: readFileSync(LIBCRASHY) }]);
});
afterAll(async () => svc?.close());

function metric(text: string, name: string): number {
  // `name` includes its labels, exactly as exposed: `x{a="b"}`.
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ').pop()) : NaN;
}

it('counts jobs, requests, cache hits and symbolizer processes', async () => {
  const body = JSON.stringify({ traceback: captured('exe', 'stderr'), maps: captured('exe', 'maps') });
  for (let i = 0; i < 2; i++) {
    const res = await fetch(`${svc.url}/v1/symbolicate?wait=20`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);
  }
  const onlyTrace = await fetch(`${svc.url}/v1/symbolicate?wait=20`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ traceback: captured('exe', 'stderr') }),
  });
  expect(onlyTrace.status).toBe(200);
  const res = await fetch(`${svc.url}/metrics`);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  const text = await res.text();
  expect(metric(text, 'symbridge_jobs_total{outcome="completed"}')).toBe(3);
  expect(metric(text, 'symbridge_resolve_cache_lookups{result="miss"}')).toBe(1);
  expect(metric(text, 'symbridge_resolve_cache_lookups{result="hit"}')).toBe(1);
  expect(metric(text, 'symbridge_resolve_cache_hit_ratio')).toBeCloseTo(0.5);
  expect(metric(text, 'symbridge_symbolizer_processes')).toBe(svc.config.symbolizerProcesses); // started at boot
  expect(metric(text, 'symbridge_frames_unresolved_total{module="(no module)"}')).toBe(1);
  expect(metric(text, 'symbridge_http_requests_total{route="/v1/symbolicate",method="POST",status="200"}')).toBe(3);
  expect(text).toMatch(/symbridge_queue_jobs\{state="completed"\} 3/);
  expect(text).toMatch(/symbridge_job_duration_seconds_count 3/);
});
