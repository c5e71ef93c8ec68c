import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Max, Min, MinLength } from 'class-validator';

/** The process environment, validated once at boot (config.ts names every bad variable). */
const int = () => Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)));

export class EnvDto {
  @IsOptional() @IsIn(['api', 'worker', 'all'])
  ROLE?: 'api' | 'worker' | 'all';

  @IsOptional() @int() @IsInt() @Min(0) @Max(65535)
  PORT?: number;

  @IsOptional() @IsString()
  HOST?: string;

  @IsOptional() @IsUrl({ protocols: ['redis', 'rediss'], require_tld: false, require_protocol: true })
  REDIS_URL?: string;

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

  @IsOptional() @int() @IsInt() @Min(1024)
  MAX_BODY_BYTES?: number;

  @IsOptional() @int() @IsInt() @Min(1024)
  MAX_UPLOAD_BYTES?: number;

  @IsOptional() @int() @IsInt() @Min(1) @Max(1000)
  MAX_UPLOAD_FILES?: number;

  @IsOptional() @int() @IsInt() @Min(0) @Max(600)
  MAX_WAIT_SECONDS?: number;

  @IsOptional() @int() @IsInt() @Min(1000)
  JOB_TIMEOUT_MS?: number;

  @IsOptional() @int() @IsInt() @Min(60)
  JOB_RETENTION_SECONDS?: number;

  @IsOptional() @IsString() @MinLength(16)
  UPLOAD_TOKEN?: string;

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
}
