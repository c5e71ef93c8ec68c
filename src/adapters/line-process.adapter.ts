import { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { killTree, spawnTool } from './process.adapter';

interface Pending {
  resolve: (line: string) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** Signals that stop a process from outside; a crash (SIGSEGV, SIGABRT, an exit code) blames its query. */
const KILLED_FROM_OUTSIDE = new Set<NodeJS.Signals>(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGHUP']);

/** Marks a query that failed only because the process died for another query's sake: worth one retry. */
export class CollateralFailure extends Error {}

/**
 * A long-lived tool that answers each input line with exactly one output line, in
 * order (llvm-symbolizer in JSON mode, llvm-cxxfilt): a FIFO of pending queries pairs
 * answers with questions. A query that outlives the timeout kills the process; every
 * pending query then fails with the reason, and the owner starts a new process.
 */
export class LineProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending: Pending[] = [];
  private stderrTail = '';
  alive = true;
  queries = 0;

  constructor(
    private readonly name: string,
    binary: string,
    args: string[],
    private readonly timeoutMs: number,
    private readonly makeError: (message: string) => Error,
    env: Record<string, string> = {},
  ) {
    this.child = spawnTool(binary, args, env);
    createInterface({ input: this.child.stdout }).on('line', (line) => this.answer(line));
    this.child.stderr.on('data', (d: Buffer) => (this.stderrTail = (this.stderrTail + d.toString()).slice(-2000)));
    this.child.on('error', (err) => this.die(`could not run ${binary}: ${err.message}`));
    // It answers in order, so the oldest pending query is the one it crashed on. A stop
    // signal we did not send (the OOM killer, an operator) is nobody's query's fault:
    // every pending one may be retried. (Our own kills come after die(), so never here.)
    this.child.on('exit', (code, sig) => this.die(`${name} exited (${sig ?? code})`, sig && KILLED_FROM_OUTSIDE.has(sig) ? 'nobody' : this.pending[0]));
    this.child.stdin.on('error', () => undefined); // EPIPE after death is reported through 'exit'
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get inFlight(): number {
    return this.pending.length;
  }

  /** Send one line (it must not contain a newline) and get the one line it answers. */
  query(line: string): Promise<string> {
    if (!this.alive) return Promise.reject(this.makeError(`${this.name} is not running`));
    this.queries++;
    return new Promise((resolve, reject) => {
      const entry: Pending = { resolve, reject, timer: undefined as unknown as NodeJS.Timeout };
      entry.timer = setTimeout(() => {
        this.die(`${this.name} did not answer within ${this.timeoutMs} ms (query: ${line.slice(0, 200)})`, entry);
        killTree(this.child, 'SIGKILL');
      }, this.timeoutMs);
      this.pending.push(entry);
      this.child.stdin.write(`${line}\n`);
    });
  }

  close(): void {
    this.die('closed');
    this.child.stdin.end();
    killTree(this.child, 'SIGTERM');
  }

  private answer(line: string): void {
    const p = this.pending.shift();
    if (!p) return;
    clearTimeout(p.timer);
    p.resolve(line);
  }

  /**
   * The culprit (a query that hung or crashed it) gets the error; the others, all of them
   * when it is 'nobody', may retry elsewhere, once.
   */
  private die(reason: string, culprit?: Pending | 'nobody'): void {
    if (!this.alive) return;
    this.alive = false;
    // Whatever is left of it (a child holding our pipes) must not keep this process busy.
    killTree(this.child, 'SIGKILL');
    this.child.stdout.destroy();
    this.child.stderr.destroy();
    const detail = this.stderrTail.trim() ? `${reason}; stderr: ${this.stderrTail.trim().slice(-500)}` : reason;
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      // Without a culprit (closed, could not start) every query fails for good.
      p.reject(culprit && p !== culprit ? new CollateralFailure(detail) : this.makeError(detail));
    }
  }
}
