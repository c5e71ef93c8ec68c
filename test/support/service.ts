import { SymcacheWorker } from '../../src/jobs/symcache.worker';
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
import { S3_PART_SIZE, S3_QUEUE_SIZE } from '../../src/symbol-store/s3-object.store';
import { S3Server } from './s3-server';

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
  if (config.role !== 'api') await app.get(SymcacheWorker).waitUntilReady();
  const address = app.getHttpServer().address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    config,
    app,
    async close() {
      await app.close();
      rmSync(storageRoot, { recursive: true, force: true });
      if (config.storeBackend === 's3') rmSync(config.cacheDir, { recursive: true, force: true });
    },
  };
}

/** Upload files to the service's store as CI would. */
export async function upload(url: string, files: { name: string; data: Buffer }[], headers: Record<string, string> = {}): Promise<Response> {
  const form = new FormData();
  for (const f of files) form.append('files', new Blob([f.data]), f.name);
  return fetch(`${url}/v1/symbols`, { method: 'POST', body: form, headers });
}

/**
 * The overrides that put a test service's store on S3 (a real endpoint: test/support/s3-server.ts),
 * under a key prefix of its own, with its own local cache. Credentials go through the
 * SDK's usual environment variables, as in production.
 */
export function s3Overrides(s3: S3Server, extra: { cacheMaxBytes?: number } = {}): ServiceOverrides {
  process.env.AWS_ACCESS_KEY_ID = s3.accessKey;
  process.env.AWS_SECRET_ACCESS_KEY = s3.secretKey;
  return {
    storeBackend: 's3',
    s3: {
      bucket: s3.bucket,
      prefix: `svc-${process.pid}-${Math.random().toString(36).slice(2, 8)}/`,
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      timeoutMs: 5000,
      partSize: S3_PART_SIZE,
      queueSize: S3_QUEUE_SIZE,
    },
    cacheDir: mkdtempSync(join(tmpdir(), 'symbridge-cache-')),
    cacheMaxBytes: extra.cacheMaxBytes ?? 1024 ** 3,
  };
}
