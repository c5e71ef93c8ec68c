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

export interface RawFrame {
  kind: FrameKind;
  pc?: Address;
  addressKind: AddressKind;
  function?: string;
  /** Go's argument list as printed, e.g. `(0xc000010000, 0x1)`. */
  args?: string;
  file?: string;
  line?: number;
  /** `+0x1f` after file:line: offset of the pc from the function entry. */
  entryOffset?: Address;
  inputLine: number;
}

export interface GoroutineTrace {
  id: number;
  state: string;
  /** Extra words inside the brackets after the state (minutes, locked to thread). */
  inputLine: number;
  frames: RawFrame[];
  createdBy?: { function: string; goroutine?: number; file?: string; line?: number };
  framesElided?: boolean;
  /** `runtime stack:` (the system stack of a fatal error) rather than a goroutine. */
  system?: boolean;
}

export interface SignalInfo {
  name: string;
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

export interface CrashReport {
  /** `panic: ...` or `fatal error: ...` head, as printed. */
  headline?: { text: string; inputLine: number };
  signal?: SignalInfo;
  fault?: FaultPc;
  /** Go printed `signal arrived during cgo execution`. */
  inCgo: boolean;
  goroutines: GoroutineTrace[];
  registers: Record<string, Address>;
  mappings: Mapping[];
}
