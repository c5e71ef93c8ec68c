import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { SYMBOLICATE_QUEUE } from '../../src/jobs/queue.constants';

/**
 * The real service as separate processes (`node dist/main.js`, built by pretest/`npm run
 * build`), for the tests whose point is a process dying, draining or losing Redis; and a
 * private redis-server those tests may kill.
 */
export const REPO = join(__dirname, '..', '..');
const MAIN = join(REPO, 'dist', 'main.js');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `fn` until it returns a truthy value; throws naming `what` after `ms`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 15_000, every = 100): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await sleep(every);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

/** A child process with its stdout (pino JSON lines) and stderr kept for assertions. */
export class ServiceProcess {
  readonly out: string[] = [];
  readonly err: string[] = [];
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly child: ChildProcess,
    readonly url?: string,
  ) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => this.out.push(d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => this.err.push(d));
    this.exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get logs(): string {
    return this.out.join('');
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async waitForLog(re: RegExp, ms = 20_000): Promise<void> {
    await until(`log ${re} from pid ${this.child.pid}`, () => {
      if (!this.alive && !re.test(this.logs)) throw new Error(`process exited: ${this.err.join('').slice(-2000)}`);
      return re.test(this.logs);
    }, ms);
  }

  async exited(ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`pid ${this.child.pid} did not exit within ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([this.exit, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stop if still running: SIGTERM, then SIGKILL after `ms`. */
  async stop(ms = 10_000): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    await this.exited(ms).catch(() => this.child.kill('SIGKILL'));
  }
}

export interface ServiceEnv {
  redisUrl: string;
  prefix: string;
  storageRoot: string;
  extra?: Record<string, string>;
}

/** ROLE=api|all: resolves once /healthz answers. */
export async function startHttpProcess(role: 'api' | 'all', env: ServiceEnv): Promise<ServiceProcess> {
  const port = await freePort();
  const p = new ServiceProcess(spawnMain({ ...env, extra: { ROLE: role, PORT: String(port), ...env.extra } }), `http://127.0.0.1:${port}`);
  // An exit fails at once, with its stderr, rather than after the whole wait.
  const exited = p.exit.then(() => Promise.reject(new Error(`ROLE=${role} exited before answering /healthz: ${p.err.join('').slice(-2000)}`)));
  await Promise.race([until(`ROLE=${role} to answer /healthz`, async () => (await fetch(`${p.url}/healthz`).catch(() => undefined))?.ok, 30_000, 150), exited]);
  exited.catch(() => undefined);
  return p;
}

/** ROLE=worker: resolves once it logged that it started. */
export async function startWorkerProcess(env: ServiceEnv): Promise<ServiceProcess> {
  const p = new ServiceProcess(spawnMain({ ...env, extra: { ROLE: 'worker', ...env.extra } }));
  await p.waitForLog(/"msg":"worker started"/, 30_000);
  return p;
}

function spawnMain(env: ServiceEnv): ChildProcess {
  return spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      REDIS_URL: env.redisUrl,
      QUEUE_PREFIX: env.prefix,
      STORAGE_ROOT: env.storageRoot,
      LOG_LEVEL: 'info',
      METRICS_PORT: '0',
      ...env.extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** A private redis-server on a free port, AOF with fsync on every write, in its own directory. */
export class RedisServer {
  process?: ChildProcess;
  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  static async start(): Promise<RedisServer> {
    const r = new RedisServer(await freePort(), mkdtempSync(join(tmpdir(), 'symbridge-redis-')));
    await r.restart();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** (Re)start on the same port and directory: the AOF is replayed. */
  async restart(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''];
    this.process = spawn('redis-server', args, { stdio: 'ignore' });
    await until(`redis-server on ${this.port}`, () => this.ping(), 10_000, 50);
  }

  ping(): boolean {
    try {
      return execFileSync('redis-cli', ['-p', String(this.port), 'ping'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() === 'PONG';
    } catch {
      return false;
    }
  }

  /** kill -9: no shutdown save, nothing flushed beyond what AOF already has. */
  async kill9(): Promise<void> {
    const p = this.process;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  }

  async stop(): Promise<void> {
    await this.kill9();
  }
}

/** An llvm-symbolizer that takes `seconds` to start: the first query of a job waits that long. */
export function slowSymbolizer(seconds: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'symbridge-slow-'));
  const path = join(dir, 'llvm-symbolizer-slow.sh');
  writeFileSync(path, `#!/bin/sh\n# A real llvm-symbolizer, slow to start (tests: a job in progress)\nsleep ${seconds}\nexec llvm-symbolizer "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

/** The queue as BullMQ sees it (counts by state), straight from Redis. */
export async function queueCounts(redisUrl: string, prefix: string): Promise<Record<string, number>> {
  const q = new Queue(SYMBOLICATE_QUEUE, { connection: { url: redisUrl, maxRetriesPerRequest: null }, prefix });
  try {
    return await q.getJobCounts('active', 'waiting', 'completed', 'failed', 'delayed');
  } finally {
    await q.close();
  }
}

export function uniquePrefix(name: string): string {
  return `symbridge-${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Live child processes of `parent` whose command name is `comm` (from /proc: what `pgrep -P` sees). */
export function childPids(parent: number, comm: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split at the last ')'.
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const [state, ppid] = stat.slice(close + 2).split(' ');
      if (Number(ppid) === parent && name === comm && state !== 'Z') out.push(Number(entry));
    } catch {
      // it exited while we looked
    }
  }
  return out;
}
