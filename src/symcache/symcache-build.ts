import { fork } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BuildStats } from './symcache-builder';

export interface ChildBuildOptions {
  /** V8 heap cap of the child and the RSS past which it is killed. */
  maxMb: number;
  timeoutMs: number;
}

export type ChildBuildStats = BuildStats & { peakRssMb: number };

/** A build that did not produce a symcache; the message says why (it becomes `symcache: failed (why)`). */
export class SymcacheBuildError extends Error {}

const RSS_POLL_MS = 200;

/**
 * Build `path`'s symcache into `out` in a child process (build-child.ts) with a memory
 * cap and a deadline: a crafted file can make a build fail, never take the worker down.
 * Run from sources (Jest, ts-node) the child is the .ts file, transpiled by @swc/core
 * (ts-child-hook.js: milliseconds, where ts-node would first load TypeScript for seconds).
 */
export function buildInChild(path: string, out: string, opts: ChildBuildOptions): Promise<ChildBuildStats> {
  const js = join(__dirname, 'build-child.js');
  const script = existsSync(js) ? js : join(__dirname, 'build-child.ts');
  const execArgv = [`--max-old-space-size=${opts.maxMb}`, ...(script.endsWith('.ts') ? ['-r', join(__dirname, 'ts-child-hook.js')] : [])];
  return new Promise((resolve, reject) => {
    const child = fork(script, [path, out], { execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    let result: { ok: boolean; stats?: ChildBuildStats; error?: string } | undefined;
    let killedFor: string | undefined;
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-2000)));
    child.on('message', (m) => (result = m as typeof result));
    const kill = (why: string) => {
      killedFor ??= why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill(`the build took longer than SYMCACHE_BUILD_TIMEOUT_MS (${opts.timeoutMs} ms)`), opts.timeoutMs);
    // Buffers live outside the V8 heap: the RSS is watched too.
    const poll = setInterval(() => {
      const mb = rssMb(child.pid);
      if (mb > opts.maxMb) kill(`the build used more than SYMCACHE_BUILD_MAX_MB (${opts.maxMb} MB of memory)`);
    }, RSS_POLL_MS);
    child.on('error', (err) => kill(`could not start the build: ${err.message}`));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      if (result?.ok && result.stats && code === 0) return resolve(result.stats);
      if (result && !result.ok) return reject(new SymcacheBuildError(result.error ?? 'the build failed'));
      if (killedFor) return reject(new SymcacheBuildError(killedFor));
      const oom = /heap out of memory|Allocation failed/i.test(stderr);
      reject(
        new SymcacheBuildError(
          oom
            ? `the build ran out of memory (SYMCACHE_BUILD_MAX_MB ${opts.maxMb} MB)`
            : `the build process ended (${signal ?? `exit ${code}`}) without a symcache: ${stderr.trim().split('\n').slice(-2).join(' ').slice(0, 300)}`,
        ),
      );
    });
  });
}

function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const pages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    return (pages * 4096) / 1024 / 1024;
  } catch {
    return 0; // gone, or no /proc: the heap cap still holds
  }
}
