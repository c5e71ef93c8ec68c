import { randomBytes } from 'node:crypto';
import IORedis, { Cluster } from 'ioredis';
import { SymbridgeError } from '../model/errors';

/**
 * One writer per build-id at a time, so "is it stored already?" and "store it" are one
 * step: of two concurrent uploads of a build-id exactly one answers created: true.
 * In-process for a single machine (and unit tests); in Redis when API machines share a store.
 */
export interface BuildIdLock {
  withLock<T>(id: string, fn: () => Promise<T>): Promise<T>;
}

/** Holders queue up per id, in this process only. */
export class LocalBuildIdLock implements BuildIdLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  async withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.tails.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.tails.get(id) === tail) this.tails.delete(id);
    }
  }
}

// Only the holder (its random token) may extend or release the lock.
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

type LockClient = (IORedis | Cluster) & {
  symbridgeLockRenew(key: string, token: string, ttl: number): Promise<number>;
  symbridgeLockRelease(key: string, token: string): Promise<number>;
};

/**
 * A lease in Redis (SET NX PX, renewed while held, released by token), shared by every
 * API machine. A holder that dies lets go after `ttlMs`; a waiter gives up after `waitMs`
 * with a 503 (another upload of the same build-id is still being stored).
 */
export class RedisBuildIdLock implements BuildIdLock {
  private readonly redis: LockClient;

  constructor(
    redis: IORedis | Cluster,
    private readonly keyPrefix: string,
    private readonly opts: { ttlMs: number; waitMs: number } = { ttlMs: 30_000, waitMs: 600_000 },
  ) {
    if (!('symbridgeLockRenew' in redis)) {
      redis.defineCommand('symbridgeLockRenew', { numberOfKeys: 1, lua: RENEW });
      redis.defineCommand('symbridgeLockRelease', { numberOfKeys: 1, lua: RELEASE });
    }
    this.redis = redis as LockClient;
  }

  async withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const key = `${this.keyPrefix}:lock:${id}`;
    const token = randomBytes(12).toString('hex');
    const deadline = Date.now() + this.opts.waitMs;
    let pause = 20;
    while ((await this.acquire(key, token)) !== 'OK') {
      if (Date.now() > deadline) {
        throw new SymbridgeError(
          'STORAGE_UNAVAILABLE',
          `build-id ${id} has been locked by another upload of it for over ${this.opts.waitMs} ms; nothing was stored, retry later`,
          { buildId: id },
        );
      }
      await new Promise((r) => setTimeout(r, pause));
      pause = Math.min(pause * 2, 500);
    }
    const renew = setInterval(() => void this.redis.symbridgeLockRenew(key, token, this.opts.ttlMs).catch(() => undefined), this.opts.ttlMs / 3);
    try {
      return await fn();
    } finally {
      clearInterval(renew);
      await this.redis.symbridgeLockRelease(key, token).catch(() => undefined);
    }
  }

  private async acquire(key: string, token: string): Promise<string | null> {
    try {
      return await this.redis.set(key, token, 'PX', this.opts.ttlMs, 'NX');
    } catch (err) {
      throw new SymbridgeError('QUEUE_UNAVAILABLE', `Redis is unavailable (${(err as Error).message}): the upload cannot be coordinated with other API machines; nothing was stored, retry later`);
    }
  }
}
