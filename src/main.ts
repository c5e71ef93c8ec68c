#!/usr/bin/env node
import 'reflect-metadata';
import { createHttpApp, createWorkerApp } from './app.factory';
import { ConfigError, loadConfig } from './config/config';
import { createLogger } from './logging/logger';

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
    await createWorkerApp(config, log);
    log.info({ redis: config.redisUrl, storage: config.storageRoot }, 'worker started');
    return;
  }
  const app = await createHttpApp(config, log);
  await app.listen(config.port, config.host);
  log.info({ port: config.port, role: config.role, redis: config.redisUrl, storage: config.storageRoot }, 'listening');
}

main().catch((err) => {
  process.stderr.write(`symbridge: failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
