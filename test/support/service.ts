import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getQueueToken } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
import pino, { Logger } from 'pino';
import { Limits } from '../../src/config/limits';
import { SymbolicateWorker } from '../../src/jobs/symbolicate.worker';
import { SYMBOLICATE_QUEUE } from '../../src/jobs/queue.constants';
import { createHttpApp } from '../../src/app.factory';
import { AppConfig, loadConfig } from '../../src/config/config';

/**
 * The real service in-process (role all: API + worker), listening on a free port,
 * against the real Redis at REDIS_URL (scripts/setup.sh starts one) under a queue
 * prefix of its own, with a fresh storage root.
 */
export interface TestService {
  url: string;
  config: AppConfig;
  app: NestFastifyApplication;
  close(): Promise<void>;
}

export type ServiceOverrides = Partial<Omit<AppConfig, 'limits'>> & { limits?: Partial<Limits> };

export async function startService(overrides: ServiceOverrides = {}, log: Logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })): Promise<TestService> {
  const storageRoot = mkdtempSync(join(tmpdir(), 'symbridge-store-'));
  const base = loadConfig(process.env);
  const config: AppConfig = {
    ...base,
    role: 'all',
    port: 0,
    host: '127.0.0.1',
    storageRoot,
    queuePrefix: `symbridge-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    ...overrides,
    limits: { ...base.limits, ...overrides.limits },
  };
  const app = await createHttpApp(config, log);
  await app.listen(0, '127.0.0.1');
  // Connections still initializing when closed report errors later (BullMQ): start fully first.
  await app.get<Queue>(getQueueToken(SYMBOLICATE_QUEUE)).waitUntilReady();
  if (config.role !== 'api') await app.get(SymbolicateWorker).waitUntilReady();
  const address = app.getHttpServer().address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    config,
    app,
    async close() {
      await app.close();
      rmSync(storageRoot, { recursive: true, force: true });
    },
  };
}

/** Upload files to the service's store as CI would. */
export async function upload(url: string, files: { name: string; data: Buffer }[], headers: Record<string, string> = {}): Promise<Response> {
  const form = new FormData();
  for (const f of files) form.append('files', new Blob([f.data]), f.name);
  return fetch(`${url}/v1/symbols`, { method: 'POST', body: form, headers });
}
