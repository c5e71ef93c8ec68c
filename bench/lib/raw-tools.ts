import { spawn } from 'node:child_process';
import { nowMs } from './stats';

const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' };
export const LLVM_ARGS = ['--output-style=JSON', '--inlines', '--demangle', '--functions=linkage'];

/**
 * A persistent raw llvm-symbolizer (same flags as symbridge's pool) fed a batch of
 * addresses through stdin; resolves when every answer line has arrived. Call it
 * again for a warm pass on the same process.
 */
export class RawLlvmSymbolizer {
  private readonly child = spawn('llvm-symbolizer', LLVM_ARGS, { env: ENV, stdio: ['pipe', 'pipe', 'ignore'] });
  private waiting?: { left: number; done: () => void };
  private answered = 0;
  answers: string[] = [];
  keep = false;
  private partial = '';

  constructor() {
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      const text = this.partial + chunk;
      const lines = text.split('\n');
      this.partial = lines.pop()!;
      if (this.keep) this.answers.push(...lines);
      this.answered += lines.length;
      if (this.waiting) {
        this.waiting.left -= lines.length;
        if (this.waiting.left <= 0) {
          const d = this.waiting.done;
          this.waiting = undefined;
          d();
        }
      }
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Milliseconds to answer all of `addresses`. */
  async run(path: string, addresses: bigint[]): Promise<number> {
    const t0 = nowMs();
    const done = new Promise<void>((resolve) => (this.waiting = { left: addresses.length, done: resolve }));
    const payload = addresses.map((a) => `CODE "${path}" 0x${a.toString(16)}\n`).join('');
    this.child.stdin.write(payload);
    await done;
    return nowMs() - t0;
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

/** `addr2line -f -i -C -e PATH` over all addresses (one process, stdin); ms, or undefined past the limit. */
export function addr2line(path: string, addresses: bigint[], limitMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const t0 = nowMs();
    const child = spawn('addr2line', ['-f', '-i', '-C', '-e', path], { env: ENV, stdio: ['pipe', 'ignore', 'ignore'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(undefined);
    }, limitMs);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(nowMs() - t0);
    });
    child.on('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(addresses.map((a) => `0x${a.toString(16)}\n`).join(''));
  });
}
