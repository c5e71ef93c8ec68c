import multipart from '@fastify/multipart';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'pino';
import { HttpErrorFilter } from './api/http-error.filter';
import { loadCommittedSpec } from './api/openapi';
import { mountQueueDashboard } from './api/queue-dashboard';
import { registerRateLimits } from './api/rate-limit';
import { registerRawTextParser } from './api/text-body';
import { AppModule, sharedKeyPrefix } from './app.module';
import { RedisConnections } from './adapters/redis-connection';
import { AppConfig } from './config/config';
import { PinoNestLogger } from './logging/logger';
import { Metrics } from './metrics/metrics';

/** The HTTP application (roles api and all), configured the same for main, tests and the spec writer. */
export async function createHttpApp(config: AppConfig, log: Logger): Promise<NestFastifyApplication> {
  // maxParamLength: a Go build id keyed as hex is ~166 characters (Fastify's default is 100).
  const adapter = new FastifyAdapter({ bodyLimit: config.limits.maxBodyBytes, logger: false, routerOptions: { maxParamLength: 512 } });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, log), adapter, {
    logger: new PinoNestLogger(log.child({ component: 'nest' })),
  });
  const fastify = app.getHttpAdapter().getInstance();
  await app.register(multipart as never, { limits: { fileSize: config.limits.maxUploadBytes } });
  registerRawTextParser(fastify, config.limits.maxBodyBytes);
  const metrics = app.get(Metrics);
  fastify.addHook('onResponse', (req, reply, done) => {
    metrics.httpRequests.inc({ route: req.routeOptions.url ?? 'unmatched', method: req.method, status: String(reply.statusCode) });
    log.info({ method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
    done();
  });
  await registerRateLimits(app, config.limits, { redis: app.get(RedisConnections).shared(), keyPrefix: sharedKeyPrefix(config) });
  app.useGlobalFilters(new HttpErrorFilter(log, config.limits));
  await mountQueueDashboard(app);
  SwaggerModule.setup('docs', app, () => loadCommittedSpec(app), { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });
  return app;
}

// Signals (drain, then exit 0) are handled by main.ts: src/shutdown.ts.

/** The worker role: no HTTP, just the processor and its symbolizers. */
export async function createWorkerApp(config: AppConfig, log: Logger) {
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, log), {
    logger: new PinoNestLogger(log.child({ component: 'nest' })),
  });
  return app;
}
