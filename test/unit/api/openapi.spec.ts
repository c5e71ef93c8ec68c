import { readFileSync } from 'node:fs';
import { buildOpenApiDocument, OPENAPI_PATH, toYaml } from '../../../src/api/openapi';
import { startService, TestService } from '../../support/service';

/** openapi.yaml is the served spec: it must be exactly what the code generates (npm run openapi). */
describe('OpenAPI document', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService();
  });
  afterAll(async () => svc?.close());

  it('openapi.yaml matches the code (run `npm run openapi` after changing the API)', () => {
    const generated = toYaml(buildOpenApiDocument(svc.app));
    expect(readFileSync(OPENAPI_PATH, 'utf8')).toBe(generated);
  });

  it('is served at /openapi.json and /docs, with the three request media types', async () => {
    const doc = (await (await fetch(`${svc.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>>;
    };
    expect(Object.keys(doc.paths['/v1/symbolicate'].post.requestBody!.content).sort()).toEqual([
      'application/json',
      'multipart/form-data',
      'text/plain',
    ]);
    const html = await (await fetch(`${svc.url}/docs`)).text();
    expect(html).toContain('swagger-ui');
  });
});
