import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Logger } from 'pino';
import { LOGGER } from '../logging/logger';
import { CoreStore } from '../symbol-store/core-store';
import { SymbolicateProducer } from './symbolicate.producer';

const SWEEP_EVERY_MS = 60_000;
const ORPHAN_AFTER_MS = 3600_000;

/**
 * Cores live as long as their job: once Redis no longer holds the job (its result
 * expired after JOB_RETENTION_SECONDS, or JOB_RETENTION_COUNT pushed it out), the
 * core is deleted. Checked every minute; while Redis is away nothing is deleted.
 */
@Injectable()
export class CoreSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly cores: CoreStore,
    private readonly producer: SymbolicateProducer,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  async sweep(): Promise<number> {
    if (this.running) return 0;
    const run = this.cores.sweep((id) => this.producer.jobExists(id), ORPHAN_AFTER_MS);
    this.running = run;
    try {
      const n = await run;
      if (n > 0) this.log.info({ removed: n }, 'expired cores removed');
      return n;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'core sweep skipped (Redis unavailable?)');
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
