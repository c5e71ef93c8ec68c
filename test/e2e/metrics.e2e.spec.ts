import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Metrics } from '../../src/metrics/metrics';
import { captured, FIXTURES, LIBCRASHY } from '../support/fixtures';
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
  expect(metric(text, 'symbridge_resolve_cache_lookups_total{result="miss"}')).toBe(1);
  expect(metric(text, 'symbridge_resolve_cache_lookups_total{result="hit"}')).toBe(1);
  expect(metric(text, 'symbridge_symbolizer_restarts_total')).toBe(0);
  // Every count since start is a Prometheus counter named *_total.
  for (const m of text.matchAll(/^# TYPE (symbridge_\S+) counter$/gm)) expect(m[1]).toMatch(/_total$/);
  for (const m of text.matchAll(/^# TYPE (symbridge_\S+) gauge$/gm)) expect(m[1]).not.toMatch(/restarts|lookups/);
  expect(metric(text, 'symbridge_resolve_cache_hit_ratio')).toBeCloseTo(0.5);
  expect(metric(text, 'symbridge_symbolizer_processes')).toBe(svc.config.symbolizerProcesses); // started at boot
  expect(metric(text, 'symbridge_frames_unresolved_total{module="(no module)"}')).toBe(1);
  expect(metric(text, 'symbridge_http_requests_total{route="/v1/symbolicate",method="POST",status="200"}')).toBe(3);
  expect(text).toMatch(/symbridge_queue_jobs\{state="completed"\} 3/);
  expect(text).toMatch(/symbridge_job_duration_seconds_count 3/);
});

it('counts unresolved libjvm.so frames of an hs_err log, and bounds module labels taken from pastes', async () => {
  const hsErr = readFileSync(join(FIXTURES, 'jni-crash', 'captured', 'hs_err.log'), 'utf8');
  const res = await fetch(`${svc.url}/v1/symbolicate?wait=20`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ crash_dump: hsErr }) });
  expect(res.status).toBe(200);
  const text = await (await fetch(`${svc.url}/metrics`)).text();
  expect(metric(text, 'symbridge_frames_unresolved_total{module="libjvm.so"}')).toBeGreaterThanOrEqual(3);
  // Names from a paste: odd shapes are "other", and past 50 distinct names every new one is "other".
  const metrics = svc.app.get(Metrics);
  metrics.frameUnresolved('lib"evil{}.so');
  for (let i = 0; i < 80; i++) metrics.frameUnresolved(`libpasted${i}.so`);
  const after = await (await fetch(`${svc.url}/metrics`)).text();
  const series = after.split('\n').filter((l) => l.startsWith('symbridge_frames_unresolved_total{'));
  expect(series.length).toBeLessThanOrEqual(51);
  expect(metric(after, 'symbridge_frames_unresolved_total{module="other"}')).toBeGreaterThanOrEqual(1 + 80 - 50);
});
