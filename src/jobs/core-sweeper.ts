import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { LOGGER } from '../logging/logger';
import { CoreStore } from '../symbol-store/core-store';
import { JobArtifactSweeper } from './job-artifact-sweeper';
import { SymbolicateProducer } from './symbolicate.producer';

/** A core with no job marker this old was left by an upload that never queued its job. */
const ORPHAN_AFTER_MS = 3600_000;

/** Uploaded cores live as long as their job. */
@Injectable()
export class CoreSweeper extends JobArtifactSweeper {
  constructor(private readonly cores: CoreStore, producer: SymbolicateProducer, @Inject(LOGGER) log: Logger) {
    super('cores', producer, log);
  }

  protected sweepOnce(jobExists: (id: string) => Promise<boolean>): Promise<number> {
    return this.cores.sweep(jobExists, ORPHAN_AFTER_MS);
  }
}
