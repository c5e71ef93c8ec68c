import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { Job, UnrecoverableError, Worker } from 'bullmq';
import { Logger } from 'pino';
import { RedisConnections } from '../adapters/redis-connection';
import { APP_CONFIG, AppConfig } from '../config/config';
import { LOGGER } from '../logging/logger';
import { Metrics, NO_MODULE } from '../metrics/metrics';
import { ErrorCode, SymbridgeError } from '../model/errors';
import { UnifiedStack } from '../model/unified-stack';
import { basename } from '../normalize/find-mapping';
import { CorePipeline } from '../pipeline/core.pipeline';
import { SymbolicatePipeline } from '../pipeline/symbolicate.pipeline';
import { CoreStore } from '../symbol-store/core-store';
import { withDeadline } from './deadline';
import { JobName, JobProgress, SYMBOLICATE_QUEUE, SymbolicateJobV1 } from './queue.constants';
import { PackedResult, ResultBlobs, unpackJobInput } from './result-blob';

const RETRYABLE = new Set<ErrorCode>(['STORAGE_UNAVAILABLE', 'QUEUE_UNAVAILABLE']);

/**
 * The worker: takes a job, runs the pipeline, reports progress; no logic of its own.
 * We own the BullMQ Worker (rather than a decorator) so that lock and stall settings
 * come from config: a worker killed mid-job loses its lock after `jobLockMs`, and
 * another worker's stall check (every `stalledCheckMs`) puts the job back in line.
 */
@Injectable()
export class SymbolicateWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private worker?: Worker<SymbolicateJobV1, PackedResult, JobName>;

  constructor(
    private readonly pipeline: SymbolicatePipeline,
    private readonly corePipeline: CorePipeline,
    private readonly cores: CoreStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly redis: RedisConnections,
    private readonly results: ResultBlobs,
  ) {}

  onApplicationBootstrap(): void {
    const c = this.config;
    this.worker = new Worker(SYMBOLICATE_QUEUE, (job) => this.process(job), {
      connection: this.redis.bull(),
      prefix: c.queuePrefix,
      concurrency: c.workerConcurrency,
      lockDuration: c.jobLockMs,
      stalledInterval: c.stalledCheckMs,
      maxStalledCount: 2,
    });
    // Redis trouble is retried by ioredis; say so in the log, never crash on it.
    this.worker.on('error', (err) => this.log.warn({ err: err.message }, 'worker connection error'));
    this.worker.on('stalled', (id) => this.log.warn({ job: id }, 'job stalled (its worker died?); it goes back to the queue'));
  }

  /** Resolves once the worker's Redis connections are up (tests start fully before they stop). */
  async waitUntilReady(): Promise<void> {
    await this.worker?.waitUntilReady();
  }

  /** Drain: finish the jobs in hand before the symbolizers are stopped. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    await this.worker?.close();
  }

  /** Readiness (the worker's /readyz): draining, or the Redis its jobs come from not answering, is not ready. */
  private closing = false;
  get draining(): boolean {
    return this.closing;
  }

  async pingRedis(timeoutMs = 2000): Promise<void> {
    if (!this.worker) throw new Error('the worker has not started');
    const ping = this.worker.client.then(async (client) => {
      const c = client as unknown as { status: string; ping(): Promise<string> };
      if (c.status !== 'ready') throw new Error(`Redis is not reachable (connection ${c.status})`);
      await c.ping();
    });
    await withDeadline(ping, timeoutMs, () => new Error(`Redis did not answer within ${timeoutMs} ms`));
  }

  /** The result goes back to Redis compressed, or as a pointer into the store when large (result-blob.ts). */
  async process(job: Job<SymbolicateJobV1, PackedResult, JobName>): Promise<PackedResult> {
    const result = await this.run(job);
    return this.results.pack(job.id!, result);
  }

  async run(job: Job<SymbolicateJobV1, PackedResult, JobName>): Promise<UnifiedStack> {
    if (job.data.v !== 1) throw new UnrecoverableError(`unknown job payload version ${String(job.data.v)}`);
    const data = await unpackJobInput(job.data);
    const started = Date.now();
    let lastStage = '';
    try {
      const progress = (stage: string, done: number, total: number) => {
        if (stage === lastStage && done !== total) return; // one update per stage, plus the last
        lastStage = stage;
        void job.updateProgress({ stage, done, total } satisfies JobProgress).catch(() => undefined);
      };
      const core = data.core;
      const run = core
        ? this.corePipeline.run({ open: () => this.cores.open(core.id), coreName: core.name, traceback: data.traceback, modules: data.modules, input_notes: data.input_notes }, progress)
        : this.pipeline.run(data, progress);
      // No job is stuck: past JOB_TIMEOUT_MS it fails naming its stage (the symbolizers have their own timeouts).
      const ms = this.config.jobTimeoutMs;
      const result = await withDeadline(
        run,
        ms,
        () => new SymbridgeError('JOB_FAILED', `the job took longer than JOB_TIMEOUT_MS (${ms} ms); it was in the ${lastStage || 'first'} stage`),
      );
      this.log.info(
        { job: job.id, ms: Date.now() - started, threads: result.threads.length, diagnostics: result.diagnostics.length },
        'job done',
      );
      this.metrics.jobs.inc({ outcome: 'completed' });
      this.metrics.jobDuration.observe((Date.now() - started) / 1000);
      for (const t of result.threads) {
        // libjvm.so's frames are kind jvm: unresolved there too when no libjvm.so was uploaded.
        for (const f of t.frames) {
          const native = f.kind === 'native' || (f.kind === 'jvm' && f.module !== undefined);
          if (native && (f.source === 'unresolved' || f.source === 'hs-err')) this.metrics.frameUnresolved(f.module ? basename(f.module) : NO_MODULE);
        }
      }
      return result;
    } catch (err) {
      this.log.warn({ job: job.id, err }, 'job failed');
      this.metrics.jobs.inc({ outcome: 'failed' });
      this.metrics.jobDuration.observe((Date.now() - started) / 1000);
      // Bad input does not get better on retry; a store or Redis that is away may (JOB_ATTEMPTS, with backoff).
      if (err instanceof SymbridgeError && !RETRYABLE.has(err.code)) throw new UnrecoverableError(`${err.code}: ${err.message}`);
      throw err;
    }
  }
}
