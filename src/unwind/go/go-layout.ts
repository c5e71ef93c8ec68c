import { RangeSource, SyncRangeSource } from '../../adapters/range-source.adapter';

/**
 * Where the fields of the Go runtime's g and m structures are, for one Go version
 * and architecture. The binary's own DWARF types (runtime.g, runtime.m) are the
 * first source; a table of layouts known per Go version (checked against that
 * DWARF: test/unit/unwind/go-layout.spec.ts) is the fallback for stripped binaries.
 */
export interface GoLayout {
  /** Where the layout came from, in words (`DWARF of crashy-exe`, `known layout of go1.19`). */
  source: string;
  g: {
    stackLo: number;
    stackHi: number;
    m: number;
    schedSp: number;
    schedPc: number;
    schedBp: number;
    syscallsp: number;
    syscallpc: number;
    atomicstatus: number;
    goid: number;
    waitsince: number;
    waitreason: number;
    gopc: number;
    startpc: number;
  };
  m: { g0: number; procid: number; gsignal: number; curg: number; id: number; alllink: number };
  /** runtime.waitReasonStrings of this version, by waitReason value. */
  waitReasons: readonly string[];
}

/** What a layout source gets to look at: the Go module's version and its stored files. */
export interface GoModuleFiles {
  goVersion?: string;
  files?: { src: RangeSource & SyncRangeSource; name: string }[];
}

/** A source of layouts: the DWARF reader (when a binary has DWARF, go-layout-dwarf.ts), then the known table. */
export interface GoLayoutSource {
  layoutFor(module: GoModuleFiles): Promise<GoLayout | undefined>;
}

const WAIT_REASONS_119 = [
  '', 'GC assist marking', 'IO wait', 'chan receive (nil chan)', 'chan send (nil chan)', 'dumping heap',
  'garbage collection', 'garbage collection scan', 'panicwait', 'select', 'select (no cases)', 'GC assist wait',
  'GC sweep wait', 'GC scavenge wait', 'chan receive', 'chan send', 'finalizer wait', 'force gc (idle)', 'semacquire',
  'sleep', 'sync.Cond.Wait', 'timer goroutine (idle)', 'trace reader (blocked)', 'wait for GC cycle', 'GC worker (idle)',
  'preempted', 'debug call',
] as const;

/** go1.19 linux/amd64, read from the DWARF of a go1.19.8 binary (runtime/runtime2.go). */
export const GO119_AMD64: GoLayout = {
  source: 'known layout of go1.19 (linux/amd64)',
  g: {
    stackLo: 0, stackHi: 8, m: 48, schedSp: 56, schedPc: 64, schedBp: 104, syscallsp: 112, syscallpc: 120,
    atomicstatus: 144, goid: 152, waitsince: 168, waitreason: 176, gopc: 296, startpc: 312,
  },
  m: { g0: 0, procid: 72, gsignal: 80, curg: 192, id: 232, alllink: 336 },
  waitReasons: WAIT_REASONS_119,
};

const KNOWN: Record<string, GoLayout> = { 'go1.19': GO119_AMD64 };

/** The known table alone: `go1.19.8` -> the go1.19 layout. */
export class KnownGoLayouts implements GoLayoutSource {
  async layoutFor({ goVersion }: GoModuleFiles): Promise<GoLayout | undefined> {
    const minor = /^go(\d+\.\d+)/.exec(goVersion ?? '')?.[1];
    return minor ? KNOWN[`go${minor}`] : undefined;
  }
}

/** Goroutine status (runtime2.go _G*), the _Gscan bit cleared; Go's traceback prints these words. */
export const G_STATUS = ['idle', 'runnable', 'running', 'syscall', 'waiting', 'moribund_unused', 'dead', 'enqueue_unused', 'copystack', 'preempted'];
export const G_RUNNING = 2;
export const G_SYSCALL = 3;
export const G_WAITING = 4;
export const G_DEAD = 6;
