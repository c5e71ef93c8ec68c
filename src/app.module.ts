import { DynamicModule, Global, Inject, Module, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit, Provider } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { Logger } from 'pino';
import { HealthController } from './api/health.controller';
import { SymbolicateController } from './api/symbolicate.controller';
import { DebuginfodController } from './api/debuginfod.controller';
import { SymbolsController } from './api/symbols.controller';
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
import { LlvmSymbolizerPool } from './resolve/llvm-symbolizer.pool';
import { LlvmSymbolizerResolver } from './resolve/llvm-symbolizer.resolver';
import { AccessTokens } from './symbol-store/access-tokens';
import { DebuginfodUpstream } from './symbol-store/debuginfod-upstream';
import { SymbolStore } from './symbol-store/symbol-store.service';

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

class StoreInit implements OnModuleInit {
  constructor(@Inject(SymbolStore) private readonly store: SymbolStore) {}
  async onModuleInit(): Promise<void> {
    await this.store.init();
  }
}

/** The store, with the upstream debuginfod servers it may fetch misses from. */
function createStore(config: AppConfig, log: Logger): SymbolStore {
  const warn = (msg: string) => log.warn({ component: 'symbol-store' }, msg);
  const info = (msg: string) => log.info({ component: 'symbol-store' }, msg);
  const upstream = new DebuginfodUpstream(
    { urls: config.upstreamDebuginfodUrls, timeoutMs: config.upstreamTimeoutMs, maxBytes: config.limits.maxUploadBytes },
    warn,
  );
  return new SymbolStore(config.storageRoot, { upstream, warn, info });
}

/**
 * One image, three roles: api (HTTP + producer), worker (processor + symbolizers),
 * all (both, the default for one machine). Every role shares config, logger, store.
 */
@Global()
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, log: Logger): DynamicModule {
    const core: Provider[] = [
      { provide: APP_CONFIG, useValue: config },
      { provide: LOGGER, useValue: log },
      { provide: SymbolStore, useValue: createStore(config, log) },
      { provide: AccessTokens, useValue: new AccessTokens(config) },
      { provide: Metrics, useValue: new Metrics() },
      StoreInit,
    ];
    const api = config.role !== 'worker';
    const worker = config.role !== 'api';
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
        inject: [LlvmSymbolizerPool],
        useFactory: (pool: LlvmSymbolizerPool) => new FrameResolver(new LlvmSymbolizerResolver(pool), new Demangler()),
      },
      {
        provide: SymbolicatePipeline,
        inject: [SymbolStore, FrameResolver],
        useFactory: (store: SymbolStore, resolver: FrameResolver) => new SymbolicatePipeline(store, resolver),
      },
      SymbolicateWorker,
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
          connection: { url: config.redisUrl, maxRetriesPerRequest: null },
          prefix: config.queuePrefix,
        }),
        BullModule.registerQueue({ name: SYMBOLICATE_QUEUE }),
      ],
      controllers: api ? [SymbolicateController, SymbolsController, DebuginfodController, HealthController, MetricsController] : [],
      providers: [...core, ...(api ? [SymbolicateProducer] : []), ...(worker ? workerProviders : [])],
      exports: [APP_CONFIG, LOGGER, SymbolStore, Metrics],
    };
  }
}
