import IORedis, { Cluster } from 'ioredis';

/**
 * Build-id slots the upstream debuginfod servers did not have, remembered for a while so
 * a crash storm does not ask them again for every job. In-process on one machine; in
 * Redis when several share the work (one machine's miss spares the others the trip).
 */
export interface MissCache {
  has(key: string): Promise<boolean>;
  add(key: string, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
}

export class LocalMissCache implements MissCache {
  private readonly until = new Map<string, number>();

  async has(key: string): Promise<boolean> {
    const t = this.until.get(key);
    if (t === undefined) return false;
    if (t > Date.now()) return true;
    this.until.delete(key);
    return false;
  }

  async add(key: string, ttlMs: number): Promise<void> {
    this.until.set(key, Date.now() + ttlMs);
  }

  async delete(key: string): Promise<void> {
    this.until.delete(key);
  }
}

/** Keys expire in Redis by themselves (PX). A Redis error counts as "not remembered": ask again. */
export class RedisMissCache implements MissCache {
  constructor(
    private readonly redis: IORedis | Cluster,
    private readonly keyPrefix: string,
  ) {}

  async has(key: string): Promise<boolean> {
    return (await this.redis.exists(this.k(key)).catch(() => 0)) === 1;
  }

  async add(key: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.k(key), '1', 'PX', ttlMs).catch(() => undefined);
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(this.k(key)).catch(() => undefined);
  }

  private k(key: string): string {
    return `${this.keyPrefix}:upstream-miss:${key}`;
  }
}
