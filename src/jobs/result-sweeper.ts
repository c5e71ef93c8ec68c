import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Logger } from 'pino';
import { LOGGER } from '../logging/logger';
import { ResultBlobs } from './result-blob';
import { SymbolicateProducer } from './symbolicate.producer';

const SWEEP_EVERY_MS = 60_000;

/**
 * Results kept in the store live as long as their job: once Redis no longer holds the job
 * (JOB_RETENTION_SECONDS after it finished, or pushed out by JOB_RETENTION_COUNT), the
 * blob is deleted. Checked every minute; while Redis is away nothing is deleted.
 */
@Injectable()
export class ResultSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly results: ResultBlobs,
    private readonly producer: SymbolicateProducer,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  async sweep(): Promise<number> {
    if (this.running) return 0;
    const run = this.results.sweep((id) => this.producer.jobExists(id));
    this.running = run;
    try {
      const n = await run;
      if (n > 0) this.log.info({ removed: n }, 'expired job results removed from the store');
      return n;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'result sweep skipped (Redis unavailable?)');
      return 0;
    } finally {
      this.running = undefined;
    }
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
