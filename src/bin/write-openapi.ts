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
  await app.close();
  process.stdout.write(`wrote ${OPENAPI_PATH}\n`);
}

void main();
