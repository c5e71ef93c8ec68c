import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UnifiedStack } from '../../src/model/unified-stack';
import { captured, CGO, FIXTURES, LIBCRASHY } from '../support/fixtures';
import { S3Server } from '../support/s3-server';
import { s3Overrides, startService, TestService, upload } from '../support/service';

/**
 * Issue 17 end to end: an upload answers at once and a worker builds the symcache on its
 * own queue; GET /v1/symbols/ID says building, then ready (or failed, why); frames are
 * then answered from it (resolved_by symcache) with exactly what llvm-symbolizer gives a
 * service with SYMCACHE=off.
 */
let on: TestService;
let off: TestService;
const LIE = join(FIXTURES, 'dwarf-cases', 'build', 'lie-unit-length');
beforeAll(async () => {
  [on, off] = await Promise.all([startService(), startService({ symcache: false })]);
});
afterAll(async () => Promise.all([on?.close(), off?.close()]));

async function status(url: string, id: string): Promise<string> {
  const r = await fetch(`${url}/v1/symbols/${id}`);
  expect(r.status).toBe(200);
  return ((await r.json()) as { symcache: string }).symcache;
}
async function until(url: string, id: string, done: (s: string) => boolean): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const s = await status(url, id);
    if (done(s)) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  return status(url, id);
}
async function symbolicate(url: string): Promise<UnifiedStack> {
  const body = JSON.stringify({ traceback: captured('exe', 'stderr'), maps: captured('exe', 'maps') });
  const r = await fetch(`${url}/v1/symbolicate?wait=30`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  expect(r.status).toBe(200);
  return (await r.json()) as UnifiedStack;
}
const id = async (r: Response) => ((await r.json()) as { files: { build_id: string }[] }).files[0].build_id;

it('upload -> building -> ready; frames from the symcache equal llvm-symbolizer\'s', async () => {
  // The cgo crash's two modules: the Go executable (DWARF, compressed) and its C library.
  const files = [
    { name: 'libcrashy.so', data: readFileSync(LIBCRASHY) },
    { name: 'crashy-exe', data: readFileSync(join(CGO, 'build', 'crashy-exe')) },
  ];
  const up = await upload(on.url, files);
  expect(up.status).toBe(200);
  const ids = ((await up.json()) as { files: { build_id: string }[] }).files.map((f) => f.build_id);
  expect(['building', 'ready']).toContain(await status(on.url, ids[1]));
  for (const buildId of ids) expect(await until(on.url, buildId, (s) => s !== 'building')).toBe('ready');
  expect((await upload(off.url, files)).status).toBe(200);
  expect(await status(off.url, ids[0])).toBe('none');

  const [a, b] = await Promise.all([symbolicate(on.url), symbolicate(off.url)]);
  // Go frames keep the names Go printed (source go-traceback): only looked-up frames have a resolver.
  const mine = (s: UnifiedStack) => s.threads.flatMap((t) => t.frames).filter((f) => f.build_id && ids.includes(f.build_id) && f.source !== 'go-traceback');
  expect(mine(a).length).toBeGreaterThanOrEqual(1); // the C frame in libcrashy.so (Go frames are named by Go; the whole stacks are compared below)
  expect(mine(a).some((f) => f.build_id === ids[0])).toBe(true);
  expect(mine(a).every((f) => f.resolved_by === 'symcache')).toBe(true);
  expect(mine(b).every((f) => f.resolved_by === 'llvm-symbolizer')).toBe(true);
  const strip = (s: UnifiedStack) => JSON.parse(JSON.stringify(s, (k, v) => (k === 'resolved_by' || k === 'job_id' || k === 'received_at' || /_ms$/.test(k) ? undefined : v)));
  expect(strip(a).threads).toEqual(strip(b).threads);

  const metrics = await (await fetch(`${on.url}/metrics`)).text();
  expect(metrics).toMatch(/symbridge_symcache_builds_total\{outcome="ready"\} 2/);
});

it('DWARF that lies: failed (why), and the service still answers', async () => {
  const up = await upload(on.url, [{ name: 'lie-unit-length', data: readFileSync(LIE) }]);
  expect(up.status).toBe(200);
  const s = await until(on.url, await id(up), (x) => x !== 'building');
  expect(s).toMatch(/^failed \(.*debug_info.*past the end of the section.*\)$/);
  expect((await fetch(`${on.url}/healthz`)).status).toBe(200);
  const metrics = await (await fetch(`${on.url}/metrics`)).text();
  expect(metrics).toMatch(/symbridge_symcache_builds_total\{outcome="failed"\} 1/);
});

describe('on S3: the symcache travels with the store', () => {
  let s3: S3Server;
  let a: TestService;
  let b: TestService;
  beforeAll(async () => {
    s3 = await S3Server.start();
    a = await startService(s3Overrides(s3));
    // Another machine: the same bucket and prefix, its own local cache and queue.
    b = await startService({ ...s3Overrides(s3), s3: a.config.s3 });
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await s3?.close();
  });

  it('built by one machine\'s worker, used by another\'s from its own cache', async () => {
    const up = await upload(a.url, [{ name: 'libcrashy.so', data: readFileSync(LIBCRASHY) }]);
    expect(up.status).toBe(200);
    const buildId = await id(up);
    expect(await until(a.url, buildId, (s) => s !== 'building')).toBe('ready');
    expect(await status(b.url, buildId)).toBe('ready');
    const stack = await symbolicate(b.url);
    const mine = stack.threads.flatMap((t) => t.frames).filter((f) => f.build_id === buildId);
    expect(mine.length).toBeGreaterThanOrEqual(1);
    expect(mine.every((f) => f.resolved_by === 'symcache')).toBe(true);
    expect(b.config.cacheDir).not.toBe(a.config.cacheDir);
  });
});
