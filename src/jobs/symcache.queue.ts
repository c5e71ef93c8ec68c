import { Inject, Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from '../config/config';
import { LOGGER } from '../logging/logger';
import { SymbolStore } from '../symbol-store/symbol-store.service';
import { writeSymcacheStatus } from '../symcache/symcache-status';

/** Symcache builds have a queue of their own: a long build never holds up a symbolication job. */
export const SYMCACHE_QUEUE = 'symcache';

export interface SymcacheJobV1 {
  v: 1;
  buildId: string;
  /** upload, first-need (a worker met a build-id without one), stale, version. */
  why: string;
}

/**
 * Puts a build-id's symcache build in line and marks it `building` in the store. One
 * job per build-id at a time (its job id), so uploads of both slots or many workers
 * meeting the same build-id ask once; a finished job is removed, so a later upload asks again.
 */
@Injectable()
export class SymcacheJobs {
  constructor(
    @InjectQueue(SYMCACHE_QUEUE) private readonly queue: Queue<SymcacheJobV1>,
    private readonly store: SymbolStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** Never throws: a symcache that is not built only means the llvm-symbolizer answers. */
  async request(buildId: string, why: string): Promise<void> {
    if (!this.config.symcache) return;
    try {
      // One snapshot of the build's state (not the job hash and three state checks).
      const state = await this.queue.getJobState(buildId);
      if (state !== 'unknown' && state !== 'completed' && state !== 'failed') {
        // An upload while one is queued or running: the running build may have read the older file.
        if (why === 'upload' && state === 'active') await this.queue.add('build', { v: 1, buildId, why }, { delay: 1000, removeOnComplete: true, removeOnFail: true });
        return;
      }
      if (state !== 'unknown') await this.queue.remove(buildId).catch(() => undefined);
      await writeSymcacheStatus(this.store, buildId, { state: 'building' });
      await this.queue.add('build', { v: 1, buildId, why }, { jobId: buildId, removeOnComplete: true, removeOnFail: true, attempts: 2, backoff: { type: 'fixed', delay: 2000 } });
      this.log.info({ buildId, why }, 'symcache build queued');
    } catch (err) {
      this.log.warn({ buildId, err: (err as Error).message }, 'could not queue a symcache build');
    }
  }
}
