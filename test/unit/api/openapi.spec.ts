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

  it('documents each error status with its own JSON example, and the text rendering as text', () => {
    const doc = buildOpenApiDocument(svc.app) as unknown as {
      paths: Record<string, Record<string, { operationId: string; responses: Record<string, { content?: Record<string, { schema?: { $ref?: string; type?: string }; example?: { status: number; code: string; message: string } }> }> }>>;
    };
    let errors = 0;
    for (const item of Object.values(doc.paths)) {
      for (const op of Object.values(item)) {
        const messages = new Set<string>();
        for (const [code, r] of Object.entries(op.responses)) {
          const json = r.content?.['application/json'];
          if (Number(code) < 400 || !json?.schema?.$ref?.endsWith('/ErrorDto')) continue;
          errors++;
          expect(Object.keys(r.content!)).toEqual(['application/json']); // errors are never text
          expect({ op: op.operationId, code, status: json.example?.status }).toEqual({ op: op.operationId, code, status: Number(code) });
          messages.add(json.example!.message);
        }
        // Each status its own example: as many distinct messages as error statuses.
        expect(messages.size).toBe(Object.entries(op.responses).filter(([c, r]) => Number(c) >= 400 && r.content?.['application/json']?.schema?.$ref?.endsWith('/ErrorDto')).length);
      }
    }
    expect(errors).toBeGreaterThan(20);
    for (const [path, method] of [['/v1/symbolicate', 'post'], ['/v1/jobs/{id}', 'get']]) {
      const text = doc.paths[path][method].responses['200'].content!['text/plain'];
      expect(text.schema).toMatchObject({ type: 'string' });
      expect(String(text.example)).toMatch(/^goroutine 1 \[/m);
    }
  });

  it('a bad ?wait is refused with one message, the rule the spec documents', async () => {
    const doc = buildOpenApiDocument(svc.app) as unknown as { paths: Record<string, Record<string, { parameters: { name: string; description: string }[] }>> };
    const documented = doc.paths['/v1/symbolicate'].post.parameters.find((p) => p.name === 'wait')!.description;
    for (const wait of ['abc', '-1', '1.5', '601']) {
      const res = await fetch(`${svc.url}/v1/symbolicate?wait=${wait}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'goroutine 1 [running]:\n' });
      const body = (await res.json()) as { status: number; details: string[]; message: string };
      expect({ wait, status: res.status }).toEqual({ wait, status: 400 });
      expect(body.details).toHaveLength(1);
      expect(body.details[0]).toMatch(/^wait: whole seconds from 0 to 600; a wait over MAX_WAIT_SECONDS \(default 60\) ends at MAX_WAIT_SECONDS$/);
      expect(documented).toContain(body.details[0]);
    }
  });
});
