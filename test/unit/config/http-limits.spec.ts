import { ConfigError, loadConfig } from '../../../src/config/config';
import { DEFAULT_LIMITS } from '../../../src/config/limits';

/** The connection limits and Redis byte bounds of issue 14: defaults as documented, bad values named. */
describe('connection and memory settings', () => {
  it('defaults', () => {
    const c = loadConfig({});
    expect(c.limits).toMatchObject({
      headersTimeoutMs: DEFAULT_LIMITS.headersTimeoutMs,
      requestTimeoutMs: DEFAULT_LIMITS.requestTimeoutMs,
      bodyIdleTimeoutMs: DEFAULT_LIMITS.bodyIdleTimeoutMs,
      keepAliveTimeoutMs: DEFAULT_LIMITS.keepAliveTimeoutMs,
      maxInflightBodies: 32,
    });
    expect(c.resultInlineMaxBytes).toBe(65536);
    expect(c.redisMemoryLimitBytes).toBe(1024 ** 3);
  });

  it('reads each variable', () => {
    const c = loadConfig({
      HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '2000', HTTP_BODY_IDLE_TIMEOUT_MS: '3000',
      HTTP_KEEPALIVE_TIMEOUT_MS: '4000', HTTP_MAX_INFLIGHT_BODIES: '5', RESULT_INLINE_MAX_BYTES: '0', REDIS_MEMORY_LIMIT_BYTES: '0',
    });
    expect(c.limits).toMatchObject({ headersTimeoutMs: 1000, requestTimeoutMs: 2000, bodyIdleTimeoutMs: 3000, keepAliveTimeoutMs: 4000, maxInflightBodies: 5 });
    expect(c.resultInlineMaxBytes).toBe(0);
    expect(c.redisMemoryLimitBytes).toBe(0);
  });

  it.each([
    ['HTTP_MAX_INFLIGHT_BODIES', '0'],
    ['HTTP_BODY_IDLE_TIMEOUT_MS', '10'],
    ['HTTP_HEADERS_TIMEOUT_MS', 'soon'],
    ['REDIS_MEMORY_LIMIT_BYTES', '-1'],
  ])('%s=%s is refused by name', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });
});
