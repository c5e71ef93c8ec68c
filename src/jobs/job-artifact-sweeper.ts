import { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Logger } from 'pino';
import { SymbolicateProducer } from './symbolicate.producer';

const SWEEP_EVERY_MS = 60_000;

/**
 * What a job leaves in the store (an uploaded core, a large result) lives as long as the
 * job: once Redis no longer holds it (JOB_RETENTION_SECONDS after it finished, or pushed
 * out by JOB_RETENTION_COUNT) the object is deleted. Checked every minute, one sweep at a
 * time; while Redis is away nothing is deleted (jobExists throws, the sweep is skipped).
 */
export abstract class JobArtifactSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  protected constructor(
    private readonly what: string,
    protected readonly producer: SymbolicateProducer,
    private readonly log: Logger,
  ) {}

  /** Deletes the objects whose job is gone; resolves to how many. */
  protected abstract sweepOnce(jobExists: (id: string) => Promise<boolean>): Promise<number>;

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  async sweep(): Promise<number> {
    if (this.running) return 0;
    const run = this.sweepOnce((id) => this.producer.jobExists(id));
    this.running = run;
    try {
      const n = await run;
      if (n > 0) this.log.info({ removed: n }, `expired ${this.what} removed`);
      return n;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, `${this.what} sweep skipped (Redis unavailable?)`);
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
