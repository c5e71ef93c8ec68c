import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What the pool and cache can tell about themselves at scrape time. */
export interface WorkerStatsSource {
  pool(): { processes: number; restarts: number; queries: number };
  cache(): { hits: number; misses: number; size: number };
}

export interface QueueStatsSource {
  getJobCounts(): Promise<Record<string, number>>;
}

/**
 * Module names come from the paste: each distinct one would be a new series. At most this
 * many distinct names are kept per process (then "other"), each of a plain file-name shape.
 */
const MAX_MODULE_LABELS = 50;
const MODULE_LABEL = /^[A-Za-z0-9._+-]{1,64}$/;
/** A frame in no mapping. */
export const NO_MODULE = '(no module)';

/**
 * Prometheus metrics of one process (prom-client). Counters are incremented where
 * things happen; gauges for the pool, cache and queue are read at scrape time.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'symbridge_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly jobs = new Counter({
    name: 'symbridge_jobs_total',
    help: 'Symbolication jobs by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly jobDuration = new Histogram({
    name: 'symbridge_job_duration_seconds',
    help: 'Time a worker spent on one job',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly unresolvedFrames = new Counter({
    name: 'symbridge_frames_unresolved_total',
    help: 'Native and JVM (libjvm.so) frames left without a symbol from an uploaded file, by module file name (at most 50 names, then "other")',
    labelNames: ['module'] as const,
    registers: [this.registry],
  });
  readonly uploadBytes = new Counter({
    name: 'symbridge_upload_bytes_total',
    help: 'Bytes of debug files received',
    registers: [this.registry],
  });
  private readonly moduleLabels = new Set<string>();
  private worker?: WorkerStatsSource;
  private queue?: QueueStatsSource;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'symbridge_' });
    const self = this;
    new Gauge({
      name: 'symbridge_symbolizer_processes',
      help: 'llvm-symbolizer processes alive in this worker',
      registers: [this.registry],
      collect() {
        if (self.worker) this.set(self.worker.pool().processes);
      },
    });
    // Counts since start kept by the pool and the cache: Prometheus counters (rate() works), read at scrape time.
    new Counter({
      name: 'symbridge_symbolizer_restarts_total',
      help: 'llvm-symbolizer processes replaced after dying or hanging',
      registers: [this.registry],
      collect() {
        if (!self.worker) return;
        this.reset();
        this.inc(self.worker.pool().restarts);
      },
    });
    new Counter({
      name: 'symbridge_resolve_cache_lookups_total',
      help: 'Resolve cache lookups by result',
      labelNames: ['result'] as const,
      registers: [this.registry],
      collect() {
        if (!self.worker) return;
        const c = self.worker.cache();
        this.reset();
        this.inc({ result: 'hit' }, c.hits);
        this.inc({ result: 'miss' }, c.misses);
      },
    });
    new Gauge({
      name: 'symbridge_resolve_cache_hit_ratio',
      help: 'Resolve cache hits / lookups since start',
      registers: [this.registry],
      collect() {
        if (!self.worker) return;
        const c = self.worker.cache();
        this.set(c.hits + c.misses === 0 ? 0 : c.hits / (c.hits + c.misses));
      },
    });
    new Gauge({
      name: 'symbridge_queue_jobs',
      help: 'Jobs in the symbolicate queue by state',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        if (!self.queue) return;
        const counts = await self.queue.getJobCounts().catch(() => undefined);
        for (const [state, n] of Object.entries(counts ?? {})) this.set({ state }, n);
      },
    });
  }

  bindWorker(source: WorkerStatsSource): void {
    this.worker = source;
  }

  bindQueue(source: QueueStatsSource): void {
    this.queue = source;
  }

  /** Module labels are bounded: an odd name, or a new one past the cap, counts as "other". */
  frameUnresolved(moduleName: string): void {
    if (moduleName !== NO_MODULE && !MODULE_LABEL.test(moduleName)) moduleName = 'other';
    else if (!this.moduleLabels.has(moduleName) && this.moduleLabels.size >= MAX_MODULE_LABELS) moduleName = 'other';
    this.moduleLabels.add(moduleName);
    this.unresolvedFrames.inc({ module: moduleName });
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
