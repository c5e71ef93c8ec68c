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
