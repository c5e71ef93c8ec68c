import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, getSchemaPath, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { stringify } from 'yaml';
import { DEFAULT_LIMITS } from '../config/limits';
import { SymbolicateRequestDto } from './dto/symbolicate.dto';
import { errorExample } from './error-examples';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const OPENAPI_PATH = join(REPO_ROOT, 'openapi.yaml');
const FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'cgo-crash', 'captured');

/**
 * The OpenAPI document, built from the controllers' decorators, plus what the
 * decorators cannot say: one request body in three media types, each with a working
 * example taken from the fixture crash. Keys are sorted so the file diffs cleanly.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('symbridge')
    .setDescription(
      'Symbolization for cross-language crash stacks: Go tracebacks, cgo/native frames and JNI, resolved from ' +
        'debug files uploaded by build-id. Paste a crash into POST /v1/symbolicate (text/plain) and press Execute.\n\n' +
        `Connections (every endpoint, config in README): request line and headers within HTTP_HEADERS_TIMEOUT_MS (default ` +
        `${DEFAULT_LIMITS.headersTimeoutMs / 1000} s) and the whole request within HTTP_REQUEST_TIMEOUT_MS (default ` +
        `${DEFAULT_LIMITS.requestTimeoutMs / 1000} s), else 408 and closed; a body that sends nothing for HTTP_BODY_IDLE_TIMEOUT_MS ` +
        `(default ${DEFAULT_LIMITS.bodyIdleTimeoutMs / 1000} s) is aborted and the connection closed (a partial upload is discarded); ` +
        `idle keep-alive connections close after HTTP_KEEPALIVE_TIMEOUT_MS (default ${DEFAULT_LIMITS.keepAliveTimeoutMs / 1000} s). ` +
        `At most HTTP_MAX_INFLIGHT_BODIES (default ${DEFAULT_LIMITS.maxInflightBodies}) request bodies are received at once per ` +
        'instance; beyond it 503 SERVER_BUSY with Retry-After before the body is read.',
    )
    .setVersion('0.1.0')
    .addBearerAuth()
    // Tag order is the page's order: what the on-call engineer came for first.
    .addTag('symbolicate', 'Paste a crash, get one symbolized stack')
    .addTag('symbols', 'Debug files by build-id: CI uploads, listing, metadata')
    .addTag('debuginfod', 'The same store for gdb, perf and debuginfod-find')
    .addTag('health', 'Liveness, readiness and metrics')
    .build();
  const doc = SwaggerModule.createDocument(app, config, {
    extraModels: [SymbolicateRequestDto],
    operationIdFactory: (_controller, method) => method,
  });
  const op = doc.paths['/v1/symbolicate']?.post;
  if (op) {
    const stderr = readFixture('exe.stderr.txt');
    const maps = readFixture('exe.maps.txt');
    op.requestBody = {
      required: true,
      description: 'The crash, one of three ways. Body at most MAX_BODY_BYTES (default 8 MiB).',
      content: {
        'text/plain': {
          schema: {
            type: 'string',
            description:
              'One paste: the Go traceback and the /proc/PID/maps lines, in any order. Any bytes: read as the declared charset ' +
              '(e.g. charset=iso-8859-1), else as UTF-8, where each invalid sequence becomes U+FFFD and a text-decoded diagnostic names its byte offset and line',
          },
          example: `${stderr}\n${maps}`,
        },
        'application/json': {
          schema: { $ref: getSchemaPath(SymbolicateRequestDto) },
          example: { traceback: stderr, maps },
        },
        'multipart/form-data': {
          schema: {
            type: 'object',
            description:
              'Text fields sent as files are read as UTF-8, each invalid sequence named (field, byte offset, line) in a text-decoded ' +
              'diagnostic; plain fields are decoded by their part\'s charset, and U+FFFD in one is reported with its lines.',
            properties: {
              traceback: { type: 'string', format: 'binary', description: 'Go traceback (file or text)' },
              maps: { type: 'string', format: 'binary', description: '/proc/PID/maps (file or text)' },
              crash_dump: { type: 'string', format: 'binary', description: 'An hs_err log or Android tombstone (file or text)' },
              core_dump: {
                type: 'string',
                format: 'binary',
                description:
                  'An ELF core file (x86-64), plain or gzip-, xz- or zstd-compressed (told apart by magic); the traceback, ' +
                  'maps and modules fields may come beside it (a Go traceback of the same crash adds goroutine states). ' +
                  `Streamed to the store, never held in memory; at most MAX_CORE_BYTES (default ${DEFAULT_LIMITS.maxCoreBytes / 1024 ** 3} GiB) ` +
                  'before and after decompression, else 413; not a core, another architecture, corrupt compression: 422. ' +
                  'Deleted once its job expires (JOB_RETENTION_SECONDS). The result: one thread per LWP, crashed first, then the goroutines.',
              },
              modules: { type: 'string', description: 'JSON array of {path, build_id}' },
            },
          },
        },
      },
    };
  }
  documentResponses(doc);
  return sortKeys(doc) as OpenAPIObject;
}

/** What Accept: text/plain gives: the readable rendering, text (not the JSON schema). */
const TEXT_200 = {
  schema: { type: 'string', description: 'The unified stack as text: the traceback as the engineer knows it, native frames filled in (src/render/text.renderer.ts; the example is abridged)' },
  example:
    'SIGSEGV: segmentation violation\n\ngoroutine 1 [syscall, crashed]:\ncrashy_fault\n\tcrashy.c:12 (libcrashy.so+0x1139)\n' +
    'main._Cfunc_crashy_fault()\n\t_cgo_gotypes.go:39 +0x41\nmain.main()\n\t/src/main.go:9 +0x18\n',
};

/** /readyz's 503, which is not an error body: which check failed, in its words. */
const NOT_READY = { status: 'unavailable', checks: { redis: 'Redis is not reachable (connection reconnecting); try again shortly', storage: 'ok' } };

/**
 * What the decorators cannot say per status: errors are JSON only (never text/plain,
 * even where the 200 is), each status with its own example; the 200 of a route that
 * renders text documented as text.
 */
function documentResponses(doc: OpenAPIObject): void {
  for (const item of Object.values(doc.paths)) {
    for (const op of Object.values(item) as { operationId?: string; responses?: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }> }[]) {
      if (!op?.responses || !op.operationId) continue;
      for (const [code, response] of Object.entries(op.responses)) {
        const status = Number(code);
        const json = response.content?.['application/json'];
        if (!json) continue;
        if (status === 503 && json.schema?.$ref?.endsWith('/HealthDto')) {
          response.content = { 'application/json': { ...json, example: NOT_READY } } as never;
        } else if (status >= 400 && json.schema?.$ref?.endsWith('/ErrorDto')) {
          const example = errorExample(op.operationId, status);
          response.content = { 'application/json': example ? { ...json, example } : json } as never;
        } else if (status === 200 && response.content?.['text/plain']) {
          response.content['text/plain'] = TEXT_200 as never;
        } else if (status === 202) {
          response.content = { 'application/json': json } as never;
        }
      }
    }
  }
}

export function toYaml(doc: OpenAPIObject): string {
  return stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** The committed spec, which is what /docs serves (a test keeps it equal to the code). */
export function loadCommittedSpec(app: INestApplication): OpenAPIObject {
  if (existsSync(OPENAPI_PATH)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { parse } = require('yaml') as typeof import('yaml');
    return parse(readFileSync(OPENAPI_PATH, 'utf8')) as OpenAPIObject;
  }
  return buildOpenApiDocument(app);
}

function readFixture(name: string): string {
  const p = join(FIXTURE, name);
  return existsSync(p) ? readFileSync(p, 'utf8') : '';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
