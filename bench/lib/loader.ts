import { percentile, nowMs } from './stats';

export interface LoadResult {
  clients: number;
  requests: number;
  errors: number;
  firstError?: string;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
}

/**
 * A closed-loop loader on loopback: `clients` loops each send one request, wait for the
 * answer, send the next, until `seconds` pass or `maxRequests` were sent. Latency is
 * measured per request; any status other than 200 (or a body check failing) is an error.
 */
export async function load(
  clients: number,
  seconds: number,
  maxRequests: number,
  send: () => Promise<Response>,
  check: (status: number, body: string) => string | undefined = (s) => (s === 200 ? undefined : `HTTP ${s}`),
): Promise<LoadResult> {
  const lat: number[] = [];
  let sent = 0;
  let errors = 0;
  let firstError: string | undefined;
  const t0 = nowMs();
  const end = t0 + seconds * 1000;
  const loop = async () => {
    while (nowMs() < end && sent < maxRequests) {
      sent++;
      const s = nowMs();
      try {
        const res = await send();
        const body = await res.text();
        const bad = check(res.status, body);
        if (bad) {
          errors++;
          firstError ??= bad;
        }
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message;
      }
      lat.push(nowMs() - s);
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  const elapsed = (nowMs() - t0) / 1000;
  return { clients, requests: lat.length, errors, firstError, seconds: elapsed, rps: lat.length / elapsed, p50: percentile(lat, 50), p99: percentile(lat, 99) };
}
