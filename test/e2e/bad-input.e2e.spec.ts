import { readFileSync } from 'node:fs';
import { UnifiedStack } from '../../src/model/unified-stack';
import { captured, LIBCRASHY } from '../support/fixtures';
import { startService, TestService, upload } from '../support/service';

/**
 * Bad input on the main path: each case gets a clear 4xx naming what and where, or a
 * diagnostic in the result — never a 500 or a stuck job.
 */
let svc: TestService;
const traceback = captured('exe', 'stderr');
const maps = captured('exe', 'maps');

beforeAll(async () => {
  svc = await startService({ limits: { maxBodyBytes: 64 * 1024, maxUploadBytes: 1024 * 1024, maxUploadFiles: 4, maxWaitSeconds: 30 } });
});
afterAll(async () => svc?.close());

async function post(body: string | FormData, contentType?: string, query = '?wait=20') {
  const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
  const res = await fetch(`${svc.url}/v1/symbolicate${query}`, { method: 'POST', headers, body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('symbolicate refuses bad requests with a 4xx that says what and where', () => {
  it('empty text body', async () => {
    const r = await post('', 'text/plain');
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'INPUT_EMPTY' });
  });

  it('empty JSON body and JSON without any crash text', async () => {
    expect((await post('', 'application/json')).status).toBe(400);
    const r = await post(JSON.stringify({ maps: ' \n', modules: [{ path: '/x.so', build_id: 'ab'.repeat(20) }] }), 'application/json');
    expect(r).toMatchObject({ status: 400, body: { code: 'INPUT_EMPTY', field: 'traceback' } });
  });

  it('JSON with maps alone: 200 with the module table and a no-pcs diagnostic', async () => {
    const r = await post(JSON.stringify({ maps }), 'application/json');
    expect(r.status).toBe(200);
    const stack = r.body as unknown as UnifiedStack;
    expect(stack.threads).toEqual([]);
    expect(stack.modules.find((m) => m.path.endsWith('/crashy-exe'))?.ranges?.length).toBe(maps.split('\n').filter((l) => l.endsWith('/crashy-exe')).length);
    expect(stack.diagnostics.map((d) => d.code)).toContain('no-pcs');
  });

  it('JSON that does not parse', async () => {
    const r = await post('{"traceback": ', 'application/json');
    expect(r.status).toBe(400);
    expect(String(r.body.message)).toMatch(/JSON/);
  });

  it('body over the limit: 413 naming the limit', async () => {
    const r = await post('x'.repeat(70 * 1024), 'text/plain');
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({ code: 'INPUT_TOO_LARGE' });
    expect(String(r.body.message)).toContain(String(64 * 1024));
  });

  it('unsupported content type: 415', async () => {
    const r = await post('<crash/>', 'application/xml');
    expect(r).toMatchObject({ status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
  });

  it('unknown JSON fields are refused (whitelist), wrong types named', async () => {
    const r = await post(JSON.stringify({ traceback, maps, colour: 'red', modules: [{ path: 'x', build_id: 'zz' }] }), 'application/json');
    expect(r.status).toBe(400);
    expect(r.body.details).toEqual(expect.arrayContaining([expect.stringMatching(/colour should not exist/), expect.stringMatching(/build_id/)]));
  });

  it('a traceback with no frames: 422 naming the line and what was expected', async () => {
    const r = await post(JSON.stringify({ traceback: 'hello\nthis is not a crash\n' }), 'application/json');
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: 'PARSE_ERROR', line: 1, field: 'traceback' });
    expect(String(r.body.message)).toMatch(/goroutine 1 \[running\]/);
  });

  it('maps that do not parse: 422 with the maps line number', async () => {
    const bad = maps.split('\n');
    bad.splice(3, 0, 'this line is not a mapping');
    const r = await post(JSON.stringify({ traceback, maps: bad.join('\n') }), 'application/json');
    expect(r).toMatchObject({ status: 422, body: { code: 'PARSE_ERROR', line: 4, field: 'maps' } });
  });

  it('unknown multipart field: 400 naming the field', async () => {
    const form = new FormData();
    form.append('traceback', traceback);
    form.append('mapz', maps);
    const r = await post(form);
    expect(r).toMatchObject({ status: 400, body: { code: 'INPUT_INVALID', field: 'mapz' } });
  });

  it('?wait out of range is refused', async () => {
    const r = await post(traceback, 'text/plain', '?wait=abc');
    expect(r.status).toBe(400);
  });

  it('an unknown job id is a 404, a malformed one a 400', async () => {
    expect((await fetch(`${svc.url}/v1/jobs/999999999`)).status).toBe(404);
    expect((await fetch(`${svc.url}/v1/jobs/${encodeURIComponent('../../etc')}`)).status).toBe(400);
  });
});

describe('problems inside a crash are diagnostics, not failures', () => {
  it('no maps: the native PC is reported unresolved with the reason', async () => {
    const r = await post(traceback, 'text/plain');
    expect(r.status).toBe(200);
    const stack = r.body as unknown as UnifiedStack;
    const top = stack.threads.find((t) => t.crashed)!.frames[0];
    expect(top).toMatchObject({ kind: 'native', source: 'unresolved' });
    expect(top.reason).toMatch(/no \/proc\/PID\/maps/);
  });

  it('a PC in no mapping is reported as such; the Go frames are still there', async () => {
    const onlyExe = maps.split('\n').filter((l) => l.includes('crashy-exe')).join('\n');
    const r = await post(JSON.stringify({ traceback, maps: onlyExe }), 'application/json');
    expect(r.status).toBe(200);
    const stack = r.body as unknown as UnifiedStack;
    const thread = stack.threads.find((t) => t.crashed)!;
    expect(thread.frames[0].reason).toMatch(/in no mapping/);
    expect(thread.frames[0].input_line).toBe(2); // the [signal ... pc=] line
    expect(thread.frames[1].function).toBe('runtime.cgocall');
  });

  it('a module nobody uploaded is "missing", with how to upload it', async () => {
    const r = await post(JSON.stringify({ traceback, maps }), 'application/json');
    const stack = r.body as unknown as UnifiedStack;
    expect(stack.modules[0]).toMatchObject({ status: 'missing' });
    expect(stack.diagnostics.map((d) => d.message).join('\n')).toMatch(/no uploaded file named libcrashy\.so; upload it/);
  });
});

describe('uploads refuse what cannot be used', () => {
  it('not ELF: 422, nothing stored', async () => {
    const res = await upload(svc.url, [{ name: 'notes.txt', data: Buffer.from('hello, not an ELF file\n') }]);
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ code: 'ELF_INVALID' });
  });

  it('truncated ELF: 422 naming the offset', async () => {
    const res = await upload(svc.url, [{ name: 'libcrashy.so', data: readFileSync(LIBCRASHY).subarray(0, 100) }]);
    expect(res.status).toBe(422);
    expect(String(((await res.json()) as { message: string }).message)).toMatch(/offset/);
  });

  it('a file over the upload limit: 413', async () => {
    const res = await upload(svc.url, [{ name: 'big.so', data: Buffer.alloc(1024 * 1024 + 10) }]);
    expect(res.status).toBe(413);
  });

  it('an unknown build-id is a 404 that says how to upload; a bad one a 400', async () => {
    const res = await fetch(`${svc.url}/v1/symbols/0123456789abcdef`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { message: string }).message).toMatch(/upload it with/);
    expect((await fetch(`${svc.url}/v1/symbols/..%2F..%2Fetc`)).status).toBe(400);
  });

  it('the same build-id twice is idempotent', async () => {
    type Uploaded = { files: Record<string, unknown>[] };
    const a = (await (await upload(svc.url, [{ name: 'libcrashy.so', data: readFileSync(LIBCRASHY) }])).json()) as Uploaded;
    const b = (await (await upload(svc.url, [{ name: 'libcrashy.so', data: readFileSync(LIBCRASHY) }])).json()) as Uploaded;
    expect(a.files[0]).toMatchObject({ build_id: '4a5dec3d49a4e6fc848f77b4d53deac14f525455', created: true });
    expect(b.files[0]).toMatchObject({ build_id: '4a5dec3d49a4e6fc848f77b4d53deac14f525455', created: false, kind: 'both' });
    const meta = await (await fetch(`${svc.url}/v1/symbols/4a5dec3d49a4e6fc848f77b4d53deac14f525455`)).json();
    expect(meta).toMatchObject({ name: 'libcrashy.so', has: { dwarf: true, symtab: true } });
  });
});
