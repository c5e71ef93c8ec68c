import { SymbridgeError } from '../model/errors';

/** INFO memory is asked at most this often; enqueues in between use the last answer. */
const CACHE_MS = 1000;
/** With a Redis maxmemory set, new jobs stop at this share of it (evicting or OOM-ing queue keys loses jobs). */
const MAXMEMORY_SHARE = 0.9;

interface InfoClient {
  info(section: string): Promise<string>;
}

export interface RedisMemory {
  used: number;
  maxmemory: number;
}

export function parseInfoMemory(text: string): RedisMemory {
  const num = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { used: num('used_memory'), maxmemory: num('maxmemory') };
}

/**
 * Refuses new jobs (503 QUEUE_FULL) while Redis' used_memory is at the bound:
 * REDIS_MEMORY_LIMIT_BYTES, or 90% of Redis' own maxmemory when that is lower. Jobs already
 * accepted are unaffected; the bound frees up as results expire (JOB_RETENTION_*).
 */
export class RedisMemoryGuard {
  private last?: { at: number; memory: RedisMemory };

  constructor(
    private readonly client: () => Promise<InfoClient>,
    /** 0: only Redis' own maxmemory (if any) bounds it. */
    private readonly limitBytes: number,
  ) {}

  bound(memory: RedisMemory): number {
    const fromRedis = memory.maxmemory > 0 ? Math.floor(memory.maxmemory * MAXMEMORY_SHARE) : Infinity;
    const own = this.limitBytes > 0 ? this.limitBytes : Infinity;
    return Math.min(fromRedis, own);
  }

  async memory(): Promise<RedisMemory> {
    const now = Date.now();
    if (this.last && now - this.last.at < CACHE_MS) return this.last.memory;
    const memory = parseInfoMemory(await (await this.client()).info('memory'));
    this.last = { at: now, memory };
    return memory;
  }

  async check(): Promise<void> {
    const memory = await this.memory();
    const bound = this.bound(memory);
    if (memory.used >= bound) {
      throw new SymbridgeError(
        'QUEUE_FULL',
        `Redis holds ${memory.used} bytes, at the bound of ${bound} (REDIS_MEMORY_LIMIT_BYTES, or 90% of Redis maxmemory); ` +
          'nothing was queued: try again once finished jobs expire',
      );
    }
  }
}
