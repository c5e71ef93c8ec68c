import { join } from 'node:path';
import pino from 'pino';
import { Job } from 'bullmq';
import { loadConfig } from '../../src/config/config';
import { SymcacheJobV1 } from '../../src/jobs/symcache.queue';
import { SymcacheWorker } from '../../src/jobs/symcache.worker';
import { Metrics } from '../../src/metrics/metrics';
import { RedisConnections } from '../../src/adapters/redis-connection';
import { Demangler } from '../../src/resolve/demangler';
import { FrameResolver } from '../../src/resolve/frame-resolver';
import { LlvmSymbolizerPool } from '../../src/resolve/llvm-symbolizer.pool';
import { LlvmSymbolizerResolver } from '../../src/resolve/llvm-symbolizer.resolver';
import { FallbackReason, SymcacheResolver } from '../../src/resolve/symcache.resolver';
import { SymbolStore } from '../../src/symbol-store/symbol-store.service';
import { describeSymcache, readSymcacheStatus, writeSymcacheStatus } from '../../src/symcache/symcache-status';
import { FIXTURES, LIBCRASHY } from '../support/fixtures';
import { sampleAddresses } from '../support/symcache-oracle';
import { storeWith } from '../unit/normalize/store.support';

/**
 * The worker side of the symcache, with a real store, real builds (child process) and a
 * real llvm-symbolizer: before a build and when it failed or is stale, llvm-symbolizer
 * answers and the fallback is counted with its reason; once ready, the symcache answers
 * in-process with the same symbols.
 */
const LIE = join(FIXTURES, 'dwarf-cases', 'build', 'lie-origin-cycle');
const pool = new LlvmSymbolizerPool({ binary: 'llvm-symbolizer', processes: 1, timeoutMs: 30_000 });
const demangler = new Demangler();
const metrics = new Metrics();
const config = { ...loadConfig(process.env), symcacheBuildMaxMb: 512, symcacheBuildTimeoutMs: 60_000 };
let store: SymbolStore;
let ids: string[];
let dispose: () => Promise<void>;
let worker: SymcacheWorker;
const requests: string[] = [];
const fallbacks: FallbackReason[] = [];

const resolver = () =>
  new FrameResolver(
    new LlvmSymbolizerResolver(pool),
    demangler,
    1000,
    new SymcacheResolver(store, {
      request: async (id, why) => void requests.push(`${id}:${why}`),
      onFallback: (r) => fallbacks.push(r),
      recheckMs: 0,
    }),
  );
const build = (buildId: string) => worker.process({ data: { v: 1, buildId, why: 'upload' } } as Job<SymcacheJobV1>);

beforeAll(async () => {
  ({ store, ids, dispose } = await storeWith([LIBCRASHY, LIE]));
  // The worker's process() uses the store, config, log and metrics; Redis only when it is bootstrapped.
  worker = new SymcacheWorker(store, config, pino({ level: 'silent' }), metrics, undefined as unknown as RedisConnections);
});
afterAll(async () => {
  pool.close();
  demangler.close();
  await dispose?.();
});

it('before a build: llvm-symbolizer answers, a build is asked for, the fallback counted as not-built', async () => {
  const [id] = ids;
  const path = (await store.symbolFile(id))!;
  const [addr] = await sampleAddresses(path, 50);
  const s = await resolver().resolve(id, path, addr);
  expect(s?.resolvedBy).toBe('llvm-symbolizer');
  expect(requests).toContain(`${id}:first-need`);
  expect(fallbacks).toContain('not-built');
});

it('once ready: the symcache answers in-process, the same symbols as llvm-symbolizer', async () => {
  const [id] = ids;
  await build(id);
  const status = await readSymcacheStatus(store, id);
  expect(describeSymcache(status)).toBe('ready');
  expect(status!.stats!.bytes).toBeGreaterThan(0);
  const path = (await store.symbolFile(id))!;
  const addresses = await sampleAddresses(path, 300);
  const fromCache = resolver();
  const before = fallbacks.length;
  const viaCache = await fromCache.resolveMany(addresses.map((address) => ({ buildId: id, objectPath: path, address })));
  expect(fallbacks.length).toBe(before);
  const plain = new FrameResolver(new LlvmSymbolizerResolver(pool), demangler, 1000);
  const viaLlvm = await plain.resolveMany(addresses.map((address) => ({ buildId: id, objectPath: path, address })));
  const strip = (a: { symbol?: object }) => (a.symbol ? { ...a.symbol, resolvedBy: undefined } : undefined);
  expect(viaCache.map(strip)).toEqual(viaLlvm.map(strip));
  expect(viaCache.filter((a) => a.symbol).every((a) => a.symbol!.resolvedBy === 'symcache')).toBe(true);
  expect(viaCache.filter((a) => a.symbol && a.symbol.inlined.length > 0).length).toBeGreaterThan(0);
});

it('DWARF that lies: failed (why), llvm-symbolizer answers, the fallback counted as failed', async () => {
  const id = ids[1];
  await build(id);
  expect(describeSymcache(await readSymcacheStatus(store, id))).toMatch(/^failed \(.*abstract_origin.*\)$/);
  const builds = (await metrics.symcacheBuilds.get()).values;
  expect(builds.find((v) => v.labels.outcome === 'failed')?.value).toBe(1);
  expect(builds.find((v) => v.labels.outcome === 'ready')?.value).toBe(1);
  const path = (await store.symbolFile(id))!;
  const [addr] = await sampleAddresses(path, 10);
  const s = await resolver().resolve(id, path, addr);
  expect(s === undefined || s.resolvedBy === 'llvm-symbolizer').toBe(true);
  expect(fallbacks[fallbacks.length - 1]).toBe('failed');
});

it('a symcache built from another file is stale: not used, rebuilt', async () => {
  const [id] = ids;
  await writeSymcacheStatus(store, id, { state: 'ready', source: { size: 12345 } });
  const path = (await store.symbolFile(id))!;
  const [addr] = await sampleAddresses(path, 10);
  const s = await resolver().resolve(id, path, addr);
  expect(s?.resolvedBy).toBe('llvm-symbolizer');
  expect(fallbacks[fallbacks.length - 1]).toBe('stale');
  expect(requests).toContain(`${id}:stale`);
});
