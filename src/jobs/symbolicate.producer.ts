import { randomBytes } from 'node:crypto';
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { Job, Queue, QueueEvents } from 'bullmq';
import { Logger } from 'pino';
import { RedisConnections } from '../adapters/redis-connection';
import { APP_CONFIG, AppConfig } from '../config/config';
import { LOGGER } from '../logging/logger';
import { Metrics } from '../metrics/metrics';
import { SymbridgeError } from '../model/errors';
import { UnifiedStack } from '../model/unified-stack';
import { withDeadline } from './deadline';
import { JobName, JobProgress, SYMBOLICATE_QUEUE, SymbolicateJobV1 } from './queue.constants';
import { packJobInput, ResultBlobs } from './result-blob';
import { RedisMemoryGuard } from './redis-memory-guard';

export type JobState = 'waiting' | 'active' | 'completed' | 'failed' | 'delayed' | 'prioritized' | 'waiting-children' | 'unknown';

export interface JobView {
  id: string;
  state: JobState;
  progress?: JobProgress;
  result?: UnifiedStack;
  error?: string;
  created_at: string;
  finished_at?: string;
}

const REDIS_TIMEOUT_MS = 5000;
/** A ?wait answers at most this much after its N seconds (the last look at the job). */
const WAIT_GRACE_MS = 500;

/** The ?wait ran out: not an error, the answer is 202. */
class WaitExpired extends Error {}

/** The API side of the queue: enqueue, wait a bounded time, read a job back. */
@Injectable()
export class SymbolicateProducer implements OnApplicationBootstrap, OnModuleDestroy {
  private events?: QueueEvents;
  private eventsReady?: Promise<QueueEvents>;
  /** Set by shutdown: new jobs are refused, the ?wait calls in flight are let finish. */
  private drainingSince?: number;
  private readonly waits = new Set<Promise<unknown>>();
  private readonly memoryGuard: RedisMemoryGuard;

  constructor(
    @InjectQueue(SYMBOLICATE_QUEUE) private readonly queue: Queue<SymbolicateJobV1, UnifiedStack, JobName>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly log: Logger,
    metrics: Metrics,
    private readonly redis: RedisConnections,
    private readonly results: ResultBlobs,
  ) {
    this.memoryGuard = new RedisMemoryGuard(async () => (await this.queue.client) as never, config.redisMemoryLimitBytes);
    this.queue.on('error', (err) => this.log.warn({ err: err.message }, 'queue connection error'));
    // Every ?wait in flight holds one 'closing' listener (BullMQ's waitUntilFinished) until
    // its job ends: 11 concurrent waits is load, not a leak, so no MaxListeners warning.
    this.queue.setMaxListeners(0);
    metrics.bindQueue(this.queue);
  }

  async enqueue(data: SymbolicateJobV1): Promise<Job<SymbolicateJobV1, UnifiedStack, JobName>> {
    if (this.draining) {
      throw new SymbridgeError('QUEUE_UNAVAILABLE', 'this instance is shutting down; nothing was queued, send it again (another instance will take it)');
    }
    const retention = this.config.jobRetentionSeconds;
    // While Redis is away, ioredis would park the command and run it on reconnect: a job the
    // client was told failed (503) would run later anyway. Refuse up front instead.
    await this.requireReady('nothing was queued, try again shortly');
    // Bounded by bytes too: a Redis near its memory bound would evict or refuse the queue's own keys.
    await withTimeout(this.memoryGuard.check(), 'read Redis memory use');
    const stored = await packJobInput(data);
    return withTimeout(
      this.queue.add(JobName.Symbolicate, stored, {
        // Unguessable (128 random bits): BullMQ's own ids count 1, 2, 3 and let anyone page through the results.
        jobId: newJobId(),
        attempts: this.config.jobAttempts,
        backoff: { type: 'exponential', delay: 500 },
        // Bounded in time and in number: at a high rate, age alone would let Redis grow with it.
        removeOnComplete: { age: retention, count: this.config.jobRetentionCount },
        removeOnFail: { age: retention, count: this.config.jobRetentionCount },
      }),
      'enqueue the job',
    );
  }

  /**
   * The result if the job finishes within `seconds`, else undefined (the caller answers
   * 202 with the job's location). Bounded as a whole: with Redis gone mid-wait, the
   * events subscription and the final look at the job would otherwise wait for it to return.
   */
  async waitFor(job: Job<SymbolicateJobV1, UnifiedStack, JobName>, seconds: number): Promise<UnifiedStack | undefined> {
    if (seconds <= 0) return undefined;
    const until = Date.now() + seconds * 1000;
    const wait = this.waitUntil(job, until);
    this.waits.add(wait);
    try {
      return await withDeadline(wait, seconds * 1000 + WAIT_GRACE_MS, () => new WaitExpired());
    } catch (err) {
      if (err instanceof WaitExpired) return undefined;
      throw err;
    } finally {
      this.waits.delete(wait);
    }
  }

  private async waitUntil(job: Job<SymbolicateJobV1, UnifiedStack, JobName>, until: number): Promise<UnifiedStack | undefined> {
    const events = await this.queueEvents();
    try {
      return await this.results.unpack(await job.waitUntilFinished(events, Math.max(1, until - Date.now())));
    } catch (err) {
      const message = (err as Error).message ?? '';
      // A finish event can be missed (e.g. while the events stream was still starting): ask the job itself.
      if (/timed out/i.test(message)) return this.resultIfCompleted(job.id!);
      throw new SymbridgeError('JOB_FAILED', `job ${job.id} failed: ${message}`, { job: job.id });
    }
  }

  /** The job, and its owner (kept out of the view: the controller decides who may read it). */
  async view(id: string): Promise<(JobView & { owner?: string }) | undefined> {
    await this.requireReady();
    // State first, then the job: a job read while active and found completed a moment later
    // has no returnvalue yet (BullMQ writes both in one script, so this order is consistent).
    const state = (await withTimeout(this.queue.getJobState(id), 'read the job state')) as JobState | 'unknown';
    if (state === 'unknown') return undefined;
    const job = await withTimeout(Job.fromId<SymbolicateJobV1, UnifiedStack, JobName>(this.queue, id), 'read the job');
    if (!job) return undefined;
    const progress = typeof job.progress === 'object' ? (job.progress as unknown as JobProgress) : undefined;
    return {
      id,
      state,
      progress,
      result: state === 'completed' ? await this.results.unpack(job.returnvalue) : undefined,
      error: state === 'failed' ? job.failedReason : undefined,
      created_at: new Date(job.timestamp).toISOString(),
      finished_at: job.finishedOn ? new Date(job.finishedOn).toISOString() : undefined,
      owner: job.data?.owner,
    };
  }

  /** Whether Redis still holds the job (it expires JOB_RETENTION_SECONDS after it finished); throws while Redis is away. */
  async jobExists(id: string): Promise<boolean> {
    await this.requireReady();
    return (await withTimeout(Job.fromId(this.queue, id), 'read the job')) !== undefined;
  }

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  async ping(): Promise<void> {
    const client = await this.requireReady();
    await withTimeout((client as unknown as { ping(): Promise<string> }).ping(), 'ping Redis');
  }

  /**
   * Shutdown, first step (before the HTTP server and the worker stop): refuse new jobs and
   * let every ?wait in flight get its answer; the job events connection must stay open for that.
   */
  async onModuleDestroy(): Promise<void> {
    this.drainingSince = Date.now();
    if (this.waits.size > 0) {
      this.log.info({ waits: this.waits.size }, 'draining: waiting for the ?wait requests in flight');
      await Promise.allSettled([...this.waits]);
    }
    await this.events?.close();
  }

  /** Fail fast while Redis is away: ioredis would otherwise park the command until it returns. */
  private async requireReady(consequence = 'try again shortly'): Promise<unknown> {
    const client = (await withTimeout(this.queue.client, 'connect to Redis')) as unknown as { status: string };
    if (client.status !== 'ready') {
      throw new SymbridgeError('QUEUE_UNAVAILABLE', `Redis is not reachable (connection ${client.status}); ${consequence}`);
    }
    return client;
  }

  /** Listen for job events from the start, so the first ?wait requests find the stream already read. */
  onApplicationBootstrap(): void {
    this.queueEvents().catch((err: Error) => this.log.warn({ err: err.message }, 'job events not subscribed yet; retried on the next ?wait'));
  }

  /** One events subscription, shared: concurrent first callers wait for the same readiness. */
  private queueEvents(): Promise<QueueEvents> {
    if (!this.eventsReady) {
      const events = new QueueEvents(SYMBOLICATE_QUEUE, {
        connection: this.redis.bull(),
        prefix: this.config.queuePrefix,
      });
      events.on('error', (err) => this.log.warn({ err: err.message }, 'queue events connection error'));
      this.events = events;
      const ready = withTimeout(events.waitUntilReady(), 'subscribe to job events').then(() => events);
      ready.catch(() => {
        if (this.eventsReady === ready) this.eventsReady = undefined;
      });
      this.eventsReady = ready;
    }
    return this.eventsReady;
  }

  private async resultIfCompleted(id: string): Promise<UnifiedStack | undefined> {
    const client = (await this.queue.client) as unknown as { status: string };
    if (client.status !== 'ready') return undefined; // Redis away: 202, the client polls
    const job = await Job.fromId<SymbolicateJobV1, UnifiedStack, JobName>(this.queue, id).catch(() => undefined);
    return job && (await job.isCompleted()) ? this.results.unpack(job.returnvalue) : undefined;
  }
}

/** 22 characters of base64url (128 random bits): never a string BullMQ takes for an integer, which it refuses as a custom id. */
export function newJobId(): string {
  return randomBytes(16).toString('base64url');
}

/** Redis calls that would hang while Redis is away become a clear 503 instead. */
function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  return withDeadline(
    p,
    REDIS_TIMEOUT_MS,
    () => new SymbridgeError('QUEUE_UNAVAILABLE', `Redis did not answer within ${REDIS_TIMEOUT_MS} ms while trying to ${what}; try again shortly`),
  );
}
