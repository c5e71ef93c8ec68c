import { join, resolve } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync } from 'class-validator';
import { clusterSafePrefix, parseRedisUrl, RedisTarget } from '../adapters/redis-connection';
import { DebuginfodUpstream } from '../symbol-store/debuginfod-upstream';
import { S3_PART_SIZE, S3_QUEUE_SIZE, S3StoreOptions } from '../symbol-store/s3-object.store';
import { EnvDto } from './env.dto';
import { DEFAULT_LIMITS, Limits } from './limits';

export type Role = 'api' | 'worker' | 'all';

/** Typed settings, built once from the environment. Every limit has a sane default. */
export interface AppConfig {
  role: Role;
  host: string;
  port: number;
  redisUrl: string;
  /** Longest delay between reconnect attempts while Redis is away (readiness returns this soon after it). */
  redisReconnectMaxMs: number;
  /** REDIS_URL parsed: one server, sentinels, or a cluster. */
  redis: RedisTarget;
  /** fs: files under storageRoot; s3: objects in a bucket, fetched into a bounded local cache. */
  storeBackend: 'fs' | 's3';
  storageRoot: string;
  s3?: S3StoreOptions;
  /** Where a worker keeps the objects it fetched from S3, and how much (LRU by size). */
  cacheDir: string;
  cacheMaxBytes: number;
  /** How long an upload waits for another upload of the same build-id (any API machine) to finish. */
  storeLockWaitMs: number;
  logLevel: string;
  llvmSymbolizer: string;
  symbolizerProcesses: number;
  symbolizerTimeoutMs: number;
  workerConcurrency: number;
  /** Symcaches (src/symcache): built at upload by the workers, answered from in-process; off: llvm-symbolizer only. */
  symcache: boolean;
  /** A symcache build runs in a child process with this V8 heap cap, killed past the timeout. */
  symcacheBuildMaxMb: number;
  symcacheBuildTimeoutMs: number;
  symcacheBuildConcurrency: number;
  /** Threads the API parses large texts on before it queues them (0: on the event loop). */
  parseThreads: number;
  jobTimeoutMs: number;
  jobRetentionSeconds: number;
  /** At most this many finished jobs are kept (each holds its result in Redis). */
  jobRetentionCount: number;
  /** A compressed result larger than this is kept in the store, with a pointer in Redis. */
  resultInlineMaxBytes: number;
  /** New jobs are refused (503) while Redis used_memory is at this (0: only Redis' maxmemory bounds it). */
  redisMemoryLimitBytes: number;
  /** Bearer tokens by scope (symbol-store.access.ts); upload also allows admin's. Never logged. */
  tokens: { upload: string[]; admin: string[]; read: string[] };
  /** open: anyone may read symbols and debuginfod; token: reads need a read, upload or admin token. */
  readAccess: 'open' | 'token';
  /** debuginfod servers asked for build-ids the store lacks (UPSTREAM_DEBUGINFOD_URLS, else DEBUGINFOD_URLS). */
  upstreamDebuginfodUrls: string[];
  upstreamTimeoutMs: number;
  queuePrefix: string;
  /** ROLE=worker has no HTTP API: it serves /metrics on this port (0: off). */
  metricsPort: number;
  /** A job's lock: a worker that died mid-job loses it after this long. */
  jobLockMs: number;
  /** How often workers look for jobs whose worker died (stalled) and requeue them. */
  stalledCheckMs: number;
  /** Tries per job when a worker dies or infrastructure fails (bad input is not retried). */
  jobAttempts: number;
  /** SIGTERM: in-flight requests and jobs get this long to finish before the process exits anyway. */
  shutdownTimeoutMs: number;
  limits: Limits;
}

export class ConfigError extends Error {}

/** Validate the environment; throws one ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw = Object.fromEntries(ENV_NAMES.map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const dto = plainToInstance(EnvDto, raw);
  const errors = validateSync(dto, { whitelist: true });
  if (errors.length > 0) {
    // Secrets are named, never echoed.
    const shown = (e: { property: string; value?: unknown }) => (/TOKEN/.test(e.property) ? '(hidden)' : JSON.stringify(e.value));
    const lines = errors.map((e) => `  ${e.property}=${shown(e)}: ${Object.values(e.constraints ?? {}).join('; ')}`);
    throw new ConfigError(`invalid environment:\n${lines.join('\n')}`);
  }
  const redisUrl = dto.REDIS_URL ?? 'redis://127.0.0.1:6379';
  let redis: RedisTarget;
  try {
    redis = parseRedisUrl(redisUrl);
  } catch (err) {
    throw new ConfigError(`invalid environment:\n  REDIS_URL: ${(err as Error).message}`);
  }
  const storeBackend = dto.STORE_BACKEND ?? 'fs';
  if (storeBackend === 's3' && !dto.S3_BUCKET) throw new ConfigError('invalid environment:\n  S3_BUCKET: required when STORE_BACKEND=s3');
  const prefix = dto.QUEUE_PREFIX ?? 'symbridge';
  const storageRoot = resolve(dto.STORAGE_ROOT ?? resolve(__dirname, '..', '..', 'symbol-store'));
  return {
    role: dto.ROLE ?? 'all',
    host: dto.HOST ?? '0.0.0.0',
    port: dto.PORT ?? 3000,
    redisUrl,
    redisReconnectMaxMs: dto.REDIS_RECONNECT_MAX_MS ?? 1000,
    redis,
    storeBackend,
    storageRoot,
    s3:
      storeBackend === 's3'
        ? {
            bucket: dto.S3_BUCKET!,
            prefix: s3Prefix(dto.S3_PREFIX),
            endpoint: dto.S3_ENDPOINT,
            region: dto.S3_REGION ?? dto.AWS_REGION ?? 'us-east-1',
            forcePathStyle: dto.S3_FORCE_PATH_STYLE === 'true' || dto.S3_FORCE_PATH_STYLE === '1',
            timeoutMs: dto.S3_TIMEOUT_MS ?? 10_000,
            partSize: S3_PART_SIZE,
            queueSize: S3_QUEUE_SIZE,
          }
        : undefined,
    cacheDir: resolve(dto.CACHE_DIR ?? join(storageRoot, '.cache')),
    cacheMaxBytes: dto.CACHE_MAX_BYTES ?? 10 * 1024 ** 3,
    storeLockWaitMs: dto.STORE_LOCK_WAIT_MS ?? 600_000,
    logLevel: dto.LOG_LEVEL ?? 'info',
    llvmSymbolizer: dto.LLVM_SYMBOLIZER ?? 'llvm-symbolizer',
    symbolizerProcesses: dto.SYMBOLIZER_PROCESSES ?? 2,
    symbolizerTimeoutMs: dto.SYMBOLIZER_TIMEOUT_MS ?? 30_000,
    workerConcurrency: dto.WORKER_CONCURRENCY ?? 4,
    symcache: (dto.SYMCACHE ?? 'on') === 'on',
    symcacheBuildMaxMb: dto.SYMCACHE_BUILD_MAX_MB ?? 2048,
    symcacheBuildTimeoutMs: dto.SYMCACHE_BUILD_TIMEOUT_MS ?? 600_000,
    symcacheBuildConcurrency: dto.SYMCACHE_BUILD_CONCURRENCY ?? 1,
    parseThreads: dto.PARSE_THREADS ?? 1,
    jobTimeoutMs: dto.JOB_TIMEOUT_MS ?? 120_000,
    jobRetentionSeconds: dto.JOB_RETENTION_SECONDS ?? 3600,
    jobRetentionCount: dto.JOB_RETENTION_COUNT ?? 10_000,
    resultInlineMaxBytes: dto.RESULT_INLINE_MAX_BYTES ?? 64 * 1024,
    redisMemoryLimitBytes: dto.REDIS_MEMORY_LIMIT_BYTES ?? 1024 ** 3,
    tokens: {
      upload: [...tokenList(dto.UPLOAD_TOKEN), ...tokenList(dto.UPLOAD_TOKENS)],
      admin: tokenList(dto.ADMIN_TOKENS),
      read: tokenList(dto.READ_TOKENS),
    },
    readAccess: dto.SYMBOLS_READ_ACCESS ?? 'open',
    upstreamDebuginfodUrls: DebuginfodUpstream.parseUrls(dto.UPSTREAM_DEBUGINFOD_URLS ?? dto.DEBUGINFOD_URLS),
    upstreamTimeoutMs: dto.UPSTREAM_TIMEOUT_MS ?? 30_000,
    // A Cluster keeps a queue's keys in one slot only under a {hash tag}.
    queuePrefix: redis.mode === 'cluster' ? clusterSafePrefix(prefix) : prefix,
    metricsPort: dto.METRICS_PORT ?? 9464,
    jobLockMs: dto.JOB_LOCK_MS ?? 30_000,
    stalledCheckMs: dto.STALLED_CHECK_MS ?? 15_000,
    jobAttempts: dto.JOB_ATTEMPTS ?? 3,
    shutdownTimeoutMs: dto.SHUTDOWN_TIMEOUT_MS ?? 90_000,
    limits: {
      maxBodyBytes: dto.MAX_BODY_BYTES ?? DEFAULT_LIMITS.maxBodyBytes,
      maxUploadBytes: dto.MAX_UPLOAD_BYTES ?? DEFAULT_LIMITS.maxUploadBytes,
      maxUploadFiles: dto.MAX_UPLOAD_FILES ?? DEFAULT_LIMITS.maxUploadFiles,
      maxCoreBytes: dto.MAX_CORE_BYTES ?? DEFAULT_LIMITS.maxCoreBytes,
      maxFramesPerStack: dto.MAX_FRAMES_PER_STACK ?? DEFAULT_LIMITS.maxFramesPerStack,
      maxWaitSeconds: dto.MAX_WAIT_SECONDS ?? DEFAULT_LIMITS.maxWaitSeconds,
      maxFrames: dto.MAX_FRAMES ?? DEFAULT_LIMITS.maxFrames,
      rateSymbolicate: dto.RATE_LIMIT_SYMBOLICATE ?? DEFAULT_LIMITS.rateSymbolicate,
      rateUploads: dto.RATE_LIMIT_UPLOADS ?? DEFAULT_LIMITS.rateUploads,
      rateWindowMs: dto.RATE_LIMIT_WINDOW_MS ?? DEFAULT_LIMITS.rateWindowMs,
      headersTimeoutMs: dto.HTTP_HEADERS_TIMEOUT_MS ?? DEFAULT_LIMITS.headersTimeoutMs,
      requestTimeoutMs: dto.HTTP_REQUEST_TIMEOUT_MS ?? DEFAULT_LIMITS.requestTimeoutMs,
      bodyIdleTimeoutMs: dto.HTTP_BODY_IDLE_TIMEOUT_MS ?? DEFAULT_LIMITS.bodyIdleTimeoutMs,
      keepAliveTimeoutMs: dto.HTTP_KEEPALIVE_TIMEOUT_MS ?? DEFAULT_LIMITS.keepAliveTimeoutMs,
      maxInflightBodies: dto.HTTP_MAX_INFLIGHT_BODIES ?? DEFAULT_LIMITS.maxInflightBodies,
    },
  };
}

/**
 * The variable names EnvDto declares (every property carries a validator), so unknown
 * process variables are never read. Taken from class-validator's own metadata: a list
 * kept by hand beside the DTO missed the SYMCACHE* variables, which were then ignored.
 */
const ENV_NAMES: readonly string[] = [
  ...new Set(getMetadataStorage().getTargetValidationMetadatas(EnvDto, '', true, false).map((m) => m.propertyName)),
];

/** "" or a prefix ending in "/" (keys are prefix + buildid/...). */
function s3Prefix(p: string | undefined): string {
  const t = (p ?? '').replace(/^\/+/, '');
  return t === '' || t.endsWith('/') ? t : `${t}/`;
}

/** Comma/space separated tokens (EnvDto already checked each is long enough). */
function tokenList(value: string | undefined): string[] {
  return (value ?? '').split(/[\s,]+/).filter((t) => t.length > 0);
}

export const APP_CONFIG = Symbol('APP_CONFIG');
