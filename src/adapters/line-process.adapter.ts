import { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { spawnTool } from './process.adapter';

interface Pending {
  resolve: (line: string) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

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
  ) {
    this.child = spawnTool(binary, args);
    createInterface({ input: this.child.stdout }).on('line', (line) => this.answer(line));
    this.child.stderr.on('data', (d: Buffer) => (this.stderrTail = (this.stderrTail + d.toString()).slice(-2000)));
    this.child.on('error', (err) => this.die(`could not run ${binary}: ${err.message}`));
    this.child.on('exit', (code, sig) => this.die(`${name} exited (${sig ?? code})`));
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
      const timer = setTimeout(() => {
        this.die(`${this.name} did not answer within ${this.timeoutMs} ms (query: ${line.slice(0, 200)})`);
        this.child.kill('SIGKILL');
      }, this.timeoutMs);
      this.pending.push({ resolve, reject, timer });
      this.child.stdin.write(`${line}\n`);
    });
  }

  close(): void {
    this.die('closed');
    this.child.stdin.end();
    this.child.kill('SIGTERM');
  }

  private answer(line: string): void {
    const p = this.pending.shift();
    if (!p) return;
    clearTimeout(p.timer);
    p.resolve(line);
  }

  private die(reason: string): void {
    if (!this.alive) return;
    this.alive = false;
    const detail = this.stderrTail.trim() ? `${reason}; stderr: ${this.stderrTail.trim().slice(-500)}` : reason;
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(this.makeError(detail));
    }
  }
}
