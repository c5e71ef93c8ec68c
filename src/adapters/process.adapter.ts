import { spawn, ChildProcessWithoutNullStreams } from 'node:child_process';

/**
 * The one place we start subprocesses. The child gets a controlled environment: only
 * PATH/LANG, and never DEBUGINFOD_URLS (a symbolizer that reaches out on its own
 * stalls for 90 s per module).
 */
export function spawnTool(command: string, args: string[]): ChildProcessWithoutNullStreams {
  return spawn(command, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' },
  });
}
