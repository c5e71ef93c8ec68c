import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import { ParseError, SymbridgeError } from '../model/errors';
import { checkParse, ParseCheck } from './parse-check';
import { CrashInput } from './parse-input';
import type { ThreadAnswer } from './parse-check.thread';

/** Texts up to this many characters are checked on the event loop: a thread's round trip would cost more (a 64 KiB paste parses in ~2 ms). */
export const INLINE_CHARS = 64 * 1024;

/**
 * The API parses every text before it queues the job (a parse error is a 422 with its
 * line, not a failed job; MAX_FRAMES is enforced). A maximal paste (45k frames) takes
 * ~1.3 s, which on the event loop stalled every other request, /healthz included, and
 * let Redis timeouts fire. Large texts are parsed on worker threads (piscina) instead;
 * threads start on demand and leave when idle. `threads` 0: all on the event loop.
 */
export class ParseCheckPool {
  private readonly pool?: Piscina<CrashInput, ThreadAnswer>;

  constructor(
    threads: number,
    private readonly inlineChars = INLINE_CHARS,
  ) {
    if (threads < 1) return;
    const js = join(__dirname, 'parse-check.thread.js');
    // From .ts sources (tests, ts-node) the thread loads TypeScript through the same require hook as the symcache build child.
    const fromTs = !existsSync(js);
    this.pool = new Piscina<CrashInput, ThreadAnswer>({
      filename: fromTs ? join(__dirname, 'parse-check.thread.ts') : js,
      execArgv: fromTs ? ['-r', join(__dirname, '..', 'symcache', 'ts-child-hook.js')] : [],
      minThreads: 0,
      maxThreads: threads,
      idleTimeout: 60_000,
    });
  }

  async check(input: CrashInput): Promise<ParseCheck> {
    // Only the texts cross to the thread (a structured clone each), not the rest of the job.
    const texts: CrashInput = { paste: input.paste, traceback: input.traceback, maps: input.maps, crash_dump: input.crash_dump };
    const chars = Object.values(texts).reduce((n: number, t?: string) => n + (t?.length ?? 0), 0);
    if (!this.pool || chars <= this.inlineChars) return checkParse(input);
    const answer = await this.pool.run(texts);
    if (!('error' in answer)) return answer;
    const e = answer.error;
    throw e.code === 'PARSE_ERROR' ? new ParseError(e.message, e.context) : new SymbridgeError(e.code, e.message, e.context);
  }

  /** Threads in use and tasks waiting (tests read it). */
  stats(): { threads: number; queued: number } {
    return { threads: this.pool?.threads.length ?? 0, queued: this.pool?.queueSize ?? 0 };
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
  }
}
