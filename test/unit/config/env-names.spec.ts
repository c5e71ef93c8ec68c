import { loadConfig } from '../../../src/config/config';

// Every variable EnvDto declares is read from the environment (not only those a list beside it names).
describe('loadConfig reads every declared variable', () => {
  it('SYMCACHE and its build settings', () => {
    const c = loadConfig({ SYMCACHE: 'off', SYMCACHE_BUILD_MAX_MB: '512', SYMCACHE_BUILD_TIMEOUT_MS: '5000', SYMCACHE_BUILD_CONCURRENCY: '3' });
    expect(c).toMatchObject({ symcache: false, symcacheBuildMaxMb: 512, symcacheBuildTimeoutMs: 5000, symcacheBuildConcurrency: 3 });
    expect(loadConfig({}).symcache).toBe(true);
  });

  it('PARSE_THREADS: 1 by default, 0 allowed (the event loop), past 16 refused by name', () => {
    expect(loadConfig({}).parseThreads).toBe(1);
    expect(loadConfig({ PARSE_THREADS: '0' }).parseThreads).toBe(0);
    expect(() => loadConfig({ PARSE_THREADS: '17' })).toThrow(/PARSE_THREADS/);
  });

  it('refuses a bad value of them by name', () => {
    expect(() => loadConfig({ SYMCACHE_BUILD_CONCURRENCY: '99' })).toThrow(/SYMCACHE_BUILD_CONCURRENCY/);
    expect(() => loadConfig({ SYMCACHE: 'maybe' })).toThrow(/SYMCACHE/);
  });

  it('still ignores variables it does not declare', () => {
    expect(() => loadConfig({ NOT_OURS: 'x', PATH: '/bin' })).not.toThrow();
  });
});
