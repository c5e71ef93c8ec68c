import { createServer, Server } from 'node:http';
import { INestApplicationContext } from '@nestjs/common';
import { readiness } from '../api/readiness';
import { Metrics } from '../metrics/metrics';
import { SymbolStore } from '../symbol-store/symbol-store.service';
import { SymbolicateWorker } from './symbolicate.worker';

/**
 * The worker role's only HTTP (METRICS_PORT): /metrics for Prometheus, /healthz and
 * /readyz for the orchestrator (a healthcheck, a readiness probe), with the API's
 * answers' shape: {status, checks}. Not the API: no routes of its own beyond these.
 */
export function startWorkerHttp(app: INestApplicationContext, port: number, host: string): Server {
  const metrics = app.get(Metrics);
  const worker = app.get(SymbolicateWorker);
  const store = app.get(SymbolStore);
  const server = createServer((req, res) => {
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return void json(405, { status: 405, code: 'METHOD_NOT_ALLOWED', message: `${req.method} is not served here: GET /metrics, /healthz or /readyz` });
    if (path === '/metrics') {
      void metrics.text().then((body) => res.writeHead(200, { 'content-type': metrics.contentType }).end(body));
    } else if (path === '/healthz') {
      json(200, { status: 'ok' });
    } else if (path === '/readyz') {
      void readiness('worker', worker.draining, () => worker.pingRedis(), store).then((r) => json(r.httpStatus, r.body));
    } else {
      json(404, { status: 404, code: 'NOT_FOUND', message: `${path.slice(0, 100)} is not served here: GET /metrics, /healthz or /readyz` });
    }
  });
  server.listen(port, host).unref(); // never what keeps a draining worker alive
  return server;
}
