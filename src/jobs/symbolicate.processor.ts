import { BeforeApplicationShutdown, Inject, OnApplicationBootstrap } from '@nestjs/common';
import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from '../config/config';
import { LOGGER } from '../logging/logger';
import { Metrics } from '../metrics/metrics';
import { basename } from '../normalize/find-mapping';
import { SymbridgeError } from '../model/errors';
import { UnifiedStack } from '../model/unified-stack';
import { SymbolicatePipeline } from '../pipeline/symbolicate.pipeline';
import { JobName, JobProgress, SYMBOLICATE_QUEUE, SymbolicateJobV1 } from './queue.constants';

/** The worker: takes a job, runs the pipeline, reports progress. No logic of its own. */
@Processor(SYMBOLICATE_QUEUE)
export class SymbolicateProcessor extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly pipeline: SymbolicatePipeline,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.workerConcurrency;
  }

  /** Redis connection trouble is retried by ioredis; say so in the log, never crash on it. */
  @OnWorkerEvent('error')
  onError(err: Error): void {
    this.log.warn({ err: err.message }, 'worker connection error');
  }

  /** Drain: finish the jobs in hand before the symbolizers are stopped. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.close();
  }

  async process(job: Job<SymbolicateJobV1, UnifiedStack, JobName>): Promise<UnifiedStack> {
    if (job.data.v !== 1) throw new UnrecoverableError(`unknown job payload version ${String(job.data.v)}`);
    const started = Date.now();
    let lastStage = '';
    try {
      const result = await this.pipeline.run(job.data, (stage, done, total) => {
        if (stage === lastStage && done !== total) return; // one update per stage, plus the last
        lastStage = stage;
        void job.updateProgress({ stage, done, total } satisfies JobProgress).catch(() => undefined);
      });
      this.log.info(
        { job: job.id, ms: Date.now() - started, threads: result.threads.length, diagnostics: result.diagnostics.length },
        'job done',
      );
      this.metrics.jobs.inc({ outcome: 'completed' });
      this.metrics.jobDuration.observe((Date.now() - started) / 1000);
      for (const t of result.threads) {
        for (const f of t.frames) if (f.kind === 'native' && f.source === 'unresolved') this.metrics.frameUnresolved(basename(f.module ?? '(no module)'));
      }
      return result;
    } catch (err) {
      this.log.warn({ job: job.id, err }, 'job failed');
      this.metrics.jobs.inc({ outcome: 'failed' });
      this.metrics.jobDuration.observe((Date.now() - started) / 1000);
      // Bad input does not get better on retry.
      if (err instanceof SymbridgeError) throw new UnrecoverableError(`${err.code}: ${err.message}`);
      throw err;
    }
  }
}
