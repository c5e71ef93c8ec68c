import { spawn, ChildProcessWithoutNullStreams } from 'node:child_process';

/**
 * The one place we start subprocesses. The child gets a controlled environment: only
 * PATH/LANG, and never DEBUGINFOD_URLS (a symbolizer that reaches out on its own
 * stalls for 90 s per module).
 */
export function spawnTool(command: string, args: string[], extraEnv: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', ...extraEnv };
  delete (env as Record<string, string>).DEBUGINFOD_URLS;
  // Its own process group, so a kill reaches whatever it started too (see killTree).
  return spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env, detached: true });
}

/** Kill a tool and anything it spawned (its process group). */
export function killTree(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

export interface ToolRun {
  stdout: Buffer;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
}

/**
 * Run a tool to completion: `input` on its stdin, its stdout collected (up to
 * `maxStdout`), killed (with what it started) after `timeoutMs`.
 */
export function runTool(
  command: string,
  args: string[],
  opts: { input?: Buffer | string; timeoutMs: number; maxStdout?: number; env?: Record<string, string> },
): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawnTool(command, args, opts.env);
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killTree(child, 'SIGKILL');
    }, opts.timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      outBytes += d.length;
      if (opts.maxStdout !== undefined && outBytes > opts.maxStdout) killTree(child, 'SIGKILL');
      else out.push(d);
    });
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.stdin.on('error', () => undefined);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out), stderr, code, signal, timedOut });
    });
    child.stdin.end(opts.input ?? '');
  });
}
