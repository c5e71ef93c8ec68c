import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { Job, Worker } from 'bullmq';
import { rm, stat } from 'node:fs/promises';
import { Logger } from 'pino';
import { RedisConnections } from '../adapters/redis-connection';
import { APP_CONFIG, AppConfig } from '../config/config';
import { LOGGER } from '../logging/logger';
import { Metrics } from '../metrics/metrics';
import { SymbolStore } from '../symbol-store/symbol-store.service';
import { buildInChild, SymcacheBuildError } from '../symcache/symcache-build';
import { SYMCACHE_ARTIFACT, writeSymcacheStatus } from '../symcache/symcache-status';
import { SYMCACHE_QUEUE, SymcacheJobV1 } from './symcache.queue';

/**
 * Builds symcaches off the symbolicate queue: the build-id's symbol file (as the
 * pipeline would symbolize with it) goes through a child process with a memory cap
 * (symcache-build.ts); the result is stored beside the debug file through the
 * ObjectStore, so every worker (other machines too, through their cache) opens it.
 * A build that fails says why in the status note and is not retried: the DWARF will
 * not read better next time. A store that is away is retried (attempts on the job).
 */
@Injectable()
export class SymcacheWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private worker?: Worker<SymcacheJobV1>;

  constructor(
    private readonly store: SymbolStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly redis: RedisConnections,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.symcache) return;
    const c = this.config;
    this.worker = new Worker(SYMCACHE_QUEUE, (job) => this.process(job), {
      connection: this.redis.bull(),
      prefix: c.queuePrefix,
      concurrency: c.symcacheBuildConcurrency,
      // A build may take a minute: the lock is renewed while it runs, a dead worker's job is picked up again.
      lockDuration: Math.max(c.jobLockMs, 30_000),
      stalledInterval: c.stalledCheckMs,
      maxStalledCount: 2,
    });
    this.worker.on('error', (err) => this.log.warn({ err: err.message }, 'symcache worker connection error'));
    this.worker.on('failed', (job, err) => {
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
        void writeSymcacheStatus(this.store, job.data.buildId, { state: 'failed', reason: `the store could not be used: ${err.message}` }).catch(() => undefined);
      }
    });
  }

  async waitUntilReady(): Promise<void> {
    await this.worker?.waitUntilReady();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.close();
  }

  async process(job: Job<SymcacheJobV1>): Promise<void> {
    const { buildId } = job.data;
    const started = Date.now();
    const path = await this.store.symbolFile(buildId);
    if (!path) {
      await writeSymcacheStatus(this.store, buildId, { state: 'failed', reason: 'nothing is stored under this build-id' });
      return;
    }
    const source = { size: (await stat(path)).size };
    const out = `${this.store.tempPath()}.symcache`;
    try {
      const stats = await buildInChild(path, out, { maxMb: this.config.symcacheBuildMaxMb, timeoutMs: this.config.symcacheBuildTimeoutMs });
      await this.store.putArtifact(buildId, SYMCACHE_ARTIFACT, out);
      await writeSymcacheStatus(this.store, buildId, {
        state: 'ready',
        source,
        stats: { ms: Date.now() - started, peak_rss_mb: stats.peakRssMb, bytes: stats.symcacheBytes, dwarf_bytes: stats.dwarfBytes, ranges: stats.ranges, mode: stats.mode },
      });
      this.metrics.symcacheBuilds.inc({ outcome: 'ready' });
      this.log.info({ buildId, ms: Date.now() - started, bytes: stats.symcacheBytes, peakRssMb: stats.peakRssMb, mode: stats.mode }, 'symcache ready');
    } catch (err) {
      if (!(err instanceof SymcacheBuildError)) throw err; // the store: retried
      await writeSymcacheStatus(this.store, buildId, { state: 'failed', reason: err.message, source });
      this.metrics.symcacheBuilds.inc({ outcome: 'failed' });
      this.log.warn({ buildId, reason: err.message }, 'symcache build failed; llvm-symbolizer answers for this build-id');
    } finally {
      this.metrics.symcacheBuildDuration.observe((Date.now() - started) / 1000);
      await rm(out, { force: true });
    }
  }
}
