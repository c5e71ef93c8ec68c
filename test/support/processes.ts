import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Queue } from 'bullmq';
import { SYMBOLICATE_QUEUE } from '../../src/jobs/queue.constants';

/**
 * The real service as separate processes (`node dist/main.js`, built by pretest/`npm run
 * build`), for the tests whose point is a process dying, draining or losing Redis; and a
 * private redis-server those tests may kill.
 */
export const REPO = repoRoot(__dirname);

/** The checkout: the nearest folder up with package.json (test/support from ts-jest, dist-bench/test/support from the bench). */
function repoRoot(from: string): string {
  for (let d = from; d !== dirname(d); d = dirname(d)) if (existsSync(join(d, 'package.json'))) return d;
  return join(from, '..', '..');
}
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
    private readonly extraArgs: string[] = [],
  ) {}

  static async start(extraArgs: string[] = []): Promise<RedisServer> {
    const r = new RedisServer(await freePort(), mkdtempSync(join(tmpdir(), 'symbridge-redis-')), extraArgs);
    await r.restart();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** (Re)start on the same port and directory: the AOF is replayed. */
  async restart(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', ...this.extraArgs];
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
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
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

/**
 * A Redis Sentinel deployment on free loopback ports: a master, a replica and three
 * sentinels (quorum 2), each a real process (`redis-sentinel`, or `redis-server
 * --sentinel`: the same program). Failover is fast (down after 1 s) so a test can kill
 * the master and watch a replica take over.
 */
export class RedisSentinelSet {
  readonly name = 'symbridge-master';
  private constructor(
    readonly master: RedisServer,
    readonly replica: RedisServer,
    readonly sentinelPorts: number[],
    private readonly sentinels: ChildProcess[],
  ) {}

  static async start(): Promise<RedisSentinelSet> {
    const master = await RedisServer.start();
    const replica = await RedisServer.start(['--replicaof', '127.0.0.1', String(master.port)]);
    const ports = [await freePort(), await freePort(), await freePort()];
    const children: ChildProcess[] = [];
    const set = new RedisSentinelSet(master, replica, ports, children);
    for (const port of ports) {
      const dir = mkdtempSync(join(tmpdir(), 'symbridge-sentinel-'));
      const conf = join(dir, 'sentinel.conf');
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${set.name} 127.0.0.1 ${master.port} 2`,
          `sentinel down-after-milliseconds ${set.name} 1000`,
          `sentinel failover-timeout ${set.name} 5000`,
          `sentinel parallel-syncs ${set.name} 1`,
          '',
        ].join('\n'),
      );
      const [cmd, args] = onPath('redis-sentinel') ? ['redis-sentinel', [conf]] : ['redis-server', [conf, '--sentinel']];
      children.push(spawn(cmd, args as string[], { stdio: 'ignore' }));
    }
    await until('the sentinels to see the master and its replica', () => ports.every((p) => set.ask(p, ['sentinel', 'replicas', set.name]).includes(String(replica.port))), 20_000, 200);
    return set;
  }

  get url(): string {
    return `redis+sentinel://${this.sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',')}/${this.name}`;
  }

  /** The master's port as the sentinels see it now. */
  masterPort(): number {
    const out = this.ask(this.sentinelPorts[0], ['sentinel', 'get-master-addr-by-name', this.name]).split('\n');
    return Number(out[1]);
  }

  ask(port: number, args: string[]): string {
    try {
      return execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '';
    }
  }

  async stop(): Promise<void> {
    for (const c of this.sentinels) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await gone;
    }
    await this.replica.stop();
    await this.master.stop();
  }
}

function onPath(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
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

/**
 * Signal a process the test stopped (SIGSTOP), then let it run so a catchable signal takes
 * effect. After SIGKILL its parent may have reaped it before the SIGCONT: that is not an error.
 */
export function signalStopped(pid: number, signal: NodeJS.Signals): void {
  process.kill(pid, signal);
  try {
    process.kill(pid, 'SIGCONT');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
