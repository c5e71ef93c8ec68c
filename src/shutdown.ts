import { INestApplicationContext } from '@nestjs/common';
import { Logger } from 'pino';

/**
 * SIGTERM/SIGINT: drain, then exit 0. Nest's close runs the producer's drain (new jobs
 * refused, ?wait answers delivered), the worker's close (jobs in hand finish), the HTTP
 * server's close (requests in flight finish), then the connections and symbolizers.
 * Past `timeoutMs` the process exits 1 anyway; a second signal exits at once.
 * (Nest's enableShutdownHooks would re-raise the signal: the exit status would say "killed".)
 */
export function exitGracefullyOnSignals(app: INestApplicationContext, log: Logger, timeoutMs: number): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without draining');
      process.exit(1);
    }
    stopping = true;
    const started = Date.now();
    log.info({ signal, timeoutMs }, 'draining: finishing requests and jobs in flight');
    const timer = setTimeout(() => {
      log.error({ timeoutMs }, 'drain did not finish in time; exiting');
      process.exit(1);
    }, timeoutMs);
    app.close().then(
      () => {
        clearTimeout(timer);
        log.info({ ms: Date.now() - started }, 'drained; exiting');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
