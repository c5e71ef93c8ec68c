import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnifiedStack } from '../../src/model/unified-stack';
import { captured, groundTruth, LIBCRASHY, LIBCRASHY_ID } from '../support/fixtures';
import { ServiceProcess, startHttpProcess, startWorkerProcess, uniquePrefix } from '../support/processes';
import { S3Server } from '../support/s3-server';
import { upload } from '../support/service';

/**
 * Several machines, one store and one Redis: two ROLE=api processes and a ROLE=worker,
 * as separate `node dist/main.js` processes sharing nothing but Redis and the store (a
 * storage root, or an S3 bucket). What used to be per process is shared: the "already
 * uploaded" decision (exactly one created: true), the rate-limit counters, and the
 * upstream debuginfod misses.
 */
jest.setTimeout(90_000);

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const truth = groundTruth('exe').llvm_symbolizer[0].Symbol;
let s3: S3Server;
let upstream: Server;
let upstreamHits = 0;
const dirs: string[] = [];

beforeAll(async () => {
  s3 = await S3Server.start();
  // An upstream debuginfod server that has nothing, and counts how often it is asked.
  upstream = createServer((req, res) => {
    upstreamHits++;
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  await s3?.close();
  await new Promise((r) => upstream?.close(r));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.each(['fs', 's3'] as const)('two API machines and a worker on one store (STORE_BACKEND=%s)', (backend) => {
  const procs: ServiceProcess[] = [];
  let a: ServiceProcess;
  let b: ServiceProcess;

  beforeAll(async () => {
    const storageRoot = mkdtempSync(join(tmpdir(), 'symbridge-many-'));
    dirs.push(storageRoot);
    const upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
    const extra: Record<string, string> = {
      RATE_LIMIT_SYMBOLICATE: '5',
      UPSTREAM_DEBUGINFOD_URLS: upstreamUrl,
      ...(backend === 's3' ? s3.env(`many-${Math.random().toString(36).slice(2, 8)}/`) : {}),
    };
    // Each machine its own cache directory (S3): nothing on disk is shared but the store.
    const env = (name: string) => ({ redisUrl, prefix, storageRoot, extra: { ...extra, CACHE_DIR: join(storageRoot, `.cache-${name}`) } });
    const prefix = uniquePrefix(`many-${backend}`);
    [a, b] = await Promise.all([startHttpProcess('api', env('a')), startHttpProcess('api', env('b'))]);
    procs.push(a, b, await startWorkerProcess(env('w')));
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
  });

  it('concurrent uploads of one build-id to both machines: all 200, exactly one created: true, the bytes intact', async () => {
    const data = readFileSync(LIBCRASHY);
    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => upload((i % 2 ? a : b).url!, [{ name: 'libcrashy.so', data }])));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as { files: { created: boolean; build_id: string }[] }[];
    expect(bodies.every((x) => x.files[0].build_id === LIBCRASHY_ID)).toBe(true);
    expect(bodies.filter((x) => x.files[0].created)).toHaveLength(1);
    for (const p of [a, b]) {
      const res = await fetch(`${p.url}/buildid/${LIBCRASHY_ID}/executable`);
      expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
    }
  });

  it('a crash posted to one machine is resolved by the worker from the shared store', async () => {
    const res = await fetch(`${a.url}/v1/symbolicate?wait=30`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ traceback: captured('exe', 'stderr'), maps: captured('exe', 'maps') }),
    });
    expect(res.status).toBe(200);
    const stack = (await res.json()) as UnifiedStack;
    expect(stack.threads.find((t) => t.crashed)!.frames[0]).toMatchObject({ source: 'dwarf', function: truth[truth.length - 1].FunctionName });
  });

  it('the rate limit is counted across machines: 5 per window in all, then 429 on either', async () => {
    // One request was made by the previous test (on a); 4 more across both, then both refuse.
    const post = (p: ServiceProcess) =>
      fetch(`${p.url}/v1/symbolicate`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: captured('exe', 'stderr') });
    const statuses = [];
    for (const p of [b, a, b, a]) statuses.push((await post(p)).status);
    expect(statuses).toEqual([202, 202, 202, 202]);
    const refusedB = await post(b);
    const refusedA = await post(a);
    expect([refusedB.status, refusedA.status]).toEqual([429, 429]);
    expect(((await refusedA.json()) as { message: string }).message).toMatch(/at most 5 per 60 s \(RATE_LIMIT_SYMBOLICATE\)/);
  });

  it('an upstream miss seen by one machine is remembered for the other: upstream is asked once', async () => {
    const absent = backend === 'fs' ? 'abababababababababababababababababababab' : 'cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd';
    const before = upstreamHits;
    expect((await fetch(`${a.url}/buildid/${absent}/debuginfo`)).status).toBe(404);
    expect(upstreamHits).toBe(before + 1);
    expect((await fetch(`${b.url}/buildid/${absent}/debuginfo`)).status).toBe(404);
    expect((await fetch(`${a.url}/buildid/${absent}/debuginfo`)).status).toBe(404);
    expect(upstreamHits).toBe(before + 1);
  });
});
