import { SymbridgeError } from '../model/errors';
import { SymbolStore } from '../symbol-store/symbol-store.service';

export interface ReadinessBody {
  status: 'ok' | 'unavailable';
  checks: Record<string, string>;
}

/**
 * What /readyz answers, for the API (HealthController) and the worker (worker-http.ts)
 * alike: draining first (a load balancer should stop sending work), then Redis, then the
 * symbol store; 200 when every check is ok, else 503 naming the failing ones.
 */
export async function readiness(
  who: 'instance' | 'worker',
  draining: boolean,
  pingRedis: () => Promise<unknown>,
  store: SymbolStore,
): Promise<{ httpStatus: 200 | 503; body: ReadinessBody }> {
  const checks: Record<string, string> = {};
  if (draining) checks.shutdown = `draining: this ${who} is shutting down`;
  await pingRedis().then(
    () => (checks.redis = 'ok'),
    (err: Error) => (checks.redis = err.message),
  );
  await store.objects.checkWritable().then(
    () => (checks.storage = 'ok'),
    (err: Error) => (checks.storage = err instanceof SymbridgeError ? err.message : `${store.where} not writable: ${err.message}`),
  );
  const ok = Object.values(checks).every((v) => v === 'ok');
  return { httpStatus: ok ? 200 : 503, body: { status: ok ? 'ok' : 'unavailable', checks } };
}
