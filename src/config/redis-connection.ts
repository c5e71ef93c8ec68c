import { RedisOptions } from 'ioredis';
import { AppConfig } from './config';

/**
 * The ioredis options of every connection (queue, job events, worker). BullMQ's own
 * reconnect delay grows to 20 s, so after a long outage an instance stayed unready for
 * up to 20 s after Redis was back; ours doubles from 100 ms to REDIS_RECONNECT_MAX_MS
 * (default 1 s). maxRetriesPerRequest: null is what BullMQ's blocking commands need;
 * the API bounds its own Redis calls instead (jobs/symbolicate.producer.ts).
 */
export function redisConnection(config: Pick<AppConfig, 'redisUrl' | 'redisReconnectMaxMs'>): RedisOptions & { url: string } {
  return {
    url: config.redisUrl,
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 10), config.redisReconnectMaxMs),
  };
}
