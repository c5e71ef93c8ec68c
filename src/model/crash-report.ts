import { Address } from './address';
import { Mapping } from './mapping';

/**
 * What the input said, before any lookup (design.md "RawFrame"): every frame and
 * signal carries the 1-based input line it came from.
 */
export type FrameKind = 'go' | 'native' | 'java' | 'jvm' | 'unknown';

/**
 * exact: a faulting PC (signal PC, `PC=`, `rip`), looked up as is.
 * return: a raw return address, looked up at pc - 1 so the line is the call site.
 * adjusted: the producer already subtracted (cgo symbolizer frames, Android 11+).
 */
export type AddressKind = 'exact' | 'return' | 'adjusted';

/**
 * A call the compiler inlined into a physical frame, as the input printed it: Go's
 * `runtime.goparkunlock(...)` + `\tproc.go:369` lines above the frame that owns the pc.
 */
export interface InlinedCall {
  function: string;
  args?: string;
  file?: string;
  line?: number;
  inputLine: number;
}

export interface RawFrame {
  kind: FrameKind;
  pc?: Address;
  addressKind: AddressKind;
  function?: string;
  /** Go's argument list as printed, e.g. `(0xc000010000, 0x1)`. */
  args?: string;
  file?: string;
  line?: number;
  /** `+0x1f` after file:line (Go) or after the symbol (hs_err `sym+0x15`): offset from the function entry. */
  entryOffset?: Address;
  /**
   * Module-relative native frames (hs_err `[lib.so+0x..]`, tombstone `#01 pc 000..  /path/lib.so`)
   * carry the module path and the offset in it instead of an absolute pc.
   */
  module?: string;
  moduleOffset?: Address;
  /**
   * What moduleOffset is relative to (normalize/module-relative.ts): hs_err's is the
   * load base, a tombstone's the ELF vaddr. Set by the parser that read the frame.
   */
  moduleOffsetBase?: 'load-base' | 'elf-vaddr';
  buildId?: string;
  /** hs_err frame type letter (C, j, J, V, v, A) as printed. */
  frameType?: string;
  /** Calls inlined at this frame's pc as the input printed them, innermost first (Go). */
  inlined?: InlinedCall[];
  /**
   * The stack pointer: Go's printed `sp=` (GOTRACEBACK=system/crash), or for frames unwound
   * from a core the unwinder's, with how the pc was recovered (unwind/unwinder.ts UnwindMethod).
   */
  sp?: Address;
  /** Go's printed `fp=` (the caller's sp), kept so the text rendering reads as Go printed it. */
  fp?: Address;
  unwind?: string;
  /** 1-based line of the input text; 0 for frames that came from a binary input (a core file). */
  inputLine: number;
}

/** A thread of any producer: a goroutine, the hs_err current thread, a tombstone thread. */
export interface ThreadTrace {
  /** How the input names it: `goroutine 7`, `tid 30490 "AsyncTask #1"`, `JavaThread "main"`. */
  name?: string;
  tid?: number;
  state: string;
  crashed?: boolean;
  /** Which producer printed it (merge treats hs_err threads apart: JNI splicing, Java frames). */
  format?: Exclude<CrashFormat, 'go' | 'maps'>;
  inputLine: number;
  frames: RawFrame[];
}

/**
 * One signal block of a Go crash (runtime/signal_unix.go sighandler): the crashing M's
 * first (`SIGILL: illegal instruction` / `PC=.. m=0 sigcode=2` / goroutines / registers),
 * then under GOTRACEBACK=crash, after `-----`, a `SIGQUIT: quit` block per other M with
 * its own PC, stack (`goroutine 0 [idle]` is the M's g0) and registers.
 */
export interface SignalBlock {
  signal: SignalInfo;
  /** `PC=` of this M, when printed. */
  fault?: FaultPc;
  /** Go's M number (`m=2`). */
  m?: number;
  /** `signal arrived during cgo execution`. */
  inCgo: boolean;
  /** `instruction bytes: 0xf 0xb ..` (SIGILL/SIGFPE): the bytes at PC. */
  instructionBytes?: { bytes: number[]; inputLine: number };
  registers: Record<string, Address>;
  /** The goroutines printed in this block, in order; the crash block's first is the one the signal hit. */
  goroutines: GoroutineTrace[];
  inputLine: number;
}

export interface GoroutineTrace extends ThreadTrace {
  id: number;
  /** Index in CrashReport.signalBlocks of the block that printed this goroutine's stack. */
  block?: number;
  state: string;
  /** Extra words inside the brackets after the state (minutes, locked to thread). */
  inputLine: number;
  frames: RawFrame[];
  /** `created by X in goroutine N` + `\tfile:line +0x25`, as printed. */
  /** The header line as printed (`goroutine 7 gp=.. m=.. [chan receive, 3 minutes]:`): state keeps only the first word group. */
  header?: string;
  createdBy?: { function: string; goroutine?: number; file?: string; line?: number; entryOffset?: Address; inputLine?: number };
  framesElided?: boolean;
  /** `runtime stack:` (the system stack of a fatal error) rather than a goroutine. */
  system?: boolean;
  /** `goroutine running on other thread; stack unavailable`. */
  stackUnavailable?: boolean;
}

/** One `panic:` line; nested panics and `[recovered]` ones each get their own. */
export interface PanicLine {
  text: string;
  recovered: boolean;
  inputLine: number;
}

/** The header and sections of a JVM hs_err_pid log. */
export interface HsErrInfo {
  signal?: string;
  pc?: Address;
  pid?: number;
  tid?: number;
  jreVersion?: string;
  javaVm?: string;
  problematicFrame?: RawFrame;
  /** The Problematic frame line as printed (without its `#`). */
  problematicText?: string;
  siginfo?: { text: string; inputLine: number; code?: { number: number; name?: string }; addr?: Address };
  /** `Instructions: (pc=..)`: the bytes HotSpot dumped around the pc, line by line. */
  instructions?: { pc: Address; lines: { address: Address; bytes: number[]; inputLine: number }[]; inputLine: number };
  currentThread?: { text: string; inputLine: number };
  /** `Java frames:` of the current thread, when printed apart from the native ones. */
  javaFrames: RawFrame[];
  inputLine: number;
}

/** The header of an Android tombstone / logcat crash dump. */
export interface TombstoneInfo {
  buildFingerprint?: string;
  /** Android major version from the fingerprint, when it can be read. */
  androidVersion?: number;
  abi?: string;
  pid?: number;
  tid?: number;
  threadName?: string;
  processName?: string;
  abortMessage?: string;
  faultAddr?: string;
  inputLine: number;
}

export interface SignalInfo {
  name: string;
  /** The lines that reported it, as printed (Go: `[signal SIGSEGV: .. code=.. addr=.. pc=..]`, or `SIGILL: ..` + `PC=..` + ..). */
  text?: string[];
  description?: string;
  code?: string;
  addr?: Address;
  pc?: Address;
  inputLine: number;
}

/** The native PC where the fault happened, and which line of the input said so. */
export interface FaultPc {
  pc: Address;
  source: 'signal-pc' | 'PC=' | 'register';
  inputLine: number;
}

/** The formats parse/readers.ts reads, one reader each. */
export type CrashFormat = 'go' | 'gccgo' | 'go-race' | 'maps' | 'hs-err' | 'tombstone' | 'glibc-backtrace' | 'sanitizer';

export interface CrashReport {
  /** The formats found in the input, in input order. */
  formats?: CrashFormat[];
  /** `panic: ...` or `fatal error: ...` head, as printed. */
  headline?: { text: string; inputLine: number };
  /** Every `panic:` line (nested and `[recovered]` ones included). */
  panics?: PanicLine[];
  signal?: SignalInfo;
  fault?: FaultPc;
  /** Go printed `signal arrived during cgo execution` (in the crash block). */
  inCgo: boolean;
  /** Go's signal blocks, the crash first (see SignalBlock); signal, fault, registers and inCgo are the first one's. */
  signalBlocks?: SignalBlock[];
  goroutines: GoroutineTrace[];
  /** Non-Go threads: the hs_err current thread, tombstone threads. */
  threads?: ThreadTrace[];
  registers: Record<string, Address>;
  mappings: Mapping[];
  hsErr?: HsErrInfo;
  tombstone?: TombstoneInfo;
}
