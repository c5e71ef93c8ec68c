import rateLimit from '@fastify/rate-limit';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import IORedis, { Cluster } from 'ioredis';
import { Limits } from '../config/limits';
import { ErrorBody } from './http-error.filter';

/** The expensive endpoints, limited per client: a symbolication job, an upload (disk + ELF parsing). */
const LIMITED: { method: string; url: string; what: string; max: (l: Limits) => number; env: string }[] = [
  { method: 'POST', url: '/v1/symbolicate', what: 'symbolicate requests', max: (l) => l.rateSymbolicate, env: 'RATE_LIMIT_SYMBOLICATE' },
  { method: 'POST', url: '/v1/symbols', what: 'uploads', max: (l) => l.rateUploads, env: 'RATE_LIMIT_UPLOADS' },
];

/**
 * Per-client (IP) rate limits on the expensive endpoints (@fastify/rate-limit's counters,
 * kept in Redis so every API machine counts against the same limit). We ask the limiter
 * and answer ourselves, so a refusal is our usual error JSON with Retry-After, sent before
 * the body is read. Redis away: requests are not limited (the enqueue answers 503 anyway).
 */
export async function registerRateLimits(
  app: NestFastifyApplication,
  limits: Limits,
  shared: { redis: IORedis | Cluster; keyPrefix: string },
): Promise<void> {
  const active = LIMITED.filter((r) => r.max(limits) > 0);
  if (active.length === 0) return;
  await app.register(rateLimit as never, { global: false, redis: shared.redis, nameSpace: `${shared.keyPrefix}:rate:`, skipOnError: true });
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const checks = active.map((r) => ({
    ...r,
    check: fastify.createRateLimit({ max: r.max(limits), timeWindow: limits.rateWindowMs, keyGenerator: (req) => `${r.url} ${req.ip}` }),
  }));
  fastify.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const route = checks.find((c) => c.method === req.method && c.url === req.routeOptions.url);
    if (!route) return;
    const r = await route.check(req);
    if (r.isAllowed) return;
    const max = route.max(limits);
    reply.header('x-ratelimit-limit', max).header('x-ratelimit-remaining', r.remaining).header('x-ratelimit-reset', r.ttlInSeconds);
    if (!r.isExceeded) return;
    const body: ErrorBody = {
      status: 429,
      code: 'RATE_LIMITED',
      message:
        `too many ${route.what} from this client: at most ${max} per ${limits.rateWindowMs / 1000} s (${route.env}); ` +
        `retry in ${r.ttlInSeconds} s`,
    };
    await reply.status(429).header('retry-after', r.ttlInSeconds).header('content-type', 'application/json; charset=utf-8').send(body);
    return reply;
  });
}
