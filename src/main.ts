#!/usr/bin/env node
import 'reflect-metadata';
import { createHttpApp, createWorkerApp } from './app.factory';
import { describeRedis } from './adapters/redis-connection';
import { AppConfig, ConfigError, loadConfig } from './config/config';
import { createLogger } from './logging/logger';
import { startWorkerHttp } from './jobs/worker-http';
import { exitGracefullyOnSignals } from './shutdown';

/** Entry point: ROLE=api | worker | all (default all). */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`symbridge: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel, config.role);
  if (config.role === 'worker') {
    const app = await createWorkerApp(config, log);
    exitGracefullyOnSignals(app, log, config.shutdownTimeoutMs);
    if (config.metricsPort > 0) startWorkerHttp(app, config.metricsPort, config.host); // /metrics, /healthz, /readyz
    log.info({ redis: describeRedis(config.redis), store: storeDescription(config), metricsPort: config.metricsPort }, 'worker started');
    return;
  }
  const app = await createHttpApp(config, log);
  exitGracefullyOnSignals(app, log, config.shutdownTimeoutMs);
  await app.listen(config.port, config.host);
  log.info({ port: config.port, role: config.role, redis: describeRedis(config.redis), store: storeDescription(config) }, 'listening');
}

/** Logged at start: where the symbols are (never credentials). */
function storeDescription(config: AppConfig): string {
  const s3 = config.s3;
  return s3 ? `s3://${s3.bucket}/${s3.prefix}${s3.endpoint ? ` at ${s3.endpoint}` : ''} (cache ${config.cacheDir})` : config.storageRoot;
}

main().catch((err) => {
  process.stderr.write(`symbridge: failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
