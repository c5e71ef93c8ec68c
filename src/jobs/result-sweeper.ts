import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { LOGGER } from '../logging/logger';
import { JobArtifactSweeper } from './job-artifact-sweeper';
import { ResultBlobs } from './result-blob';
import { SymbolicateProducer } from './symbolicate.producer';

/** Results kept in the store (too large for Redis) live as long as their job. */
@Injectable()
export class ResultSweeper extends JobArtifactSweeper {
  constructor(private readonly results: ResultBlobs, producer: SymbolicateProducer, @Inject(LOGGER) log: Logger) {
    super('job results', producer, log);
  }

  protected sweepOnce(jobExists: (id: string) => Promise<boolean>): Promise<number> {
    return this.results.sweep(jobExists);
  }
}
