import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../../src/config/config';

/**
 * docker-compose.yml and the Dockerfile, checked by reading (no docker here): the
 * properties an operator relies on without reading them.
 */
const ROOT = join(__dirname, '..', '..', '..');
interface Service {
  image?: string;
  build?: unknown;
  pull_policy?: string;
  environment?: Record<string, string>;
  ports?: string[];
  stop_grace_period?: string;
  healthcheck?: { test: string[] };
}
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const symbridge = Object.entries(compose.services).filter(([, s]) => s.environment?.ROLE);
const env = (s: Service) => s.environment ?? {};

/** Compose durations: 100s, 1m30s, 1500ms. */
function ms(d: string): number {
  let total = 0;
  for (const [, n, unit] of d.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(n) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'];
  return total;
}

it('has an api and workers', () => {
  expect(symbridge.map(([, s]) => env(s).ROLE).sort()).toEqual(['api', 'worker', 'worker']);
});

it('builds one image once: one service has build and image, the others run that image without pulling it', () => {
  const images = new Set(symbridge.map(([, s]) => s.image));
  expect(images.size).toBe(1);
  expect([...images][0]).toBeTruthy();
  expect(symbridge.filter(([, s]) => s.build !== undefined)).toHaveLength(1);
  for (const [, s] of symbridge.filter(([, x]) => x.build === undefined)) expect(s.pull_policy).toBe('never');
});

it('gives every container longer to stop than its drain timeout (SHUTDOWN_TIMEOUT_MS)', () => {
  for (const [name, s] of symbridge) {
    const drain = loadConfig({ ...env(s), UPLOAD_TOKENS: undefined, ADMIN_TOKENS: undefined }).shutdownTimeoutMs;
    expect({ name, longer: s.stop_grace_period !== undefined && ms(s.stop_grace_period) > drain }).toEqual({ name, longer: true });
  }
});

it('checks /readyz of the api and of each worker, on the port it listens on', () => {
  for (const [name, s] of symbridge) {
    const port = env(s).ROLE === 'api' ? (env(s).PORT ?? '3000') : env(s).METRICS_PORT;
    expect({ name, port: Boolean(port) }).toEqual({ name, port: true });
    expect({ name, test: s.healthcheck?.test.join(' ') }).toEqual({ name, test: expect.stringContaining(`http://127.0.0.1:${port}/readyz`) });
  }
});

it('requires tokens: uploads and deletes are never open, reads need a token', () => {
  const [, api] = symbridge.find(([, s]) => env(s).ROLE === 'api')!;
  // ${VAR:?message}: compose refuses to start without the variable.
  expect(env(api).UPLOAD_TOKENS).toMatch(/^\$\{SYMBRIDGE_TOKEN:\?.+\}$/);
  expect(env(api).ADMIN_TOKENS).toMatch(/^\$\{SYMBRIDGE_ADMIN_TOKEN:\?.+\}$/);
  expect(env(api).SYMBOLS_READ_ACCESS).toBe('token');
});

it("publishes each worker's metrics port", () => {
  for (const [name, s] of symbridge.filter(([, x]) => env(x).ROLE === 'worker')) {
    expect({ name, published: (s.ports ?? []).some((p) => p.endsWith(`:${env(s).METRICS_PORT}`)) }).toEqual({ name, published: true });
  }
});

it('sets only variables the service reads', () => {
  const known = new Set<string>();
  const envDto = readFileSync(join(ROOT, 'src', 'config', 'env.dto.ts'), 'utf8');
  for (const m of envDto.matchAll(/^\s+([A-Z][A-Z0-9_]+)\?:/gm)) known.add(m[1]);
  const sdk = new Set(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']); // read by the AWS SDK
  for (const [name, s] of symbridge) for (const k of Object.keys(env(s))) expect({ name, k, known: known.has(k) || sdk.has(k) }).toEqual({ name, k, known: true });
});

it('runs the image as a non-root user', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const final = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const user = [...final.matchAll(/^USER\s+(\S+)/gm)].pop()?.[1];
  expect(user).toBeDefined();
  expect(user).not.toMatch(/^(root|0)(:|$)/);
});
