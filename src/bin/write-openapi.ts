import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import pino from 'pino';
import { buildOpenApiDocument, OPENAPI_PATH, toYaml } from '../api/openapi';
import { createHttpApp } from '../app.factory';
import { loadConfig } from '../config/config';

/** Writes openapi.yaml from the code (boots the app without listening). */
async function main(): Promise<void> {
  const config = { ...loadConfig({}), role: 'api' as const };
  const app = await createHttpApp(config, pino({ level: 'silent' }));
  await app.init();
  writeFileSync(OPENAPI_PATH, toYaml(buildOpenApiDocument(app)));
  process.stdout.write(`wrote ${OPENAPI_PATH}\n`);
  // No graceful close: the queue's Redis connection may still be opening, and closing it
  // then reports a spurious error. Nothing here needs draining.
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`write-openapi: ${(err as Error).stack}\n`);
  process.exit(1);
});
