import { DynamicModule, Global, Inject, Module, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit, Provider } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { Logger } from 'pino';
import { HealthController } from './api/health.controller';
import { SymbolicateController } from './api/symbolicate.controller';
import { CrashPageController } from './api/crash-page.controller';
import { DebuginfodController } from './api/debuginfod.controller';
import { SymbolsController } from './api/symbols.controller';
import { RedisConnections } from './adapters/redis-connection';
import { APP_CONFIG, AppConfig } from './config/config';
import { SymbolicateWorker } from './jobs/symbolicate.worker';
import { SymbolicateProducer } from './jobs/symbolicate.producer';
import { SYMBOLICATE_QUEUE } from './jobs/queue.constants';
import { LOGGER } from './logging/logger';
import { Metrics } from './metrics/metrics';
import { MetricsController } from './api/metrics.controller';
import { SymbolicatePipeline } from './pipeline/symbolicate.pipeline';
import { Demangler } from './resolve/demangler';
import { FrameResolver } from './resolve/frame-resolver';
import { ParseCheckPool } from './parse/parse-check.pool';
import { LlvmSymbolizerPool } from './resolve/llvm-symbolizer.pool';
import { LlvmSymbolizerResolver } from './resolve/llvm-symbolizer.resolver';
import { AccessTokens } from './symbol-store/access-tokens';
import { DebuginfodUpstream } from './symbol-store/debuginfod-upstream';
import { SymbolStore } from './symbol-store/symbol-store.service';
import { RedisBuildIdLock } from './symbol-store/build-id-lock';
import { FsObjectStore } from './symbol-store/fs-object.store';
import { LocalFileCache } from './symbol-store/local-file.cache';
import { RedisMissCache } from './symbol-store/miss-cache';
import { MemoObjectStore } from './symbol-store/memo-object.store';
import { S3ObjectStore } from './symbol-store/s3-object.store';
import { join } from 'node:path';
import { CoreStore } from './symbol-store/core-store';
import { CorePipeline } from './pipeline/core.pipeline';
import { CoreSweeper } from './jobs/core-sweeper';
import { SYMCACHE_QUEUE, SymcacheJobs } from './jobs/symcache.queue';
import { SymcacheWorker } from './jobs/symcache.worker';
import { SymcacheResolver } from './resolve/symcache.resolver';
import { ResultBlobs } from './jobs/result-blob';
import { ResultSweeper } from './jobs/result-sweeper';

const WORKER_METRICS = Symbol('WORKER_METRICS');

/** Owns the long-lived symbolizer processes of a worker: started lazily, stopped after the jobs drained. */
class PoolLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(LlvmSymbolizerPool) private readonly pool: LlvmSymbolizerPool,
    @Inject(FrameResolver) private readonly resolver: FrameResolver,
  ) {}
  onApplicationBootstrap(): void {
    this.pool.start();
  }
  onApplicationShutdown(): void {
    this.resolver.close();
    this.pool.close();
  }
}

/** Stops the API's parse-check threads (parse/parse-check.pool.ts) with the app. */
class ParseCheckLifecycle implements OnApplicationShutdown {
  constructor(@Inject(ParseCheckPool) private readonly pool: ParseCheckPool) {}
  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
  }
}

/** Closes the Redis connections BullMQ was handed and the shared-state client, after everything else. */
class RedisLifecycle implements OnApplicationShutdown {
  constructor(@Inject(RedisConnections) private readonly redis: RedisConnections) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis.close();
  }
}

/** Keys of the state API and workers share in Redis, beside the queue's (same hash tag on a Cluster). */
export function sharedKeyPrefix(config: AppConfig): string {
  return `${config.queuePrefix}:shared`;
}

class StoreInit implements OnModuleInit, OnApplicationShutdown {
  constructor(@Inject(SymbolStore) private readonly store: SymbolStore) {}
  async onModuleInit(): Promise<void> {
    await this.store.init();
  }
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

/**
 * The store on its backend (the storage root, or S3 with a local cache of fetched files),
 * with the upstream debuginfod servers it may fetch misses from, and the state machines
 * share kept in Redis: the per-build-id upload lock and the upstream misses.
 */
function createStore(config: AppConfig, log: Logger, redis: RedisConnections): SymbolStore {
  const warn = (msg: string) => log.warn({ component: 'symbol-store' }, msg);
  const info = (msg: string) => log.info({ component: 'symbol-store' }, msg);
  const upstream = new DebuginfodUpstream(
    { urls: config.upstreamDebuginfodUrls, timeoutMs: config.upstreamTimeoutMs, maxBytes: config.limits.maxUploadBytes },
    warn,
  );
  const shared = sharedKeyPrefix(config);
  const lock = new RedisBuildIdLock(redis.shared(), shared, { ttlMs: 30_000, waitMs: config.storeLockWaitMs });
  const misses = new RedisMissCache(redis.shared(), shared);
  if (config.storeBackend === 's3') {
    const cache = new LocalFileCache(config.cacheDir, config.cacheMaxBytes, warn);
    // What a job learns about stored slots is remembered for a while: S3 requests are the cost per job.
    return new SymbolStore(new MemoObjectStore(new S3ObjectStore(config.s3!)), { upstream, warn, info, lock, misses, cache, tempDir: join(config.cacheDir, '.uploads') });
  }
  return new SymbolStore(new FsObjectStore(config.storageRoot), { upstream, warn, info, lock, misses });
}

/**
 * One image, three roles: api (HTTP + producer), worker (processor + symbolizers),
 * all (both, the default for one machine). Every role shares config, logger, store.
 */
@Global()
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, log: Logger): DynamicModule {
    const redis = new RedisConnections(config.redis, config.redisReconnectMaxMs);
    const core: Provider[] = [
      { provide: RedisConnections, useValue: redis },
      RedisLifecycle,
      { provide: APP_CONFIG, useValue: config },
      { provide: LOGGER, useValue: log },
      { provide: SymbolStore, useValue: createStore(config, log, redis) },
      { provide: CoreStore, inject: [SymbolStore], useFactory: (store: SymbolStore) => new CoreStore(store.objects, store.stagingDir) },
      { provide: ResultBlobs, inject: [SymbolStore], useFactory: (store: SymbolStore) => new ResultBlobs(store.objects, config.resultInlineMaxBytes) },
      { provide: AccessTokens, useValue: new AccessTokens(config) },
      { provide: Metrics, useValue: new Metrics() },
      StoreInit,
      SymcacheJobs,
    ];
    const api = config.role !== 'worker';
    const worker = config.role !== 'api';
    const apiProviders: Provider[] = [
      SymbolicateProducer,
      CoreSweeper,
      ResultSweeper,
      { provide: ParseCheckPool, useFactory: () => new ParseCheckPool(config.parseThreads) },
      ParseCheckLifecycle,
    ];
    const workerProviders: Provider[] = [
      {
        provide: LlvmSymbolizerPool,
        useFactory: () =>
          new LlvmSymbolizerPool({
            binary: config.llvmSymbolizer,
            processes: config.symbolizerProcesses,
            timeoutMs: config.symbolizerTimeoutMs,
          }),
      },
      PoolLifecycle,
      {
        provide: FrameResolver,
        inject: [LlvmSymbolizerPool, SymbolStore, SymcacheJobs, Metrics],
        useFactory: (pool: LlvmSymbolizerPool, store: SymbolStore, jobs: SymcacheJobs, metrics: Metrics) => {
          const symcache = config.symcache
            ? new SymcacheResolver(store, { request: (id, why) => jobs.request(id, why), onFallback: (reason) => metrics.symcacheFallback.inc({ reason }) })
            : undefined;
          return new FrameResolver(new LlvmSymbolizerResolver(pool), new Demangler(), undefined, symcache);
        },
      },
      {
        provide: SymbolicatePipeline,
        inject: [SymbolStore, FrameResolver],
        useFactory: (store: SymbolStore, resolver: FrameResolver) => new SymbolicatePipeline(store, resolver),
      },
      {
        provide: CorePipeline,
        inject: [SymbolStore, FrameResolver],
        useFactory: (store: SymbolStore, resolver: FrameResolver) => new CorePipeline(store, resolver, { maxFramesPerStack: config.limits.maxFramesPerStack }),
      },
      SymbolicateWorker,
      SymcacheWorker,
      {
        provide: WORKER_METRICS,
        inject: [Metrics, LlvmSymbolizerPool, FrameResolver],
        useFactory: (metrics: Metrics, pool: LlvmSymbolizerPool, resolver: FrameResolver) =>
          metrics.bindWorker({ pool: () => pool.stats(), cache: () => resolver.cacheStats() }),
      },
    ];
    return {
      module: AppModule,
      imports: [
        BullModule.forRoot({
          connection: redis.bull(),
          prefix: config.queuePrefix,
        }),
        BullModule.registerQueue({ name: SYMBOLICATE_QUEUE }),
        BullModule.registerQueue({ name: SYMCACHE_QUEUE }),
      ],
      controllers: api ? [SymbolicateController, SymbolsController, DebuginfodController, HealthController, MetricsController, CrashPageController] : [],
      providers: [...core, ...(api ? apiProviders : []), ...(worker ? workerProviders : [])],
      exports: [APP_CONFIG, LOGGER, SymbolStore, Metrics, RedisConnections],
    };
  }
}
