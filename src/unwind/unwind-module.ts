import { GoPclntab } from '../elf/gopclntab';
import { ModuleCfi } from './cfi/cfi-sections';

/**
 * One mapped module as the unwinder sees it: where it is in the process (absolute
 * ranges and the load bias: vaddr = pc - bias) and what it offers to unwind with.
 */
export interface UnwindModule {
  path: string;
  ranges: { start: bigint; end: bigint }[];
  bias: bigint;
  cfi: ModuleCfi;
  go?: GoPclntab;
  /** Data symbols the Go runtime readers look for (runtime.allgs, runtime.allm), by ELF vaddr. */
  symbols: Map<string, bigint>;
}

/** Absolute pc -> module, by binary search over every module's ranges. */
export class ModuleMap {
  private readonly ranges: { start: bigint; end: bigint; module: UnwindModule }[];

  constructor(readonly modules: UnwindModule[]) {
    this.ranges = modules
      .flatMap((m) => m.ranges.map((r) => ({ ...r, module: m })))
      .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  }

  at(pc: bigint): UnwindModule | undefined {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.ranges[mid];
      if (pc < r.start) hi = mid - 1;
      else if (pc >= r.end) lo = mid + 1;
      else return r.module;
    }
    return undefined;
  }

  /** The Go module (the executable, or a c-shared library) and the absolute address of a symbol in it. */
  goSymbol(name: string): { module: UnwindModule; addr: bigint } | undefined {
    for (const m of this.modules) {
      const v = m.symbols.get(name);
      if (v !== undefined && m.go) return { module: m, addr: v + m.bias };
    }
    return undefined;
  }
}
