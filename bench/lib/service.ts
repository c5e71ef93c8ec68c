import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './modules';
import { exited } from './proc';
import { freePort } from '../../test/support/processes';

/**
 * The real service as separate processes (`node dist/main.js`): one ROLE=api and any
 * number of ROLE=worker, on loopback, sharing Redis under a queue prefix of this run
 * and a temporary storage root.
 */
export class ServiceProcesses {
  readonly prefix = `symbridge-bench-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  readonly storage = mkdtempSync(join(tmpdir(), 'symbridge-bench-store-'));
  api?: ChildProcess;
  readonly workers: ChildProcess[] = [];
  url = '';

  private env(role: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      ROLE: role,
      HOST: '127.0.0.1',
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: this.prefix,
      STORAGE_ROOT: this.storage,
      LOG_LEVEL: 'warn',
      METRICS_PORT: '0',
      // The loader is one client on loopback: the per-client limits would measure themselves.
      RATE_LIMIT_SYMBOLICATE: '0',
      RATE_LIMIT_UPLOADS: '0',
      ...extra,
    };
  }

  private start(role: string, extra: Record<string, string> = {}): ChildProcess {
    const child = spawn(process.execPath, [join(REPO, 'dist', 'main.js')], { env: this.env(role, extra), stdio: ['ignore', 'ignore', 'inherit'] });
    return child;
  }

  async startApi(extra: Record<string, string> = {}): Promise<void> {
    const port = await freePort();
    this.api = this.start('api', { PORT: String(port), ...extra });
    this.url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const ok = await fetch(`${this.url}/readyz`).then((r) => r.ok, () => false);
      if (ok) return;
      if (this.api.exitCode !== null) throw new Error(`ROLE=api exited with ${this.api.exitCode}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('ROLE=api did not become ready within 30 s');
  }

  /** A worker; ready is judged by a job it completes (the caller warms it). */
  startWorker(extra: Record<string, string> = {}): ChildProcess {
    const w = this.start('worker', extra);
    this.workers.push(w);
    return w;
  }

  async stop(): Promise<void> {
    for (const p of [...this.workers, this.api]) {
      if (p && p.exitCode === null) {
        p.kill('SIGTERM');
        await exited(p, 15_000).catch(() => p.kill('SIGKILL'));
      }
    }
    rmSync(this.storage, { recursive: true, force: true });
  }
}
