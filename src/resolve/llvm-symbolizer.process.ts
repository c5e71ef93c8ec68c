import { LineProcess } from '../adapters/line-process.adapter';
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

const failed = (message: string) => new SymbridgeError('SYMBOLIZER_FAILED', message);

/** One long-lived llvm-symbolizer in stdin mode with JSON output, inlined frames and demangling. */
export class LlvmSymbolizerProcess {
  private readonly proc: LineProcess;

  constructor(binary: string, timeoutMs: number, env: Record<string, string> = {}) {
    this.proc = new LineProcess(
      'llvm-symbolizer',
      binary,
      ['--output-style=JSON', '--inlines', '--demangle', '--functions=linkage'],
      timeoutMs,
      failed,
      env,
    );
  }

  get alive(): boolean {
    return this.proc.alive;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get queries(): number {
    return this.proc.queries;
  }

  get inFlight(): number {
    return this.proc.inFlight;
  }

  /** Symbolize one code address of an object file (path from the store, never from a request). */
  async query(objectPath: string, address: bigint): Promise<LlvmSymbolizerAnswer> {
    if (/["\n\r]/.test(objectPath)) throw failed('unsafe object path');
    const line = await this.proc.query(`CODE "${objectPath}" 0x${address.toString(16)}`);
    try {
      return JSON.parse(line) as LlvmSymbolizerAnswer;
    } catch {
      throw failed(`llvm-symbolizer printed something that is not JSON: ${line.slice(0, 200)}`);
    }
  }

  close(): void {
    this.proc.close();
  }
}
