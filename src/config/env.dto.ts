import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength } from 'class-validator';

/** Tokens: comma/space separated, each at least 16 characters of [A-Za-z0-9._~+/=-]. */
const TOKENS = /^\s*[A-Za-z0-9._~+/=-]{16,}(?:[\s,]+[A-Za-z0-9._~+/=-]{16,})*\s*$/;
const tokens = () => Matches(TOKENS, { message: '$property: comma-separated tokens of at least 16 characters [A-Za-z0-9._~+/=-] (value not shown)' });
/** DEBUGINFOD_URLS syntax: space separated http(s) URLs. */
const URLS = /^\s*https?:\/\/\S+(?:[\s,]+https?:\/\/\S+)*\s*$/;

/** The process environment, validated once at boot (config.ts names every bad variable). */
const int = () => Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)));

export class EnvDto {
  @IsOptional() @IsIn(['api', 'worker', 'all'])
  ROLE?: 'api' | 'worker' | 'all';

  @IsOptional() @int() @IsInt() @Min(0) @Max(65535)
  PORT?: number;

  @IsOptional() @IsString()
  HOST?: string;

  /** redis://, rediss://, redis+sentinel://h1,h2/master, redis+cluster://h1,h2 (config.ts parses the rest). */
  @IsOptional() @Matches(/^rediss?(\+sentinel|\+cluster)?:\/\/\S+$/i, { message: '$property: redis://host:port, redis+sentinel://h1:26379,h2:26379/master or redis+cluster://h1:7000,h2:7001' })
  REDIS_URL?: string;

  @IsOptional() @int() @IsInt() @Min(50) @Max(60_000)
  REDIS_RECONNECT_MAX_MS?: number;

  @IsOptional() @IsIn(['fs', 's3'])
  STORE_BACKEND?: 'fs' | 's3';

  @IsOptional() @IsUrl({ protocols: ['http', 'https'], require_tld: false, require_protocol: true })
  S3_ENDPOINT?: string;

  /** S3 bucket names: 3-63 of [a-z0-9.-]. */
  @IsOptional() @Matches(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: '$property: an S3 bucket name (3-63 of a-z 0-9 . -)' })
  S3_BUCKET?: string;

  @IsOptional() @Matches(/^[A-Za-z0-9!_.*'()/-]*$/, { message: "$property: key prefix of A-Za-z0-9 !_.*'()- and /" })
  S3_PREFIX?: string;

  @IsOptional() @IsIn(['true', 'false', '1', '0'])
  S3_FORCE_PATH_STYLE?: string;

  @IsOptional() @Matches(/^[a-z0-9-]+$/, { message: '$property: a region name like us-east-1' })
  S3_REGION?: string;

  @IsOptional() @Matches(/^[a-z0-9-]+$/, { message: '$property: a region name like us-east-1' })
  AWS_REGION?: string;

  @IsOptional() @int() @IsInt() @Min(100)
  S3_TIMEOUT_MS?: number;

  @IsOptional() @IsString() @MinLength(1)
  CACHE_DIR?: string;

  @IsOptional() @int() @IsInt() @Min(1024 * 1024)
  CACHE_MAX_BYTES?: number;

  @IsOptional() @int() @IsInt() @Min(100)
  STORE_LOCK_WAIT_MS?: number;

  @IsOptional() @IsString() @MinLength(1)
  STORAGE_ROOT?: string;

  @IsOptional() @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL?: string;

  @IsOptional() @IsString()
  LLVM_SYMBOLIZER?: string;

  @IsOptional() @int() @IsInt() @Min(1) @Max(64)
  SYMBOLIZER_PROCESSES?: number;

  @IsOptional() @int() @IsInt() @Min(100)
  SYMBOLIZER_TIMEOUT_MS?: number;

  @IsOptional() @int() @IsInt() @Min(1) @Max(256)
  WORKER_CONCURRENCY?: number;

  @IsOptional() @IsIn(['on', 'off'])
  SYMCACHE?: string;

  @IsOptional() @int() @IsInt() @Min(64) @Max(65536)
  SYMCACHE_BUILD_MAX_MB?: number;

  @IsOptional() @int() @IsInt() @Min(1000)
  SYMCACHE_BUILD_TIMEOUT_MS?: number;

  @IsOptional() @int() @IsInt() @Min(1) @Max(16)
  SYMCACHE_BUILD_CONCURRENCY?: number;

  @IsOptional() @int() @IsInt() @Min(0) @Max(16)
  PARSE_THREADS?: number;

  @IsOptional() @int() @IsInt() @Min(1024)
  MAX_BODY_BYTES?: number;

  @IsOptional() @int() @IsInt() @Min(1024)
  MAX_UPLOAD_BYTES?: number;

  @IsOptional() @int() @IsInt() @Min(16) @Max(100_000)
  MAX_FRAMES_PER_STACK?: number;

  @IsOptional() @int() @IsInt() @Min(1)
  MAX_CORE_BYTES?: number;

  @IsOptional() @int() @IsInt() @Min(1) @Max(1000)
  MAX_UPLOAD_FILES?: number;

  @IsOptional() @int() @IsInt() @Min(0) @Max(600)
  MAX_WAIT_SECONDS?: number;

  @IsOptional() @int() @IsInt() @Min(1000)
  JOB_TIMEOUT_MS?: number;

  @IsOptional() @int() @IsInt() @Min(60)
  JOB_RETENTION_SECONDS?: number;

  @IsOptional() @int() @IsInt() @Min(100)
  JOB_RETENTION_COUNT?: number;

  @IsOptional() @IsString() @MinLength(16)
  UPLOAD_TOKEN?: string;

  @IsOptional() @IsString() @tokens()
  UPLOAD_TOKENS?: string;

  @IsOptional() @IsString() @tokens()
  ADMIN_TOKENS?: string;

  @IsOptional() @IsString() @tokens()
  READ_TOKENS?: string;

  @IsOptional() @IsIn(['open', 'token'])
  SYMBOLS_READ_ACCESS?: 'open' | 'token';

  @IsOptional() @IsString() @Matches(URLS, { message: '$property: space-separated http(s) URLs' })
  UPSTREAM_DEBUGINFOD_URLS?: string;

  /** Read too, as elfutils' clients do; UPSTREAM_DEBUGINFOD_URLS wins when both are set. */
  @IsOptional() @IsString() @Matches(URLS, { message: '$property: space-separated http(s) URLs' })
  DEBUGINFOD_URLS?: string;

  @IsOptional() @int() @IsInt() @Min(100)
  UPSTREAM_TIMEOUT_MS?: number;

  @IsOptional() @IsString()
  QUEUE_PREFIX?: string;

  @IsOptional() @int() @IsInt() @Min(0) @Max(65535)
  METRICS_PORT?: number;

  @IsOptional() @int() @IsInt() @Min(500)
  JOB_LOCK_MS?: number;

  @IsOptional() @int() @IsInt() @Min(200)
  STALLED_CHECK_MS?: number;

  @IsOptional() @int() @IsInt() @Min(1) @Max(20)
  JOB_ATTEMPTS?: number;

  @IsOptional() @int() @IsInt() @Min(1) @Max(10_000_000)
  MAX_FRAMES?: number;

  @IsOptional() @int() @IsInt() @Min(0)
  RATE_LIMIT_SYMBOLICATE?: number;

  @IsOptional() @int() @IsInt() @Min(0)
  RATE_LIMIT_UPLOADS?: number;

  @IsOptional() @int() @IsInt() @Min(100)
  RATE_LIMIT_WINDOW_MS?: number;

  @IsOptional() @int() @IsInt() @Min(100)
  SHUTDOWN_TIMEOUT_MS?: number;

  @IsOptional() @int() @IsInt() @Min(100)
  HTTP_HEADERS_TIMEOUT_MS?: number;

  @IsOptional() @int() @IsInt() @Min(100)
  HTTP_REQUEST_TIMEOUT_MS?: number;

  @IsOptional() @int() @IsInt() @Min(100)
  HTTP_BODY_IDLE_TIMEOUT_MS?: number;

  @IsOptional() @int() @IsInt() @Min(100)
  HTTP_KEEPALIVE_TIMEOUT_MS?: number;

  @IsOptional() @int() @IsInt() @Min(1)
  HTTP_MAX_INFLIGHT_BODIES?: number;

  @IsOptional() @int() @IsInt() @Min(0)
  RESULT_INLINE_MAX_BYTES?: number;

  @IsOptional() @int() @IsInt() @Min(0)
  REDIS_MEMORY_LIMIT_BYTES?: number;
}
