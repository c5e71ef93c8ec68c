import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HELLO_ID, LIBCRASHY, LIBCRASHY_ID, storeCase } from '../support/fixtures';
import { startService, TestService, upload } from '../support/service';

/**
 * debuginfod compatibility, proven with the real clients: elfutils' debuginfod-find
 * and gdb fetch from the service; a second instance uses the first as its upstream.
 */
const run = promisify(execFile);
let svc: TestService;
let work: string;

beforeAll(async () => {
  svc = await startService();
  work = mkdtempSync(join(tmpdir(), 'symbridge-debuginfod-'));
  // hello: the stripped binary and, separately, its debug file. libcrashy: unstripped (both).
  const res = await upload(svc.url, [
    { name: 'hello', data: readFileSync(storeCase('hello.stripped')) },
    { name: 'hello.debug', data: readFileSync(storeCase('hello.debug')) },
    { name: 'libcrashy.so', data: readFileSync(LIBCRASHY) },
  ]);
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await svc?.close();
  rmSync(work, { recursive: true, force: true });
});

/** A client environment with nothing but our server and a fresh cache. */
function clientEnv(url: string, cache: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: work, DEBUGINFOD_URLS: url, DEBUGINFOD_CACHE_PATH: cache, DEBUGINFOD_TIMEOUT: '10' };
}

describe('the debuginfod web API', () => {
  it('GET answers the file with Content-Length and X-Debuginfod-Size/-File; HEAD the same headers, no body', async () => {
    const debug = readFileSync(storeCase('hello.debug'));
    const get = await fetch(`${svc.url}/buildid/${HELLO_ID}/debuginfo`);
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toBe('application/octet-stream');
    expect(get.headers.get('content-length')).toBe(String(debug.length));
    expect(get.headers.get('x-debuginfod-size')).toBe(String(debug.length));
    expect(get.headers.get('x-debuginfod-file')).toBe('/hello.debug');
    expect(Buffer.from(await get.arrayBuffer()).equals(debug)).toBe(true);
    const head = await fetch(`${svc.url}/buildid/${HELLO_ID}/executable`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(readFileSync(storeCase('hello.stripped')).length));
    expect(head.headers.get('x-debuginfod-size')).toBe(head.headers.get('content-length'));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it('an unstripped upload is both debuginfo and executable; absent ones are 404 (GET and HEAD)', async () => {
    const lib = readFileSync(LIBCRASHY);
    for (const artifact of ['debuginfo', 'executable']) {
      const res = await fetch(`${svc.url}/buildid/${LIBCRASHY_ID}/${artifact}`);
      expect(Buffer.from(await res.arrayBuffer()).equals(lib)).toBe(true);
    }
    const absent = 'ffffffffffffffffffffffffffffffffffffffff';
    expect((await fetch(`${svc.url}/buildid/${absent}/debuginfo`)).status).toBe(404);
    expect((await fetch(`${svc.url}/buildid/${absent}/executable`, { method: 'HEAD' })).status).toBe(404);
  });

  it('debuginfod-find (elfutils) fetches the uploaded debug file and executable', async () => {
    const cache = join(work, 'find-cache');
    const env = clientEnv(svc.url, cache);
    const dbg = await run('debuginfod-find', ['debuginfo', HELLO_ID], { env });
    const path = dbg.stdout.trim();
    expect(path.startsWith(cache)).toBe(true);
    expect(readFileSync(path).equals(readFileSync(storeCase('hello.debug')))).toBe(true);
    const exe = await run('debuginfod-find', ['executable', HELLO_ID], { env });
    expect(readFileSync(exe.stdout.trim()).equals(readFileSync(storeCase('hello.stripped')))).toBe(true);
    const missing = await run('debuginfod-find', ['debuginfo', 'ffffffffffffffffffffffffffffffffffffffff'], { env }).catch((e: { code: number; stderr: string }) => e);
    expect((missing as { code: number }).code).not.toBe(0);
    expect((missing as { stderr: string }).stderr).toMatch(/No such file or directory|not found/i);
  });

  it('gdb loads the DWARF of a stripped binary from the store (source line of a function)', async () => {
    const bin = join(work, 'hello');
    copyFileSync(storeCase('hello.stripped'), bin); // no hello.debug next to it: only the store has the DWARF
    // -iex: the setting must be on before gdb loads the file (-ex runs after, and gdb would ask and answer no).
    const gdb = (env: NodeJS.ProcessEnv) =>
      run('gdb', ['-batch', '-nx', '-iex', 'set debuginfod enabled on', '-ex', 'info line store_case_answer', bin], { env });
    const without = await gdb(clientEnv('http://127.0.0.1:9/', join(work, 'gdb-cache-none')));
    expect(without.stdout).toMatch(/No line number information/);
    const withStore = await gdb(clientEnv(svc.url, join(work, 'gdb-cache')));
    expect(withStore.stdout).toMatch(/Line 5 of "hello\.c" starts at address 0x[0-9a-f]+ <store_case_answer/);
  });
});

describe('upstream debuginfod servers', () => {
  let edge: TestService;
  beforeAll(async () => {
    edge = await startService({ upstreamDebuginfodUrls: [svc.url], upstreamTimeoutMs: 5000 });
  });
  afterAll(async () => edge?.close());

  it('a missing build-id is fetched from upstream once, verified, and kept', async () => {
    const debug = readFileSync(storeCase('hello.debug'));
    const res = await fetch(`${edge.url}/buildid/${HELLO_ID}/debuginfo`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(debug)).toBe(true);
    const meta = (await (await fetch(`${edge.url}/v1/symbols/${HELLO_ID}`)).json()) as { files: { debuginfo: { source: string; name: string } } };
    expect(meta.files.debuginfo).toMatchObject({ source: svc.url, name: 'hello.debug' });
    const { SymbolStore } = await import('../../src/symbol-store/symbol-store.service');
    const store = edge.app.get(SymbolStore);
    const fetched = store.upstreamFetches;
    // Again: served from the edge's own copy, no new download.
    expect((await fetch(`${edge.url}/buildid/${HELLO_ID}/debuginfo`)).status).toBe(200);
    expect(store.upstreamFetches).toBe(fetched);
    // A miss upstream is a 404 here too, and is remembered.
    const absent = 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee';
    expect((await fetch(`${edge.url}/buildid/${absent}/debuginfo`)).status).toBe(404);
    expect((await fetch(`${edge.url}/v1/symbols/${absent}`)).status).toBe(404);
  });

  it('the worker fetches a module pinned by build-id from upstream and symbolizes with it', async () => {
    // libcrashy is only upstream; the crash request pins it by build-id.
    const { captured } = await import('../support/fixtures');
    const maps = captured('exe', 'maps');
    const libPath = /\s(\/\S*libcrashy\.so)$/m.exec(maps)![1];
    const res = await fetch(`${edge.url}/v1/symbolicate?wait=20`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        traceback: captured('exe', 'stderr'),
        maps,
        modules: [{ path: libPath, build_id: LIBCRASHY_ID }],
      }),
    });
    const stack = (await res.json()) as { modules: { status: string; build_id: string }[]; threads: { crashed: boolean; frames: { source: string }[] }[] };
    // The pinned library came from upstream; the Go executable (its Go frames' module) was never uploaded.
    expect(stack.modules.filter((m) => m.status === 'found')).toEqual([expect.objectContaining({ build_id: LIBCRASHY_ID })]);
    expect(stack.threads.find((t) => t.crashed)!.frames[0].source).toBe('dwarf');
    // Kept: the edge serves it from its own copy, with no further download.
    const { SymbolStore } = await import('../../src/symbol-store/symbol-store.service');
    const store = edge.app.get(SymbolStore);
    const fetched = store.upstreamFetches;
    expect((await fetch(`${edge.url}/buildid/${LIBCRASHY_ID}/executable`, { method: 'HEAD' })).status).toBe(200);
    expect(await store.get(LIBCRASHY_ID)).toMatchObject({ kind: 'both', files: { executable: { source: svc.url } } });
    expect(store.upstreamFetches).toBe(fetched);
  });
});
