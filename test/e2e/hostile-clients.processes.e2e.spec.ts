import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceProcess, startHttpProcess, uniquePrefix } from '../support/processes';
import { rawRequest } from '../support/raw-http';

/**
 * Clients that break HTTP on purpose, against the real service as a `node dist/main.js`
 * process (ROLE=all): malformed multipart bodies and paths that climb out of /docs.
 * Each is a 4xx that says what was wrong, never a 500 (issue 14, item 5).
 */
jest.setTimeout(60_000);

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
let svc: ServiceProcess;
let root: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'symbridge-hostile-clients-'));
  svc = await startHttpProcess('all', { redisUrl, prefix: uniquePrefix('hostile-clients'), storageRoot: root });
});
afterAll(async () => {
  await svc?.stop();
  rmSync(root, { recursive: true, force: true });
});

type Err = { status: number; code: string; message: string };

describe('malformed multipart bodies', () => {
  const part = (name: string, filename?: string) =>
    `--XX\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ''}\r\n\r\n`;
  for (const [route, fileField] of [['/v1/symbols', 'files'], ['/v1/symbolicate', 'traceback']]) {
    const cases: [string, string, string][] = [
      ['no boundary in the Content-Type', 'multipart/form-data', 'hello'],
      ['a body that is not multipart at all', 'multipart/form-data; boundary=XX', 'garbage garbage'],
      ['a file part that ends before its closing boundary', 'multipart/form-data; boundary=XX', `${part(fileField, 'crash.txt')}\x7fELF...`],
      ['a text field that ends before its closing boundary', 'multipart/form-data; boundary=XX', `${part('maps')}55d4a0000000-55d4a0001000 r-xp`],
    ];
    it.each(cases)(`${route}: %s -> 400 naming the problem`, async (_name, type, body) => {
      const res = await rawRequest(svc.url!, 'POST', route, { 'content-type': type }, body);
      expect(res.status).toBe(400);
      const err = JSON.parse(res.body) as Err;
      expect(err.code).toBe('INPUT_INVALID');
      expect(err.message).toMatch(/multipart/);
    });
  }

  it('nothing was stored, and the service answers normally afterwards', async () => {
    expect((await rawRequest(svc.url!, 'GET', '/v1/symbols')).body).toBe('{"items":[]}');
    expect((await rawRequest(svc.url!, 'GET', '/healthz')).status).toBe(200);
    expect(svc.logs).not.toMatch(/"level":50/);
  });
});

describe('paths that climb out of /docs', () => {
  it.each([
    ['/docs/../..', 403],
    ['/docs/../../package.json', 403],
    ['/docs/%2e%2e/%2e%2e/etc/passwd', 403],
    ['/docs/%00', 400],
  ])('%s -> %d, never a file from outside', async (path, status) => {
    const res = await rawRequest(svc.url!, 'GET', path);
    expect(res.status).toBe(status);
    expect(JSON.parse(res.body)).toMatchObject({ status, message: expect.any(String) });
    expect(res.body).not.toMatch(/symbridge|root:/);
  });
});
