import IORedis, { Cluster, ClusterOptions, RedisOptions } from 'ioredis';

/**
 * Where Redis is, from REDIS_URL. Three shapes:
 *   redis://[user:pass@]host:port[/db]          one server (rediss:// for TLS)
 *   redis+sentinel://[:pass@]h1:26379,h2:26379/mymaster[/db][?sentinelPassword=..]
 *                                               ask the sentinels who the master is; a failover
 *                                               moves every connection to the new master
 *   redis+cluster://[:pass@]h1:7000,h2:7001     a Redis Cluster (the queue prefix gets a {hash tag})
 */
export type RedisTarget =
  | { mode: 'single'; url: string }
  | {
      mode: 'sentinel';
      sentinels: { host: string; port: number }[];
      name: string;
      db?: number;
      username?: string;
      password?: string;
      sentinelPassword?: string;
      tls: boolean;
    }
  | { mode: 'cluster'; nodes: { host: string; port: number }[]; username?: string; password?: string; tls: boolean };

const SCHEMES = /^(rediss?)(\+sentinel|\+cluster)?:\/\//i;

/** Parse REDIS_URL; throws an Error that says what is wrong with it. */
export function parseRedisUrl(url: string): RedisTarget {
  const m = SCHEMES.exec(url);
  if (!m) throw new Error('expected redis://, rediss://, redis+sentinel:// or redis+cluster://');
  const tls = m[1].toLowerCase() === 'rediss';
  const kind = (m[2] ?? '').toLowerCase();
  if (!kind) {
    new URL(url); // throws on nonsense
    return { mode: 'single', url };
  }
  // A host list is not a URL authority: split it off by hand.
  const rest = url.slice(m[0].length);
  const at = rest.lastIndexOf('@', rest.search(/[/?]|$/));
  const auth = at >= 0 ? rest.slice(0, at) : '';
  const afterAuth = at >= 0 ? rest.slice(at + 1) : rest;
  const hostsEnd = afterAuth.search(/[/?]|$/);
  const hosts = afterAuth
    .slice(0, hostsEnd)
    .split(',')
    .filter((h) => h !== '')
    .map((h) => hostPort(h, kind === '+sentinel' ? 26379 : 6379));
  if (hosts.length === 0) throw new Error('no host:port in the list');
  const query = new URLSearchParams(afterAuth.includes('?') ? afterAuth.slice(afterAuth.indexOf('?') + 1) : '');
  const path = afterAuth.slice(hostsEnd).split('?')[0].split('/').filter((p) => p !== '');
  const [user, pass] = auth.includes(':') ? auth.split(/:(.*)/s, 2) : [auth, ''];
  const username = user ? decodeURIComponent(user) : undefined;
  const password = pass ? decodeURIComponent(pass) : undefined;
  if (kind === '+cluster') return { mode: 'cluster', nodes: hosts, username, password, tls };
  if (!path[0]) throw new Error('name the master after the hosts: redis+sentinel://h1:26379,h2:26379/mymaster');
  const db = path[1] !== undefined ? Number(path[1]) : undefined;
  if (db !== undefined && !Number.isInteger(db)) throw new Error(`database "${path[1]}" is not a number`);
  return {
    mode: 'sentinel',
    sentinels: hosts,
    name: decodeURIComponent(path[0]),
    db,
    username,
    password,
    sentinelPassword: query.get('sentinelPassword') ?? undefined,
    tls,
  };
}

function hostPort(text: string, defaultPort: number): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(text);
  if (!m) throw new Error(`"${text}" is not host:port`);
  const port = m[2] ? Number(m[2]) : defaultPort;
  if (port < 1 || port > 65535) throw new Error(`port ${port} out of range`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

/** A queue prefix that keeps all of a queue's keys in one Cluster slot (BullMQ's requirement). */
export function clusterSafePrefix(prefix: string): string {
  return /\{[^}]+\}/.test(prefix) ? prefix : `{${prefix}}`;
}

/** Shown in logs: hosts and mode, never the password. */
export function describeRedis(t: RedisTarget): string {
  if (t.mode === 'single') {
    const u = new URL(t.url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  }
  const hosts = (t.mode === 'sentinel' ? t.sentinels : t.nodes).map((h) => `${h.host}:${h.port}`).join(',');
  return t.mode === 'sentinel' ? `sentinel ${hosts} master ${t.name}` : `cluster ${hosts}`;
}

const DEFAULT_RECONNECT_MAX_MS = 1000;

/**
 * The reconnect delay of every connection. BullMQ's own grows to 20 s, so after a long
 * outage an instance stayed unready for up to 20 s after Redis was back; ours doubles
 * from 100 ms to REDIS_RECONNECT_MAX_MS (default 1 s).
 */
export function reconnectDelay(maxMs: number): (times: number) => number {
  return (times) => Math.min(100 * 2 ** Math.min(times, 10), maxMs);
}

function sentinelOptions(t: Extract<RedisTarget, { mode: 'sentinel' }>, extra: RedisOptions): RedisOptions {
  return {
    sentinels: t.sentinels,
    name: t.name,
    db: t.db,
    username: t.username,
    password: t.password,
    sentinelPassword: t.sentinelPassword,
    ...(t.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
    ...extra,
  };
}

function clusterOptions(t: Extract<RedisTarget, { mode: 'cluster' }>, extra: RedisOptions): ClusterOptions {
  return { clusterRetryStrategy: extra.retryStrategy, redisOptions: { username: t.username, password: t.password, ...(t.tls ? { tls: {} } : {}), ...extra } };
}

/**
 * What BullMQ's `connection` takes for this target: options for a single server or the
 * sentinels (BullMQ opens its own connections from them), a Cluster instance for a
 * cluster (BullMQ cannot build one from options). BullMQ does not close an instance it
 * was given: `owned` collects them for the caller to close at shutdown.
 */
export function bullConnection(t: RedisTarget, owned: Cluster[] = [], reconnectMaxMs = DEFAULT_RECONNECT_MAX_MS): RedisOptions | Cluster {
  const extra: RedisOptions = { maxRetriesPerRequest: null, retryStrategy: reconnectDelay(reconnectMaxMs) };
  if (t.mode === 'single') return { url: t.url, ...extra } as RedisOptions;
  if (t.mode === 'sentinel') return sentinelOptions(t, extra);
  const c = new Cluster(t.nodes, clusterOptions(t, extra));
  owned.push(c);
  return c;
}

/**
 * A client for the state API and workers share (rate-limit counters, locks, misses).
 * Commands fail after a short retry rather than queue forever: callers turn that into a 503.
 */
export function createRedis(t: RedisTarget, reconnectMaxMs = DEFAULT_RECONNECT_MAX_MS): IORedis | Cluster {
  const extra: RedisOptions = { maxRetriesPerRequest: 2, connectTimeout: 5000, retryStrategy: reconnectDelay(reconnectMaxMs) };
  if (t.mode === 'single') return new IORedis(t.url, extra);
  if (t.mode === 'sentinel') return new IORedis(sentinelOptions(t, extra));
  return new Cluster(t.nodes, clusterOptions(t, extra));
}

/**
 * The process's Redis connections for one target: what BullMQ is given, and one client for
 * shared state (rate-limit counters, build-id locks, upstream misses), closed at shutdown.
 */
export class RedisConnections {
  private readonly owned: Cluster[] = [];
  private client?: IORedis | Cluster;

  constructor(
    readonly target: RedisTarget,
    private readonly reconnectMaxMs = DEFAULT_RECONNECT_MAX_MS,
  ) {}

  /** A `connection` for a BullMQ Queue, Worker or QueueEvents. */
  bull(): RedisOptions | Cluster {
    return bullConnection(this.target, this.owned, this.reconnectMaxMs);
  }

  /** The shared-state client (created on first use). */
  shared(): IORedis | Cluster {
    if (!this.client) {
      this.client = createRedis(this.target, this.reconnectMaxMs);
      // ioredis reconnects by itself; an unhandled 'error' event would crash the process.
      this.client.on('error', () => undefined);
    }
    return this.client;
  }

  async close(): Promise<void> {
    const all = [...this.owned, ...(this.client ? [this.client] : [])];
    this.owned.length = 0;
    this.client = undefined;
    await Promise.all(all.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
