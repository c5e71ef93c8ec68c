import { CollateralFailure } from '../adapters/line-process.adapter';
import { LlvmSymbolizerAnswer, LlvmSymbolizerProcess } from './llvm-symbolizer.process';

export interface PoolOptions {
  binary: string;
  processes: number;
  timeoutMs: number;
  /** Extra environment for the children (fault injection in tests); DEBUGINFOD_URLS is never passed. */
  env?: Record<string, string>;
}

export interface PoolStats {
  processes: number;
  restarts: number;
  queries: number;
}

/**
 * A bounded set of long-lived llvm-symbolizer processes. A module always goes to the
 * same slot (hash of its path), so each process keeps its modules loaded; a process
 * that died or hung is replaced on the next query, and the queries it took down with
 * it through no fault of theirs are asked once more.
 */
export class LlvmSymbolizerPool {
  private readonly slots: (LlvmSymbolizerProcess | undefined)[];
  private restarts = 0;
  private queries = 0;

  constructor(private readonly opts: PoolOptions) {
    this.slots = new Array(Math.max(1, opts.processes)).fill(undefined);
  }

  async query(objectPath: string, address: bigint): Promise<LlvmSymbolizerAnswer> {
    this.queries++;
    try {
      return await this.processFor(objectPath).query(objectPath, address);
    } catch (err) {
      // Our query was fine: another one hung or crashed it, or it was killed from outside.
      // Once more, on a fresh process (a second failure is the answer).
      if (err instanceof CollateralFailure) return this.processFor(objectPath).query(objectPath, address);
      throw err;
    }
  }

  stats(): PoolStats {
    return { processes: this.slots.filter((s) => s?.alive).length, restarts: this.restarts, queries: this.queries };
  }

  close(): void {
    for (const p of this.slots) p?.close();
    this.slots.fill(undefined);
  }

  /** Start every process now (worker boot), so a job never waits for one to spawn. */
  start(): void {
    for (let slot = 0; slot < this.slots.length; slot++) this.slotProcess(slot);
  }

  private processFor(objectPath: string): LlvmSymbolizerProcess {
    return this.slotProcess(hash(objectPath) % this.slots.length);
  }

  private slotProcess(slot: number): LlvmSymbolizerProcess {
    const current = this.slots[slot];
    if (current?.alive) return current;
    if (current) this.restarts++;
    const fresh = new LlvmSymbolizerProcess(this.opts.binary, this.opts.timeoutMs, this.opts.env);
    this.slots[slot] = fresh;
    return fresh;
  }
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
