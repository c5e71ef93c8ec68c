import { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { spawnTool } from '../adapters/process.adapter';
import { SymbridgeError } from '../model/errors';

/** One answer line of `llvm-symbolizer --output-style=JSON` for a CODE query. */
export interface LlvmSymbolizerAnswer {
  Address?: string;
  ModuleName?: string;
  Error?: { Message: string };
  Symbol?: Array<{
    Column?: number;
    Discriminator?: number;
    FileName?: string;
    FunctionName?: string;
    Line?: number;
    StartAddress?: string;
    StartFileName?: string;
    StartLine?: number;
  }>;
}

interface Pending {
  resolve: (a: LlvmSymbolizerAnswer) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * One long-lived llvm-symbolizer in stdin mode: one query line in, exactly one JSON
 * line out, in order, so a FIFO of pending queries pairs answers with questions.
 * A query that outlives the timeout kills the process (the pool starts another).
 */
export class LlvmSymbolizerProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending: Pending[] = [];
  private stderrTail = '';
  alive = true;
  queries = 0;

  constructor(
    binary: string,
    private readonly timeoutMs: number,
  ) {
    this.child = spawnTool(binary, ['--output-style=JSON', '--inlines', '--demangle', '--functions=linkage']);
    createInterface({ input: this.child.stdout }).on('line', (line) => this.answer(line));
    this.child.stderr.on('data', (d: Buffer) => (this.stderrTail = (this.stderrTail + d.toString()).slice(-2000)));
    this.child.on('error', (err) => this.die(`could not run ${binary}: ${err.message}`));
    this.child.on('exit', (code, sig) => this.die(`llvm-symbolizer exited (${sig ?? code})`));
    this.child.stdin.on('error', () => undefined); // EPIPE after death is reported through 'exit'
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get inFlight(): number {
    return this.pending.length;
  }

  /** Symbolize one code address of an object file (path from the store, never from a request). */
  query(objectPath: string, address: bigint): Promise<LlvmSymbolizerAnswer> {
    if (!this.alive) return Promise.reject(new SymbridgeError('SYMBOLIZER_FAILED', 'llvm-symbolizer is not running'));
    if (/["\n\r]/.test(objectPath)) return Promise.reject(new SymbridgeError('SYMBOLIZER_FAILED', 'unsafe object path'));
    this.queries++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.die(`llvm-symbolizer did not answer within ${this.timeoutMs} ms for ${objectPath} 0x${address.toString(16)}`);
        this.child.kill('SIGKILL');
      }, this.timeoutMs);
      this.pending.push({ resolve, reject, timer });
      this.child.stdin.write(`CODE "${objectPath}" 0x${address.toString(16)}\n`);
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
    try {
      p.resolve(JSON.parse(line) as LlvmSymbolizerAnswer);
    } catch {
      p.reject(new SymbridgeError('SYMBOLIZER_FAILED', `llvm-symbolizer printed something that is not JSON: ${line.slice(0, 200)}`));
    }
  }

  private die(reason: string): void {
    if (!this.alive) return;
    this.alive = false;
    const detail = this.stderrTail.trim() ? `${reason}; stderr: ${this.stderrTail.trim().slice(-500)}` : reason;
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(new SymbridgeError('SYMBOLIZER_FAILED', detail));
    }
  }
}
