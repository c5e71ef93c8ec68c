import { mkdtempSync, rmSync } from 'node:fs';
import { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import pino from 'pino';
import { createWorkerApp } from '../../src/app.factory';
import { loadConfig } from '../../src/config/config';
import { SymbolicateWorker } from '../../src/jobs/symbolicate.worker';
import { startWorkerHttp } from '../../src/jobs/worker-http';

/**
 * The worker role's HTTP (METRICS_PORT), as docker-compose's healthcheck and a
 * readiness probe use it: /readyz says whether Redis and the store answer, and turns
 * 503 once the worker drains; /metrics is Prometheus text.
 */
let app: INestApplicationContext;
let server: Server;
let url: string;
const storageRoot = mkdtempSync(join(tmpdir(), 'symbridge-worker-http-'));

beforeAll(async () => {
  const config = { ...loadConfig(process.env), role: 'worker' as const, storageRoot, cacheDir: join(storageRoot, '.cache'), queuePrefix: `symbridge-test-whttp-${process.pid}` };
  app = await createWorkerApp(config, pino({ level: 'silent' }));
  await app.init();
  await app.get(SymbolicateWorker).waitUntilReady();
  server = startWorkerHttp(app, 0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  server?.close();
  rmSync(storageRoot, { recursive: true, force: true });
});

it('answers /healthz, /readyz (Redis and the store checked) and /metrics; anything else is a JSON 404', async () => {
  expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
  const ready = await fetch(`${url}/readyz`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toEqual({ status: 'ok', checks: { redis: 'ok', storage: 'ok' } });
  const metrics = await fetch(`${url}/metrics`);
  expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
  expect(await metrics.text()).toMatch(/^# TYPE symbridge_symbolizer_restarts_total counter$/m);
  const other = await fetch(`${url}/v1/symbolicate`);
  expect(other.status).toBe(404);
  expect(((await other.json()) as { message: string }).message).toMatch(/GET \/metrics, \/healthz or \/readyz/);
});

it('is not ready once the worker drains', async () => {
  await app.close();
  const ready = await fetch(`${url}/readyz`);
  expect(ready.status).toBe(503);
  const body = (await ready.json()) as { status: string; checks: Record<string, string> };
  expect(body.status).toBe('unavailable');
  expect(body.checks.shutdown).toMatch(/draining/);
});
