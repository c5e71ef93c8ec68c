import { readFileSync } from 'node:fs';
import { UnifiedStack } from '../../src/model/unified-stack';
import { captured, groundTruth, HELLO_ID, LIBCRASHY, LIBCRASHY_ID, storeCase } from '../support/fixtures';
import { startService, TestService, upload } from '../support/service';

/** The symbol store through HTTP: uploads (concurrent too), listing, deletes, tokens, path safety, split debug files. */
const UPLOAD = 'upload-token-0123456789abcdef';
const ADMIN = 'admin-token-0123456789abcdefgh';
const READ = 'read-token-0123456789abcdefghij';
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe('open store (no tokens configured)', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService();
  });
  afterAll(async () => svc?.close());

  it('parallel uploads of one build-id: all 200, exactly one created, the stored bytes intact', async () => {
    const data = readFileSync(LIBCRASHY);
    const responses = await Promise.all(Array.from({ length: 8 }, () => upload(svc.url, [{ name: 'libcrashy.so', data }])));
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as { files: { created: boolean; build_id: string }[] }[];
    expect(bodies.filter((b) => b.files[0].created)).toHaveLength(1);
    const res = await fetch(`${svc.url}/buildid/${LIBCRASHY_ID}/executable`);
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
  });

  it('one request with several files answers per file: kind, contents, new or not', async () => {
    const res = await upload(svc.url, [
      { name: 'hello', data: readFileSync(storeCase('hello.stripped')) },
      { name: 'hello.debug', data: readFileSync(storeCase('hello.debug')) },
      { name: 'libcrashy.so', data: readFileSync(LIBCRASHY) },
    ]);
    expect(res.status).toBe(200);
    const { files } = (await res.json()) as { files: Record<string, unknown>[] };
    expect(files).toEqual([
      expect.objectContaining({ build_id: HELLO_ID, name: 'hello', kind: 'executable', created: true, stored: 'executable', arch: 'x86_64',
        has: { symtab: true, dynsym: true, dwarf: false, gopclntab: false }, debuglink: expect.objectContaining({ name: 'hello.debug' }) }),
      expect.objectContaining({ build_id: HELLO_ID, name: 'hello.debug', kind: 'debuginfo', created: true, stored: 'both' }),
      expect.objectContaining({ build_id: LIBCRASHY_ID, kind: 'both', created: false }),
    ]);
    const meta = (await (await fetch(`${svc.url}/v1/symbols/${HELLO_ID}`)).json()) as Record<string, unknown> & { files: Record<string, unknown> };
    expect(meta).toMatchObject({ build_id: HELLO_ID, name: 'hello', kind: 'both', has: { dwarf: true, symtab: true } });
    expect(Object.keys(meta.files).sort()).toEqual(['debuginfo', 'executable']);
  });

  it('no build-id: 422 that says to relink with -Wl,--build-id', async () => {
    const res = await upload(svc.url, [{ name: 'no-build-id', data: readFileSync(storeCase('no-build-id')) }]);
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ code: 'NO_BUILD_ID', message: expect.stringMatching(/-Wl,--build-id/) });
  });

  it('lists by name with a cursor', async () => {
    await upload(svc.url, [{ name: 'libcrashy.so', data: readFileSync(storeCase('libcrashy.stripped.so')) }]);
    const page = (await (await fetch(`${svc.url}/v1/symbols?name=libcrashy.so&limit=1`)).json()) as { items: { build_id: string }[]; next_cursor?: string };
    expect(page.items.map((i) => i.build_id)).toEqual([LIBCRASHY_ID]);
    expect(page.next_cursor).toBeUndefined();
    const all = (await (await fetch(`${svc.url}/v1/symbols?limit=1`)).json()) as { items: { build_id: string }[]; next_cursor?: string };
    expect(all.items).toHaveLength(1);
    const next = (await (await fetch(`${svc.url}/v1/symbols?limit=1&cursor=${all.next_cursor}`)).json()) as { items: { build_id: string }[] };
    expect(next.items.map((i) => i.build_id)).not.toEqual(all.items.map((i) => i.build_id));
    expect((await fetch(`${svc.url}/v1/symbols?limit=100000`)).status).toBe(400);
    expect((await fetch(`${svc.url}/v1/symbols?cursor=../../x`)).status).toBe(400);
    expect((await fetch(`${svc.url}/v1/symbols?bogus=1`)).status).toBe(400);
  });

  it('build-ids in URLs are validated before any file is touched', async () => {
    // ('..' and '%2E%2E' never arrive: clients normalize them away.)
    for (const bad of ['..%2F..%2Fetc%2Fpasswd', 'xyz', '0123456789abcde', 'a'.repeat(258)]) {
      expect((await fetch(`${svc.url}/v1/symbols/${bad}`)).status).toBe(400);
      expect((await fetch(`${svc.url}/buildid/${bad}/debuginfo`)).status).toBe(400);
    }
    // A Go build id keyed as hex is long but valid: absent, not refused.
    const goKey = Buffer.from(`${'A'.repeat(20)}/${'B'.repeat(20)}/${'C'.repeat(20)}/${'D'.repeat(20)}`).toString('hex');
    expect((await fetch(`${svc.url}/v1/symbols/${goKey}`)).status).toBe(404);
    expect((await fetch(`${svc.url}/buildid/${LIBCRASHY_ID}/..%2F..%2Fmeta`)).status).toBe(404);
    expect((await fetch(`${svc.url}/buildid/${LIBCRASHY_ID}/source`)).status).toBe(404);
  });

  it('deleting is refused when no admin token is configured', async () => {
    const res = await fetch(`${svc.url}/v1/symbols/${LIBCRASHY_ID}`, { method: 'DELETE' });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/ADMIN_TOKENS/) });
  });
});

describe('a stripped library with its debug file uploaded apart', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService();
  });
  afterAll(async () => svc?.close());

  async function crashFrame() {
    const res = await fetch(`${svc.url}/v1/symbolicate?wait=20`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ traceback: captured('pie', 'stderr'), maps: captured('pie', 'maps') }),
    });
    expect(res.status).toBe(200);
    const stack = (await res.json()) as UnifiedStack;
    return stack.threads.find((t) => t.crashed)!.frames[0];
  }

  it('resolves the crash with file and line from the separate DWARF', async () => {
    // Only the stripped library (no .symtab, no DWARF): no name for the fault PC.
    expect((await upload(svc.url, [{ name: 'libcrashy.so', data: readFileSync(storeCase('libcrashy.stripped.so')) }])).status).toBe(200);
    const before = await crashFrame();
    expect(before.file).toBeUndefined();
    // Then the debug file, uploaded on its own, under its own name.
    const res = await upload(svc.url, [{ name: 'libcrashy.so.debug', data: readFileSync(storeCase('libcrashy.so.debug')) }]);
    expect(((await res.json()) as { files: { stored: string }[] }).files[0].stored).toBe('both');
    const frame = await crashFrame();
    const truth = groundTruth('pie').llvm_symbolizer[0].Symbol;
    const physical = truth[truth.length - 1];
    expect(frame).toMatchObject({ source: 'dwarf', function: physical.FunctionName, file: physical.FileName, line: physical.Line, build_id: LIBCRASHY_ID });
  });
});

describe('tokens', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService({ tokens: { upload: [UPLOAD], admin: [ADMIN], read: [READ] }, readAccess: 'token' });
  });
  afterAll(async () => svc?.close());
  const lib = () => [{ name: 'libcrashy.so', data: readFileSync(LIBCRASHY) }];

  it('uploads need an upload or admin token', async () => {
    expect((await upload(svc.url, lib())).status).toBe(401);
    expect((await upload(svc.url, lib(), bearer('not-a-valid-token-at-all'))).status).toBe(401);
    const ro = await upload(svc.url, lib(), bearer(READ));
    expect(ro.status).toBe(403);
    const body = await ro.text();
    expect(body).not.toContain(READ);
    expect((await upload(svc.url, lib(), bearer(UPLOAD))).status).toBe(200);
  });

  it('closed reads need a token of any scope, for the API and for debuginfod', async () => {
    expect((await fetch(`${svc.url}/v1/symbols/${LIBCRASHY_ID}`)).status).toBe(401);
    expect((await fetch(`${svc.url}/buildid/${LIBCRASHY_ID}/debuginfo`)).status).toBe(401);
    expect((await fetch(`${svc.url}/v1/symbols`)).status).toBe(401);
    expect((await fetch(`${svc.url}/v1/symbols/${LIBCRASHY_ID}`, { headers: bearer(READ) })).status).toBe(200);
    expect((await fetch(`${svc.url}/buildid/${LIBCRASHY_ID}/debuginfo`, { headers: bearer(UPLOAD) })).status).toBe(200);
  });

  it('symbolicating reads stored symbols: it needs a token of any scope too, and the answer is resolved with one', async () => {
    const crash = JSON.stringify({ traceback: captured('pie', 'stderr'), maps: captured('pie', 'maps') });
    const post = (headers: Record<string, string> = {}) =>
      fetch(`${svc.url}/v1/symbolicate?wait=20`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: crash });
    const anon = await post();
    expect(anon.status).toBe(401);
    expect(await anon.json()).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/symbolicat.*SYMBOLS_READ_ACCESS=token/) });
    expect((await post(bearer('not-a-valid-token-at-all'))).status).toBe(401);
    const paste = await fetch(`${svc.url}/v1/symbolicate`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: captured('pie', 'stderr') });
    expect(paste.status).toBe(401);
    const ok = await post(bearer(READ));
    expect(ok.status).toBe(200);
    const stack = (await ok.json()) as UnifiedStack;
    expect(stack.threads.find((t) => t.crashed)!.frames[0]).toMatchObject({ source: 'dwarf' });
  });

  it('deletes need the admin scope', async () => {
    const del = (t?: string) => fetch(`${svc.url}/v1/symbols/${LIBCRASHY_ID}`, { method: 'DELETE', headers: t ? bearer(t) : {} });
    expect((await del()).status).toBe(401);
    expect((await del(UPLOAD)).status).toBe(403);
    expect((await del(ADMIN)).status).toBe(204);
    expect((await fetch(`${svc.url}/v1/symbols/${LIBCRASHY_ID}`, { headers: bearer(ADMIN) })).status).toBe(404);
    expect((await fetch(`${svc.url}/buildid/${LIBCRASHY_ID}/executable`, { headers: bearer(ADMIN) })).status).toBe(404);
    expect((await del(ADMIN)).status).toBe(404);
  });
});

describe('limits', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService({ limits: { maxBodyBytes: 64 * 1024, maxUploadBytes: 16 * 1024, maxUploadFiles: 2, maxWaitSeconds: 10 } });
  });
  afterAll(async () => svc?.close());

  it('more files than MAX_UPLOAD_FILES, or a file over MAX_UPLOAD_BYTES: 413 naming the limit; no temp file left', async () => {
    const hello = { name: 'hello.debug', data: readFileSync(storeCase('hello.debug')) };
    const many = await upload(svc.url, [hello, hello, hello]);
    expect(many.status).toBe(413);
    expect(await many.json()).toMatchObject({ code: 'INPUT_TOO_LARGE', message: expect.stringMatching(/more than 2 files.*MAX_UPLOAD_FILES/) });
    const big = await upload(svc.url, [{ name: 'libcrashy.so', data: readFileSync(LIBCRASHY) }]);
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ message: expect.stringMatching(/libcrashy\.so is larger than the upload limit of 16384 bytes/) });
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(`${svc.config.storageRoot}/.tmp`)).toEqual([]);
  });
});
