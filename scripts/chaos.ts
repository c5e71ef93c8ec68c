/**
 * Chaos: faults injected into the real service as processes (ROLE=api + two ROLE=worker,
 * `node dist/main.js`) and a private redis-server (AOF, fsync always) on a free port.
 * One phase per fault, then one table:
 *
 *   fault | requests | accepted | completed | lost | refused | 5xx | slowest | peak RSS api/w1/w2 | peak Redis
 *
 * requests: POSTs the phase sent. accepted: answered 2xx (a job id or a stored file).
 * completed: accepted jobs that completed. lost: accepted jobs that did not complete.
 * refused: the documented 503/429 refusals (QUEUE_UNAVAILABLE while Redis is down,
 * SERVER_BUSY past HTTP_MAX_INFLIGHT_BODIES, QUEUE_FULL). 5xx: any other 5xx, polls included.
 * slowest: the slowest HTTP answer; for stalled clients, the slowest close after their last byte.
 *
 *   npm run chaos            (builds first; ~3-4 min on 2 cores; exit 1 on a lost job or a 5xx)
 */
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { captured, LIBCRASHY, storeCase } from '../test/support/fixtures';
import { maximalCrash } from '../test/support/maximal';
import { childPids, RedisServer, ServiceEnv, ServiceProcess, sleep, startHttpProcess, startWorkerProcess, uniquePrefix } from '../test/support/processes';
import { stall } from '../test/support/raw-http';

const run = promisify(execFile);
const BODY_IDLE_MS = 3000;
const REFUSALS = new Set(['QUEUE_UNAVAILABLE', 'SERVER_BUSY', 'QUEUE_FULL', 'RATE_LIMITED']);

interface Row {
  fault: string;
  requests: number;
  accepted: number;
  completed: number | '-';
  lost: number | '-';
  refused: number;
  fiveXX: number;
  slowestMs: number;
  rss: Record<string, number>;
  redisMb: number;
  note: string;
}

/** Peaks of RSS per process slot and of Redis used_memory, sampled every 250 ms. */
class Sampler {
  rss: Record<string, number> = {};
  redisBytes = 0;
  private timer?: NodeJS.Timeout;
  constructor(
    private readonly procs: () => Record<string, ServiceProcess>,
    private readonly redis: RedisServer,
  ) {}
  start(): void {
    this.rss = {};
    this.redisBytes = 0;
    void this.sample();
    this.timer = setInterval(() => void this.sample(), 250);
  }
  async stop(): Promise<{ rss: Record<string, number>; redisMb: number }> {
    clearInterval(this.timer);
    await this.sample();
    return { rss: { ...this.rss }, redisMb: Math.round((this.redisBytes / 1048576) * 10) / 10 };
  }
  private async sample(): Promise<void> {
    for (const [slot, p] of Object.entries(this.procs())) {
      if (!p.alive) continue;
      const mb = rssMb(p.child.pid!);
      if (mb > (this.rss[slot] ?? 0)) this.rss[slot] = mb;
    }
    const info = await run('redis-cli', ['-p', String(this.redis.port), 'info', 'memory'], { timeout: 1000 }).catch(() => undefined);
    const used = Number(/used_memory:(\d+)/.exec(info?.stdout ?? '')?.[1] ?? 0);
    if (used > this.redisBytes) this.redisBytes = used;
  }
}

function rssMb(pid: number): number {
  try {
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}

/** What one phase's client saw. */
class Tally {
  requests = 0;
  accepted = 0;
  refused = 0;
  fiveXX = 0;
  slowestMs = 0;
  /** Which request was the slowest (kind, status), for the log. */
  slowestWhat = '';
  other: string[] = [];
  jobs: string[] = [];
  /** Refusals by error code. */
  codes: Record<string, number> = {};

  async send(kind: string, fn: () => Promise<Response>, countAsRequest = true): Promise<{ status: number; body: string } | undefined> {
    if (countAsRequest) this.requests++;
    const t0 = Date.now();
    try {
      const res = await fn();
      const body = await res.text();
      if (Date.now() - t0 > this.slowestMs) {
        this.slowestMs = Date.now() - t0;
        this.slowestWhat = `${kind} ${res.status} ${body.slice(0, 120)}`;
      }
      if (res.status >= 500 || res.status === 429) {
        const code = /"code":"([A-Z_]+)"/.exec(body)?.[1] ?? '';
        if (REFUSALS.has(code)) {
          this.refused++;
          this.codes[code] = (this.codes[code] ?? 0) + 1;
        }
        else {
          this.fiveXX++;
          this.other.push(`${kind} ${res.status} ${body.slice(0, 160)}`);
        }
      } else if (countAsRequest && res.status < 300) this.accepted++;
      return { status: res.status, body };
    } catch (err) {
      this.slowestMs = Math.max(this.slowestMs, Date.now() - t0);
      this.other.push(`${kind}: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** POST a crash; a 202 adds its job to those the phase follows. */
  async symbolicate(url: string, body: string, type = 'application/json'): Promise<void> {
    const r = await this.send('symbolicate', () => fetch(`${url}/v1/symbolicate`, { method: 'POST', headers: { 'content-type': type }, body }));
    if (r?.status === 202) this.jobs.push((JSON.parse(r.body) as { id: string }).id);
  }

  /** Poll every followed job until it completed or failed, or until `ms`; polls' 5xx count, 503 while Redis is away is a refusal. */
  async settle(url: string, ms: number): Promise<{ completed: number; results: Map<string, unknown> }> {
    const open = new Set(this.jobs);
    const results = new Map<string, unknown>();
    const deadline = Date.now() + ms;
    while (open.size > 0 && Date.now() < deadline) {
      for (const id of [...open]) {
        const r = await this.send('poll', () => fetch(`${url}/v1/jobs/${id}`), false);
        if (r?.status !== 200) continue;
        const view = JSON.parse(r.body) as { state: string; result?: unknown; error?: string };
        if (view.state === 'completed') {
          open.delete(id);
          results.set(id, view.result);
        } else if (view.state === 'failed') {
          open.delete(id);
          this.other.push(`job ${id} failed: ${view.error}`);
        }
      }
      if (open.size > 0) await sleep(500);
    }
    return { completed: results.size, results };
  }
}

function upload(url: string, files: { name: string; data: Buffer }[]): Promise<Response> {
  const form = new FormData();
  for (const f of files) form.append('files', new Blob([new Uint8Array(f.data)]), f.name);
  return fetch(`${url}/v1/symbols`, { method: 'POST', body: form });
}

/** libcrashy.so frames left unresolved: because a symbolizer died under them, or for another reason. */
function unresolvedNative(result: unknown): { killed: number; other: number } {
  const n = { killed: 0, other: 0 };
  for (const t of (result as { threads: { frames: { kind: string; module?: string; source?: string; reason?: string }[] }[] }).threads) {
    for (const f of t.frames) {
      if (f.kind !== 'native' || !f.module?.includes('libcrashy') || f.source !== 'unresolved') continue;
      if (/exited|SIGKILL|killed|symbolizer/i.test(f.reason ?? '')) n.killed++;
      else n.other++;
    }
  }
  return n;
}

async function main(): Promise<void> {
  const started = Date.now();
  const redis = await RedisServer.start();
  const root = mkdtempSync(join(tmpdir(), 'symbridge-chaos-store-'));
  const env: ServiceEnv = {
    redisUrl: redis.url,
    prefix: uniquePrefix('chaos'),
    storageRoot: root,
    extra: {
      LOG_LEVEL: 'warn',
      JOB_LOCK_MS: '2000',
      STALLED_CHECK_MS: '1000',
      HTTP_BODY_IDLE_TIMEOUT_MS: String(BODY_IDLE_MS),
      RATE_LIMIT_SYMBOLICATE: '0',
      RATE_LIMIT_UPLOADS: '0',
      JOB_RETENTION_SECONDS: '600',
    },
  };
  // Workers log at info: startWorkerProcess waits for their "worker started".
  const workerEnv: ServiceEnv = { ...env, extra: { ...env.extra, LOG_LEVEL: 'info' } };
  const procs: Record<string, ServiceProcess> = {};
  const sampler = new Sampler(() => procs, redis);
  const rows: Row[] = [];
  const phase = async (fault: string, body: (t: Tally) => Promise<{ completed?: number; note?: string; slowestMs?: number }>) => {
    process.stderr.write(`chaos: ${fault} ...\n`);
    const t = new Tally();
    sampler.start();
    const out = await body(t);
    const peaks = await sampler.stop();
    const jobs = t.jobs.length;
    rows.push({
      fault,
      requests: t.requests,
      accepted: t.accepted,
      completed: out.completed ?? '-',
      lost: out.completed === undefined ? '-' : jobs - out.completed,
      refused: t.refused,
      fiveXX: t.fiveXX,
      slowestMs: Math.max(t.slowestMs, out.slowestMs ?? 0),
      rss: peaks.rss,
      redisMb: peaks.redisMb,
      note: [out.note ?? '', Object.entries(t.codes).map(([c, n]) => `${n} ${c}`).join(', ')].filter(Boolean).join('; '),
    });
    process.stderr.write(`  slowest: ${t.slowestMs} ms, ${t.slowestWhat}\n`);
    if (t.other.length) process.stderr.write(`  ${fault}: ${t.other.slice(0, 8).join('\n  ')}\n`);
  };
  try {
    procs.api = await startHttpProcess('api', env);
    procs.w1 = await startWorkerProcess(workerEnv);
    procs.w2 = await startWorkerProcess(workerEnv);
    const url = procs.api.url!;
    const up = await upload(url, [{ name: 'libcrashy.so', data: readFileSync(LIBCRASHY) }]);
    if (up.status !== 200) throw new Error(`upload of libcrashy.so: ${up.status}`);
    const pie = JSON.stringify({ traceback: captured('pie', 'stderr'), maps: captured('pie', 'maps') });

    await phase('worker SIGKILL mid-batch', async (t) => {
      const posts: Promise<void>[] = [];
      for (let i = 0; i < 200; i++) {
        posts.push(t.symbolicate(url, pie));
        if (i === 60) {
          procs.w1.child.kill('SIGKILL'); // with jobs in hand: 60 queued at once onto 2 x 4 slots
          await procs.w1.exit;
          procs.w1 = await startWorkerProcess(workerEnv);
        }
        if (i % 20 === 19) await Promise.all(posts.splice(0));
      }
      await Promise.all(posts);
      const { completed } = await t.settle(url, 60_000);
      return { completed, note: 'w1 killed after 60 POSTs, replaced; its jobs requeued (lock 2 s)' };
    });

    await phase('Redis kill -9, restart (AOF)', async (t) => {
      const posts: Promise<void>[] = [];
      let downFor = 0;
      for (let i = 0; i < 60; i++) {
        posts.push(t.symbolicate(url, pie));
        if (i === 20) await redis.kill9();
        if (i === 40) {
          const t0 = Date.now();
          await redis.restart();
          downFor = Date.now() - t0;
        }
        await sleep(100);
      }
      await Promise.all(posts);
      const { completed } = await t.settle(url, 60_000);
      return { completed, note: `killed after 20 POSTs, back after 20 more (${downFor} ms restart); 503 meanwhile` };
    });

    await phase('llvm-symbolizer kill -9 (every 100 ms)', async (t) => {
      let kills = 0;
      const killer = setInterval(() => {
        for (const w of [procs.w1, procs.w2]) {
          for (const pid of childPids(w.child.pid!, 'llvm-symbolizer')) {
            try {
              process.kill(pid, 'SIGKILL');
              kills++;
            } catch {
              // gone already
            }
          }
        }
      }, 100);
      // Each crash at another address inside libcrashy's two functions (nm: 0x1110+0x48, 0x1160+0x3b),
      // so every job really queries a symbolizer (no cache hit).
      const offsets = [...Array.from({ length: 0x48 }, (_, k) => 0x1110 + k), ...Array.from({ length: 0x3b }, (_, k) => 0x1160 + k)];
      const stderr = captured('pie', 'stderr');
      const maps = captured('pie', 'maps');
      const posts: Promise<void>[] = [];
      for (let i = 0; i < 100; i++) {
        const pc = (0x7f501cb32000 + offsets[i % offsets.length]).toString(16); // the mapping of file offset 0
        posts.push(t.symbolicate(url, JSON.stringify({ traceback: stderr.replace('pc=0x7f501cb3313e]', `pc=0x${pc}]`), maps })));
        await sleep(60);
      }
      await Promise.all(posts);
      const { completed, results } = await t.settle(url, 60_000);
      clearInterval(killer);
      const u = [...results.values()].map(unresolvedNative).reduce((a, b) => ({ killed: a.killed + b.killed, other: a.other + b.other }), { killed: 0, other: 0 });
      return { completed, note: `${kills} symbolizers killed; crash frames unresolved because of a kill: ${u.killed} (for other reasons: ${u.other})` };
    });

    await phase('stalled clients (60 x 8 MiB bodies, 40 uploads)', async (t) => {
      const MiB = 1024 * 1024;
      const tb = Buffer.alloc(7.5 * MiB, 'goroutine 1 [running]:\n');
      const bodies = Array.from({ length: 60 }, () =>
        stall(url, `POST /v1/symbolicate HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: ${8 * MiB}\r\n\r\n`, tb, 30_000),
      );
      const part = `--XX\r\nContent-Disposition: form-data; name="files"; filename="libstall.so"\r\n\r\n`;
      const uploads = Array.from({ length: 40 }, () =>
        stall(url, `POST /v1/symbols HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XX\r\nContent-Length: ${8 * MiB}\r\n\r\n`, Buffer.concat([Buffer.from(part), Buffer.alloc(MiB, 0x41)]), 30_000),
      );
      t.requests += 100;
      // Meanwhile, ordinary crashes: refused (SERVER_BUSY) while the cap is full, accepted once the stalled ones are cut.
      await sleep(500);
      const during: Promise<void>[] = [];
      for (let i = 0; i < 10; i++) during.push(t.symbolicate(url, pie));
      const outcomes = await Promise.all([...bodies, ...uploads].map((c) => c.outcome));
      await Promise.all(during);
      for (let i = 0; i < 10; i++) await t.symbolicate(url, pie);
      // Refused at once (a client still sending may see the reset before the 503) or cut by the idle timeout.
      const refusedAtOnce = (o: (typeof outcomes)[number]) => o.status === 503 || o.closedAfterSentMs < BODY_IDLE_MS / 2;
      const busy = outcomes.filter(refusedAtOnce).length;
      const saw503 = outcomes.filter((o) => o.status === 503).length;
      t.refused += busy;
      // The ones cut by the idle timeout: closed this long after their last byte.
      const slowest = Math.max(...outcomes.filter((o) => !refusedAtOnce(o)).map((o) => o.closedAfterSentMs));
      const { completed } = await t.settle(url, 30_000);
      await sleep(300);
      const temps = readdirSync(join(root, '.tmp')).filter((n) => !n.startsWith('deleted-')).length;
      return { completed, slowestMs: slowest, note: `idle timeout ${BODY_IDLE_MS} ms: ${100 - busy} cut, ${busy} refused at once (${saw503} read the 503); temp files left: ${temps}` };
    });

    await phase('hostile uploads', async (t) => {
      const lib = readFileSync(LIBCRASHY);
      const patched = (edit: (b: Buffer) => void) => {
        const b = Buffer.from(lib);
        edit(b);
        return b;
      };
      const bad: [string, Buffer][] = [
        ['phnum.so', patched((b) => b.writeUInt16LE(0xffff, 56))],
        ['phoff.so', patched((b) => b.writeBigUInt64LE(0x7fff_ffff_0000n, 32))],
        ['shnum.so', patched((b) => (b.writeUInt16LE(0xffff, 60), b.writeBigUInt64LE(0xffff_ffff_ffffn, 40)))],
        ['shstrndx.so', patched((b) => b.writeUInt16LE(0xfffe, 62))],
        ['magic.so', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0])],
        ['empty.so', Buffer.alloc(0)],
        ['truncated.so', lib.subarray(0, 4096)],
        ['text.so', Buffer.from('not an ELF file at all\n')],
      ];
      let fourXX = 0;
      for (const [name, data] of bad) {
        const r = await t.send('upload', () => upload(url, [{ name, data }]));
        if (r && r.status >= 400 && r.status < 500) fourXX++;
      }
      // Names: traversal, and encodings far past NAME_MAX (stored whole or refused, never a 500 or a broken index).
      for (const name of ['../../../../tmp/evil-name.so', '%'.repeat(100), '€'.repeat(150)]) {
        const r = await t.send('upload', () => upload(url, [{ name, data: readFileSync(storeCase('hello')) }]));
        if (r && r.status >= 400 && r.status < 500) fourXX++;
      }
      for (const [type, body] of [
        ['multipart/form-data', 'hello'],
        ['multipart/form-data; boundary=XX', '--XX\r\nContent-Disposition: form-data; name="files"; filename="a.so"\r\n\r\n\x7fELF'],
      ]) {
        const r = await t.send('multipart', () => fetch(`${url}/v1/symbols`, { method: 'POST', headers: { 'content-type': type }, body }));
        if (r && r.status >= 400 && r.status < 500) fourXX++;
      }
      const r = await t.send('docs', () => fetch(`${url}/docs/%2e%2e/%2e%2e/etc/passwd`));
      if (r && r.status >= 400 && r.status < 500) fourXX++;
      const stored = readdirSync(join(root, 'buildid')).length;
      return { note: `${fourXX} answered 4xx naming the problem; build-ids stored: ${stored} (libcrashy + hello)` };
    });

    // A 45k-frame job holds a worker's event loop for ~1.3 s at a time (parse, merge, render): with
    // the 2 s lock used above for quick requeues, the lock would lapse on a busy machine and the
    // job be taken as stalled. The workers get the default lock (30 s) for this phase.
    for (const slot of ['w1', 'w2']) {
      await procs[slot].stop();
      procs[slot] = await startWorkerProcess({ ...workerEnv, extra: { ...workerEnv.extra, JOB_LOCK_MS: '30000', STALLED_CHECK_MS: '15000' } });
    }
    await phase('maximal requests (8 x 45k frames)', async (t) => {
      const crash = maximalCrash(45_000);
      const body = JSON.stringify({ traceback: crash.traceback, maps: crash.maps });
      await Promise.all(Array.from({ length: 8 }, () => t.symbolicate(url, body)));
      const { completed, results } = await t.settle(url, 150_000);
      const key = `${env.prefix}:symbolicate:${t.jobs[0]}`;
      const kept = Number((await run('redis-cli', ['-p', String(redis.port), 'memory', 'usage', key, 'samples', '0'])).stdout.trim());
      const frames = [...results.values()].map((r) => (r as { threads: { frames: unknown[] }[] }).threads.reduce((n, th) => n + th.frames.length, 0));
      return {
        completed,
        note: `${(body.length / 1048576).toFixed(1)} MB each, ${Math.min(...frames)} frames answered; Redis keeps ${Math.round(kept / 1024)} KB per job (result in the store)`,
      };
    });
  } finally {
    for (const p of Object.values(procs)) await p.stop();
    await redis.stop();
    rmSync(root, { recursive: true, force: true });
    rmSync(redis.dir, { recursive: true, force: true });
  }

  const rssText = (r: Record<string, number>) => ['api', 'w1', 'w2'].map((k) => r[k] ?? '-').join(' / ');
  const lines = [
    '| fault | requests | accepted | completed | lost | refused (503) | 5xx | slowest answer | peak RSS api / w1 / w2 (MB) | peak Redis | notes |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.fault} | ${r.requests} | ${r.accepted} | ${r.completed} | ${r.lost} | ${r.refused} | ${r.fiveXX} | ${(r.slowestMs / 1000).toFixed(1)} s | ${rssText(r.rss)} | ${r.redisMb} MB | ${r.note} |`,
    ),
  ];
  console.log(lines.join('\n'));
  console.log(`\nchaos: ${Math.round((Date.now() - started) / 1000)} s`);
  const bad = rows.filter((r) => (typeof r.lost === 'number' && r.lost > 0) || r.fiveXX > 0);
  if (bad.length) {
    console.log(`chaos: FAILED (${bad.map((r) => r.fault).join(', ')})`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
